"""Check of benches/queries_vs_duckdb.sh: every query's answer from DataFusion equals DuckDB's.

argv: the answers folder (<name>.kaigo.csv and <name>.duckdb.csv per query), then the .sql files.
Cells are compared as text after normalizing numbers (integers exactly, decimals to 9 significant
digits: the engines sum floating point in different orders) and booleans; rows as a multiset
(a query's ORDER BY may leave ties). Prints the queries that differ and exits 1 if any does.
"""

import csv
import sys
from pathlib import Path


def cell(text):
    if text.lower() in ("true", "false"):
        return text.lower()
    try:
        return str(int(text))
    except ValueError:
        pass
    try:
        return f"{float(text):.9g}"
    except ValueError:
        return text


def rows(path):
    with open(path, newline="", encoding="utf-8") as file:
        return sorted(tuple(cell(value) for value in row) for row in list(csv.reader(file))[1:])


folder, *queries = sys.argv[1:]
differ = []
for query in queries:
    name = Path(query).stem
    ours, theirs = rows(Path(folder) / f"{name}.kaigo.csv"), rows(Path(folder) / f"{name}.duckdb.csv")
    if ours != theirs:
        first = next((pair for pair in zip(ours, theirs) if pair[0] != pair[1]), None)
        differ.append(name)
        print(f"{name}: {len(ours)} rows vs {len(theirs)} in DuckDB; first difference {first}", file=sys.stderr)
print(f"answers equal in {len(queries) - len(differ)} of {len(queries)} queries", file=sys.stderr)
sys.exit(1 if differ else 0)
