"""DuckDB side of benches/queries_vs_duckdb.sh: run each query of the suite over the same committed
Parquet files kaigo reads, `runs` times in a row, and print every run's seconds (the shell script
drops the first, cold run and takes the minimum of the rest).

argv: warehouse root, DuckDB macros file, runs, then the .sql files of the suite.
stdout: {"threads": n, "queries": {name: {"rows": n, "seconds": [..]}}}
With ANSWERS=folder in the environment, each query's last result is also written there as
<name>.duckdb.csv, for the shell script to compare with DataFusion's.

Each table of <warehouse>/warehouse is a view over exactly the files its Delta log has committed
(replayed from _delta_log/*.json: add minus remove), with hive partitions typed as text as in
the Delta schema. Results are fetched as Arrow, as DataFusion collects record batches.
"""

import json
import os
import sys
import time
from pathlib import Path

import duckdb
import pyarrow.csv

from delta_files import committed_files

root, functions, runs, *queries = sys.argv[1:]
runs = int(runs)
con = duckdb.connect()
con.execute(Path(functions).read_text(encoding="utf-8"))


for table in sorted((Path(root) / "warehouse").iterdir()):
    files = committed_files(table)
    if not files:
        continue
    listed = ", ".join(f"'{path}'" for path in files)
    hive = ", hive_partitioning = true, hive_types = {'delivery_month': VARCHAR}" if "delivery_month=" in listed else ""
    con.execute(f"CREATE VIEW {table.name} AS SELECT * FROM read_parquet([{listed}]{hive})")

report = {"threads": con.execute("SELECT current_setting('threads')").fetchone()[0], "queries": {}}
for path in queries:
    sql = Path(path).read_text(encoding="utf-8")
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        result = con.execute(sql).fetch_arrow_table()
        seconds.append(time.perf_counter() - started)
    report["queries"][Path(path).stem] = {"rows": result.num_rows, "seconds": seconds}
    if os.environ.get("ANSWERS"):
        pyarrow.csv.write_csv(result, Path(os.environ["ANSWERS"]) / f"{Path(path).stem}.duckdb.csv")
print(json.dumps(report))
