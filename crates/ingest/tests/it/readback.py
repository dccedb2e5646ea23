"""Read committed warehouse Parquet files with real clients (DuckDB, pyarrow), not kaigo's code.

stdin:  {"<table>": {"files": [paths], "sum": [integer columns]}, ...}
stdout: {"<table>": {"duckdb_rows": n, "pyarrow_rows": n, "sums": {"<column>": n}}, ...}
"""

import json
import sys

import duckdb
import pyarrow.parquet as pq

request = json.load(sys.stdin)
answer = {}
connection = duckdb.connect()
for table, spec in request.items():
    files = spec["files"]
    if not files:
        answer[table] = {"duckdb_rows": 0, "pyarrow_rows": 0, "sums": {c: None for c in spec["sum"]}}
        continue
    sums = ", ".join(f'sum("{column}")::BIGINT' for column in spec["sum"])
    select = "count(*)" + (", " + sums if sums else "")
    row = connection.execute(f"SELECT {select} FROM read_parquet(?)", [files]).fetchone()
    answer[table] = {
        "duckdb_rows": row[0],
        "pyarrow_rows": sum(pq.ParquetFile(path).metadata.num_rows for path in files),
        "sums": dict(zip(spec["sum"], row[1:])),
    }
json.dump(answer, sys.stdout)
