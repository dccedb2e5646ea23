"""DuckDB runs a kaigo SQL model over the same Parquet files and prints an aggregate of it.

stdin: {"sql": path, "tables": {name: [parquet files]}, "aggregate": "SELECT ... FROM model"}
Each table becomes a view over exactly its committed files (Delta keeps replaced files on disk
until vacuum, so a folder glob would read stale rows); partition columns come from the paths.
"""

import json
import sys

import duckdb

request = json.load(sys.stdin)
con = duckdb.connect()
for name, files in request["tables"].items():
    listed = ", ".join(f"'{path}'" for path in files)
    con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet([{listed}], hive_partitioning = true)")
model = open(request["sql"], encoding="utf-8").read()
con.execute(f"CREATE TABLE model AS {model}")
row = con.execute(request["aggregate"]).fetchone()
print(json.dumps([None if value is None else int(value) for value in row]))
