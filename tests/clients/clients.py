"""The checks of the client-compatibility suite, run against one server.

Reads {"host", "port", "user", "password"} as JSON on stdin and prints {check: "ok" | error}
as JSON: each check is what a driver or tool does when an analyst or researcher uses it. The
Rust side (tests/clients/mod.rs) starts the server and says which checks must pass. With a
"flight_port" too (kaigo's Arrow Flight SQL endpoint, which PostgreSQL has not), the
"Arrow Flight SQL" checks run as well, each comparing what it reads with the Postgres endpoint.
"""

import asyncio
import datetime
import decimal
import json
import os
import re
import subprocess
import sys
import tempfile
import traceback
import urllib.parse

import adbc_driver_flightsql.dbapi
import adbc_driver_postgresql.dbapi
import asyncpg
import pandas
import pg8000.native
import polars
import psycopg
import pyodbc
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
        return re.match(r"PostgreSQL \d+\.\d+", version) is not None or version


@check("psycopg: server_version at login and in SHOW")
def _():
    with psycopg.connect(dsn) as connection:
        (shown,) = connection.execute("show server_version").fetchone()
        major = connection.info.server_version // 10000
        return (major >= 12 and shown.split(".")[0] == str(major)) or shown


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


@check("psycopg: the type OIDs of dates, booleans, integers, decimals, text and timestamps")
def _():
    with psycopg.connect(dsn) as connection:
        cursor = connection.execute(
            """select cast('2026-11-01' as date) as d, true as b, cast(1 as smallint) as i2, cast(1 as integer) as i4,
                      cast(1 as bigint) as i8, cast(1.25 as numeric(10, 2)) as n, cast(1.5 as double precision) as f8,
                      cast('x' as text) as t, cast('2026-11-01 10:00:00' as timestamp) as ts"""
        )
        oids = [column.type_code for column in cursor.description]
        values = cursor.fetchone()
    expected = [1082, 16, 21, 23, 20, 1700, 701, 25, 1114]
    return (oids == expected and values[5] == decimal.Decimal("1.25")) or (oids, values)


@check("psycopg: COPY (query) TO STDOUT as CSV")
def _():
    with psycopg.connect(dsn) as connection:
        with connection.cursor() as cursor:
            query = "copy (select person_key, sex_code from dim_persons order by person_key limit 3) to stdout with (format csv, header)"
            with cursor.copy(query) as copy:
                text = b"".join(bytes(block) for block in copy).decode()
        rows = connection.execute("select person_key, sex_code from dim_persons order by person_key limit 3").fetchall()
    expected = "person_key,sex_code\n" + "".join(f"{key},{sex}\n" for key, sex in rows)
    return text == expected or text


@check("psycopg: COPY (query) TO STDOUT in binary, read back typed")
def _():
    with psycopg.connect(dsn) as connection:
        # The month of women only: NULLs in the binary rows too.
        query = """select person_key, sex_code, case when sex_code = 2 then first_certified_month_key end as month_key
                   from dim_persons order by person_key limit 50"""
        expected = connection.execute(query).fetchall()
        with connection.cursor() as cursor:
            with cursor.copy(f"copy ({query}) to stdout (format binary)") as copy:
                copy.set_types(["text", "int4", "int4"])
                rows = list(copy.rows())
    return (rows == expected and any(row[2] is None for row in rows)) or rows[:3]


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


@check("psycopg: a correlated subquery in the select list, with a parameter")
def _():
    with psycopg.connect(dsn) as connection:
        query = """
            select p.person_key,
                (select count(*) from fct_person_months m where m.person_key = p.person_key and m.month_key >= %s)
            from dim_persons p order by p.person_key limit 20"""
        counted = connection.execute(query, (202701,)).fetchall()
        joined = connection.execute(
            """select p.person_key, count(m.person_key) from (select person_key from dim_persons order by person_key limit 20) p
               left join fct_person_months m on m.person_key = p.person_key and m.month_key >= %s
               group by p.person_key order by p.person_key""",
            (202701,),
        ).fetchall()
        return (counted == joined and any(n > 0 for _, n in counted)) or (counted[:3], joined[:3])


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
    columns = {
        column["name"]: (str(column["type"]), column["nullable"])
        for column in sqlalchemy.inspect(engine).get_columns("dim_persons", schema="warehouse")
    }
    expected = {"person_key": ("TEXT", False), "sex_code": ("INTEGER", False), "first_certified_month_key": ("INTEGER", True)}
    return all(columns.get(name) == kind for name, kind in expected.items()) or columns


@check("pandas: read_sql_table (reflected)")
def _():
    engine = sqlalchemy.create_engine(url)
    frame = pandas.read_sql_table("dim_insurer_months", engine, schema="warehouse", columns=["insurer_number", "month_key"])
    return (len(frame) > 0 and list(frame.columns) == ["insurer_number", "month_key"]) or frame.shape


@check("pg8000: extended protocol, SCRAM, named parameters")
def _():
    connection = pg8000.native.Connection(
        request["user"], host=request["host"], port=request["port"], password=request["password"], database="kaigo"
    )
    try:
        (total,) = connection.run("select count(*) from dim_persons")[0]
        parts = [connection.run("select count(*) from dim_persons where sex_code = :sex", sex=sex)[0][0] for sex in (1, 2)]
        first = connection.run("select person_key, first_certified_month_key from dim_persons order by person_key limit 1")
        return (sum(parts) == total and isinstance(first[0][1], int)) or (parts, total, first)
    finally:
        connection.close()


@check("asyncpg: binary protocol, prepared statement, types")
def _():
    async def run():
        connection = await asyncpg.connect(
            host=request["host"], port=request["port"], user=request["user"], password=request["password"],
            database="kaigo", ssl=False,
        )
        try:
            statement = await connection.prepare(
                "select month_key, cost_yen, is_facility from fct_person_months where month_key >= $1 limit 3"
            )
            rows = await statement.fetch(202612)
            typed = await connection.fetchrow(
                "select cast('2026-11-01' as date) as day, cast(1.5 as double precision) as share, true as flag"
            )
            return rows, typed
        finally:
            await connection.close()

    rows, typed = asyncio.run(run())
    expected = (datetime.date(2026, 11, 1), 1.5, True)
    return (
        len(rows) == 3 and all(row["month_key"] >= 202612 and isinstance(row["is_facility"], bool) for row in rows)
        and tuple(typed) == expected
    ) or (rows, typed)


@check("polars: read_database through SQLAlchemy and in batches")
def _():
    engine = sqlalchemy.create_engine(url)
    frame = polars.read_database("select person_key, sex_code from dim_persons where sex_code = 2", engine)
    with psycopg.connect(dsn) as connection:
        batches = polars.read_database(
            "select person_key from dim_persons", connection, iter_batches=True, batch_size=500
        )
        sizes = [batch.height for batch in batches]
    return (frame.height > 0 and frame["sex_code"].unique().to_list() == [2] and max(sizes) <= 500
            and sum(sizes) > frame.height) or (frame.shape, sizes)


@check("ODBC (psqlODBC, pyodbc): parameters, SQLTables, SQLColumns")
def _():
    connection = pyodbc.connect(
        "DRIVER={PostgreSQL Unicode};SERVER=%s;PORT=%s;DATABASE=kaigo;UID=%s;PWD=%s;SSLmode=disable"
        % (request["host"], request["port"], request["user"], request["password"]),
        timeout=10,
    )
    try:
        cursor = connection.cursor()
        total = cursor.execute("select count(*) from dim_persons").fetchone()[0]
        parts = [cursor.execute("select count(*) from dim_persons where sex_code = ?", sex).fetchone()[0] for sex in (1, 2)]
        tables = {row.table_name for row in cursor.tables(schema="warehouse", tableType="TABLE")}
        columns = {row.column_name: row.type_name for row in cursor.columns(table="dim_persons", schema="warehouse")}
    finally:
        connection.close()
    return (
        sum(parts) == total and {"dim_persons", "fct_person_months"} <= tables
        and columns.get("person_key") == "text" and columns.get("sex_code") == "int4"
    ) or (parts, total, sorted(tables)[:5], columns)


@check("ADBC (PostgreSQL driver): Arrow tables, parameters")
def _():
    uri = "postgresql://{}:{}@{}:{}/kaigo?sslmode=disable".format(
        urllib.parse.quote(request["user"]), urllib.parse.quote(request["password"]), request["host"], request["port"]
    )
    with adbc_driver_postgresql.dbapi.connect(uri) as connection:
        with connection.cursor() as cursor:
            cursor.execute("select person_key, sex_code from dim_persons order by person_key")
            table = cursor.fetch_arrow_table()
            cursor.execute("select count(*) from dim_persons where sex_code = $1", parameters=(2,))
            (women,) = cursor.fetchone()
    return (
        table.column_names == ["person_key", "sex_code"] and table.num_rows > women > 0
        and str(table.schema.field("sex_code").type) == "int32"
    ) or (table.schema, table.num_rows, women)


# Debian's libpostgresql-jdbc-java (scripts/system-packages.sh).
JDBC_DRIVER = "/usr/share/java/postgresql.jar"


@check("JDBC (PostgreSQL driver, as DBeaver and Metabase): DatabaseMetaData, prepared statements")
def _():
    source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "JdbcCheck.java")
    done = subprocess.run(
        ["java", "-cp", JDBC_DRIVER, source, request["host"], str(request["port"]), request["user"]],
        input=request["password"] + "\n", capture_output=True, text=True, timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode)
    found = {}
    for line in done.stdout.splitlines():
        key, value = line.split("\t", 1)
        found.setdefault(key, []).append(value)
    counts = dict(value.split() for value in found.get("count", []))
    return (
        found["product"][0].startswith("PostgreSQL ")
        and {"dim_persons", "fct_person_months"} <= set(found.get("table", []))
        # java.sql.Types: VARCHAR 12, INTEGER 4.
        and {"person_key 12 text", "sex_code 4 int4"} <= set(found.get("column", []))
        and int(counts["1"]) + int(counts["2"]) == int(counts["0"]) > 0
    ) or found


def psql(command):
    environment = dict(os.environ, PGPASSWORD=request["password"], PGCONNECT_TIMEOUT="10")
    conninfo = f"host={request['host']} port={request['port']} user={request['user']} dbname=kaigo sslmode=disable"
    done = subprocess.run(["psql", conninfo, "-X", "-c", command], capture_output=True, text=True, env=environment)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip())
    return done.stdout


# psql's listings: the command, and what its output must contain.
PSQL_LISTINGS = {
    "psql: \\d of a table": ("\\d dim_persons", ["person_key", "integer"]),
    "psql: \\d+ of a table (storage, description)": (
        "\\d+ dim_persons", ["person_key", "integer", "Storage", "Description"]
    ),
    "psql: \\dt lists the tables": ("\\dt", ["dim_persons", "fct_person_months"]),
    "psql: \\df lists the functions outside pg_catalog": ("\\df", ["List of functions", "(0 rows)"]),
    "psql: \\l lists the database": ("\\l", ["kaigo"]),
}
for name, (command, expected) in PSQL_LISTINGS.items():

    def listing(command=command, expected=expected):
        printed = psql(command)
        return all(text in printed for text in expected) or printed

    check(name)(listing)


@check("psql: \\copy (query) to a CSV file with a header")
def _():
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "persons.csv")
        psql(f"\\copy (select person_key, sex_code from dim_persons order by person_key) to '{path}' with csv header")
        frame = polars.read_csv(path)
    with psycopg.connect(dsn) as connection:
        total = connection.execute("select count(*) from dim_persons").fetchone()[0]
    return (frame.columns == ["person_key", "sex_code"] and frame.height == total) or (frame.columns, frame.height, total)


def flight_connect(password=None):
    return adbc_driver_flightsql.dbapi.connect(
        "grpc://{}:{}".format(request["host"], request["flight_port"]),
        db_kwargs={"username": request["user"], "password": password or request["password"]},
        autocommit=True,
    )


PERSON_MONTHS = "select * from fct_person_months order by person_key, month_key"


def flight_checks():
    @check("Arrow Flight SQL (ADBC): a pyarrow table holds what psycopg reads, value by value")
    def _():
        with flight_connect() as connection, connection.cursor() as cursor:
            cursor.execute(PERSON_MONTHS)
            table = cursor.fetch_arrow_table()
        with psycopg.connect(dsn) as connection:
            cursor = connection.execute(PERSON_MONTHS)
            names = [column.name for column in cursor.description]
            rows = cursor.fetchall()
        flight_rows = [tuple(row[name] for name in names) for row in table.to_pylist()]
        return (table.column_names == names and table.num_rows > 0 and flight_rows == rows) or (
            table.column_names, names, table.num_rows, len(rows)
        )

    @check("Arrow Flight SQL (ADBC): polars and pandas read the same frame")
    def _():
        with flight_connect() as connection:
            frame = polars.read_database(PERSON_MONTHS, connection)
            with connection.cursor() as cursor:
                cursor.execute(PERSON_MONTHS)
                table = cursor.fetch_arrow_table()
            pandas_frame = pandas.read_sql(PERSON_MONTHS, connection)
        return (
            frame.equals(polars.from_arrow(table)) and len(pandas_frame) == frame.height
            and list(pandas_frame.columns) == frame.columns
        ) or (frame.shape, table.num_rows, pandas_frame.shape)

    @check("Arrow Flight SQL (ADBC): parameters as ? and as $1")
    def _():
        query = "select count(*) from fct_person_months where month_key >= {} and is_facility = {}"
        with psycopg.connect(dsn) as connection:
            (expected,) = connection.execute(query.format("%s", "%s"), (202608, False)).fetchone()
        with flight_connect() as connection, connection.cursor() as cursor:
            cursor.execute(query.format("?", "?"), parameters=(202608, False))
            (question_marks,) = cursor.fetchone()
            cursor.execute(query.format("$1", "$2"), parameters=(202608, False))
            (numbered,) = cursor.fetchone()
        return (expected > 0 and question_marks == numbered == expected) or (expected, question_marks, numbered)

    @check("Arrow Flight SQL (ADBC): the catalog lists the tables and their columns")
    def _():
        with psycopg.connect(dsn) as connection:
            tables = {row[0] for row in connection.execute(
                "select table_name from information_schema.tables where table_schema = 'warehouse'")}
            columns = [row[0] for row in connection.execute(
                "select column_name from information_schema.columns where table_name = 'fct_person_months' "
                "order by ordinal_position")]
        with flight_connect() as connection:
            objects = connection.adbc_get_objects(depth="tables").read_all().to_pylist()
            schema = connection.adbc_get_table_schema("fct_person_months")
        listed = {
            table["table_name"]
            for catalog in objects for database_schema in catalog["catalog_db_schemas"]
            for table in database_schema["db_schema_tables"]
        }
        return (listed == tables and schema.names == columns) or (sorted(listed ^ tables), schema.names, columns)

    @check("Arrow Flight SQL (ADBC): a wrong password is refused")
    def _():
        try:
            with flight_connect(password="not " + request["password"]) as connection, connection.cursor() as cursor:
                cursor.execute("select 1")
        except adbc_driver_flightsql.dbapi.Error as error:
            return "password authentication failed" in str(error) or str(error)
        return "logged in"


if "flight_port" in request:
    flight_checks()


json.dump(results, sys.stdout)
