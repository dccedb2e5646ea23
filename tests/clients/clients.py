"""The checks of the client-compatibility suite, run against one server.

Reads {"host", "port", "user", "password"} as JSON on stdin and prints {check: "ok" | error}
as JSON: each check is what a driver or tool does when an analyst or researcher uses it. The
Rust side (tests/clients/mod.rs) starts the server and says which checks must pass.
"""

import json
import sys
import traceback
import urllib.parse

import pandas
import psycopg
import sqlalchemy

request = json.load(sys.stdin)
dsn = psycopg.conninfo.make_conninfo(
    host=request["host"],
    port=request["port"],
    user=request["user"],
    password=request["password"],
    dbname="kaigo",
    sslmode="disable",
)
url = "postgresql+psycopg://{}:{}@{}:{}/kaigo?sslmode=disable".format(
    urllib.parse.quote(request["user"]),
    urllib.parse.quote(request["password"]),
    request["host"],
    request["port"],
)
results = {}


def check(name):
    def run(function):
        try:
            value = function()
            results[name] = "ok" if value is None or value is True else f"unexpected: {value!r}"
        except Exception as error:  # every failure is a result, not a crash of the suite
            results[name] = f"{type(error).__name__}: {error}".splitlines()[0][:300]
            traceback.print_exc(file=sys.stderr)
        return function

    return run


@check("psycopg: version() is PostgreSQL-shaped")
def _():
    with psycopg.connect(dsn) as connection:
        (version,) = connection.execute("select version()").fetchone()
        return version.startswith("PostgreSQL 16.") or version


@check("psycopg: server_version at login and in SHOW")
def _():
    with psycopg.connect(dsn) as connection:
        (shown,) = connection.execute("show server_version").fetchone()
        return (connection.info.server_version >= 160000 and shown.startswith("16.")) or shown


@check("psycopg: parameters, server-side prepared, binary results")
def _():
    with psycopg.connect(dsn) as connection:
        total = connection.execute("select count(*) from dim_persons").fetchone()[0]
        query = "select count(*) from dim_persons where sex_code = %s"
        parts = [connection.execute(query, (sex,), prepare=True).fetchone()[0] for sex in (1, 2)]
        with connection.cursor(binary=True) as cursor:
            cursor.execute("select person_key, sex_code from dim_persons order by person_key limit 3")
            binary = cursor.fetchall()
        return (sum(parts) == total and len(binary) == 3 and isinstance(binary[0][1], int)) or (parts, total)


@check("psycopg: a named (server-side) cursor fetched in parts")
def _():
    with psycopg.connect(dsn) as connection:
        with connection.transaction():
            with connection.cursor(name="persons") as cursor:
                cursor.execute("select person_key from dim_persons order by person_key")
                first, second = cursor.fetchmany(3), cursor.fetchmany(2)
                names = [column.name for column in cursor.description]
        expected = connection.execute("select person_key from dim_persons order by person_key limit 5").fetchall()
        return (first + second == expected and names == ["person_key"]) or (first, second, names)


@check("psycopg: savepoints inside a transaction")
def _():
    with psycopg.connect(dsn) as connection:
        with connection.transaction():
            with connection.transaction():
                connection.execute("select 1")
        return connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


@check("SQLAlchemy 2: connect and list the tables")
def _():
    engine = sqlalchemy.create_engine(url)
    tables = sqlalchemy.inspect(engine).get_table_names(schema="warehouse")
    return ("dim_persons" in tables and "fct_person_months" in tables) or tables


@check("pandas: read_sql with a parameter")
def _():
    engine = sqlalchemy.create_engine(url)
    frame = pandas.read_sql(
        sqlalchemy.text("select person_key, sex_code from dim_persons where sex_code = :sex"),
        engine,
        params={"sex": 2},
    )
    return (len(frame) > 0 and set(frame["sex_code"]) == {2}) or frame.shape


@check("pandas: read_sql in chunks")
def _():
    engine = sqlalchemy.create_engine(url)
    with engine.connect() as connection:
        total = connection.execute(sqlalchemy.text("select count(*) from dim_persons")).scalar()
    sizes = [len(chunk) for chunk in pandas.read_sql(sqlalchemy.text("select person_key from dim_persons"), engine, chunksize=100)]
    return (sum(sizes) == total and max(sizes) <= 100 and len(sizes) > 1) or (sizes, total)


@check("SQLAlchemy 2: the columns of a table")
def _():
    engine = sqlalchemy.create_engine(url)
    columns = [column["name"] for column in sqlalchemy.inspect(engine).get_columns("dim_persons", schema="warehouse")]
    return ("person_key" in columns) or columns


json.dump(results, sys.stdout)
