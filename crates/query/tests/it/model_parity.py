"""DuckDB (a real, independent engine) builds kaigo's models from the same Parquet files and
compares each with the table DataFusion built.

stdin: {"tables": {name: [parquet files]}, "models": [{"name": ..., "sql": path, "view": bool}] in build
        order (views are the staging models: defined, read by the others, not compared),
        "functions": path of DuckDB macros standing in for kaigo's SQL functions}
stdout: {model: {"rows": ours, "theirs": rows, "only_ours": n, "only_theirs": n}}

Each source table becomes a view over exactly its committed files (Delta keeps replaced files on
disk until vacuum, so a folder glob would read stale rows); partition columns come from the paths,
typed as text as in the Delta schema. DuckDB runs every model itself, in order, over its own
results: nothing DataFusion built is read except to compare. Doubles are compared to 6 decimals,
or 9 significant digits for large values (the engines may sum floating point in a different
order).
"""

import json
import sys

import duckdb

request = json.load(sys.stdin)
models = [model["name"] for model in request["models"]]
con = duckdb.connect()
con.execute(open(request["functions"], encoding="utf-8").read())


def view(name, files):
    listed = ", ".join(f"'{path}'" for path in files)
    partitioned = any("delivery_month=" in path for path in files)
    hive = ", hive_partitioning = true, hive_types = {'delivery_month': VARCHAR}" if partitioned else ""
    con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet([{listed}]{hive})")


for name, files in request["tables"].items():
    if name in models:
        view(f"ours_{name}", files)
    else:
        view(name, files)

report = {}
for model in request["models"]:
    name = model["name"]
    if model["view"]:
        con.execute(f"CREATE VIEW {name} AS {open(model['sql'], encoding='utf-8').read()}")
        continue
    con.execute(f"CREATE TABLE {name} AS {open(model['sql'], encoding='utf-8').read()}")
    columns = con.execute(f"DESCRIBE ours_{name}").fetchall()
    # Six decimals, or nine significant digits for values of 100 and more (costs in yen).
    select = ", ".join(
        f"round(cast({column} AS DOUBLE), least(6, 8 - cast(floor(log10(greatest(abs({column}), 1e-300))) AS INTEGER)))"
        f" AS {column}"
        if kind.startswith(("DOUBLE", "FLOAT", "DECIMAL"))
        else column
        for column, kind, *_ in columns
    )
    ours = f"SELECT {select} FROM ours_{name}"
    theirs = f"SELECT {select} FROM {name}"
    only_ours = con.execute(f"{ours} EXCEPT ALL {theirs}").fetchall()
    only_theirs = con.execute(f"{theirs} EXCEPT ALL {ours}").fetchall()
    report[name] = {
        "rows": con.execute(f"SELECT count(*) FROM ours_{name}").fetchone()[0],
        "theirs": con.execute(f"SELECT count(*) FROM {name}").fetchone()[0],
        "only_ours": len(only_ours),
        "only_theirs": len(only_theirs),
        # A few of the differing rows, to show what differs.
        "examples": [str(row) for row in only_ours[:3] + only_theirs[:3]],
    }
print(json.dumps(report))
