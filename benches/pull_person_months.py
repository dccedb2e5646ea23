"""Client side of benches/pull_person_months.sh: pull all of fct_person_months the ways a
researcher can, round after round, and print every pull's seconds.

argv: warehouse root, host, Postgres port, Flight SQL port, user, password, rounds.
stdout: {"rows": n, "seconds": {method: [..]}}

Each method ends with the whole table in the researcher's process: an Arrow table (Flight SQL,
ADBC's PostgreSQL driver, the Parquet files read directly) or Python rows (psycopg). Methods
alternate within a round, so that a drift in the machine's speed hits all of them.
"""

import json
import sys
import time
import urllib.parse
from pathlib import Path

import adbc_driver_flightsql.dbapi
import adbc_driver_postgresql.dbapi
import psycopg
import pyarrow.parquet

from delta_files import committed_files

root, host, port, flight_port, user, password, rounds = sys.argv[1:]
QUERY = "select * from fct_person_months"


def flight_sql():
    with adbc_driver_flightsql.dbapi.connect(
        f"grpc://{host}:{flight_port}", db_kwargs={"username": user, "password": password}, autocommit=True
    ) as connection, connection.cursor() as cursor:
        cursor.execute(QUERY)
        return cursor.fetch_arrow_table().num_rows


def adbc_postgresql():
    uri = f"postgresql://{urllib.parse.quote(user)}:{urllib.parse.quote(password)}@{host}:{port}/kaigo?sslmode=disable"
    with adbc_driver_postgresql.dbapi.connect(uri) as connection, connection.cursor() as cursor:
        cursor.execute(QUERY)
        return cursor.fetch_arrow_table().num_rows


def psycopg_rows():
    with psycopg.connect(host=host, port=port, user=user, password=password, dbname="kaigo", sslmode="disable") as connection:
        return len(connection.execute(QUERY).fetchall())


def parquet_files():
    files = committed_files(Path(root) / "warehouse" / "fct_person_months")
    return pyarrow.parquet.ParquetDataset(files).read().num_rows


methods = {
    "Flight SQL (ADBC Flight SQL driver, to pyarrow)": flight_sql,
    "Postgres wire, binary COPY (ADBC PostgreSQL driver, to pyarrow)": adbc_postgresql,
    "Postgres wire, rows (psycopg 3 fetchall)": psycopg_rows,
    "Parquet files directly (pyarrow, no server)": parquet_files,
}
seconds = {name: [] for name in methods}
rows = set()
for _ in range(int(rounds)):
    for name, method in methods.items():
        started = time.perf_counter()
        rows.add(method())
        seconds[name].append(time.perf_counter() - started)
assert len(rows) == 1, rows
print(json.dumps({"rows": rows.pop(), "seconds": seconds}))
