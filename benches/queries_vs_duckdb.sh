#!/usr/bin/env bash
# Benchmark (not a test): the roll-out and outcome query suite — the SQL of every sql/rollout and
# sql/outcomes model, over the marts `kaigo build` materialized — in DataFusion (`kaigo sql`) and
# in DuckDB (benches/queries_vs_duckdb.py) on the same committed Parquet files, in the same run:
# hot runs (the minimum of RUNS after a first, discarded one), per query and as a geometric mean.
# Writes benches/results/queries_vs_duckdb.json.
# Usage: bash benches/queries_vs_duckdb.sh   (PERSONS, MONTHS, RUNS, BENCH_DIR; WAREHOUSE=an existing
# built warehouse, e.g. one left by this script)
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
cargo build --release --locked -p kaigo-cli
kaigo="$target/release/kaigo"
python="$(bash scripts/python-env.sh)"
BENCH_DIR="${BENCH_DIR:-/tmp/kaigo-query-bench}"
PERSONS="${PERSONS:-100000}"
MONTHS="${MONTHS:-2025-04..2028-03}"
RUNS="${RUNS:-3}"
WAREHOUSE="${WAREHOUSE:-$BENCH_DIR/wh}"
mkdir -p benches/results "$BENCH_DIR"
if [[ ! -d "$WAREHOUSE/warehouse/fct_person_months" ]]; then
  rm -rf "$BENCH_DIR/hub" "$WAREHOUSE" "$BENCH_DIR/bench.key"
  "$kaigo" synth --persons "$PERSONS" --months "$MONTHS" --seed 7 --out "$BENCH_DIR/hub" 2>/dev/null
  "$kaigo" key new --out "$BENCH_DIR/bench.key" 2>/dev/null
  "$kaigo" ingest --drop "$BENCH_DIR/hub" --warehouse "$WAREHOUSE" --key "$BENCH_DIR/bench.key" 2>/dev/null
  "$kaigo" linkage run --warehouse "$WAREHOUSE" --key "$BENCH_DIR/bench.key" 2>/dev/null
  "$kaigo" build --warehouse "$WAREHOUSE" 2>/dev/null
fi
queries=(sql/rollout/*.sql sql/outcomes/*.sql)
# DataFusion: one process, each query RUNS + 1 times in a row; `kaigo sql` prints
# "(rows, seconds; planning seconds, writing seconds)" per statement on stderr: from the parsed
# statement to the last row written as CSV to /dev/null, and of it the planning (logical and
# physical) and the writing. The time compared is the total less the writing: DuckDB's is from
# the SQL text to the result as an Arrow table.
suite="$BENCH_DIR/suite.sql"
: > "$suite"
for query in "${queries[@]}"; do
  for _ in $(seq 0 "$RUNS"); do
    cat "$query" >> "$suite"
    printf ';\n' >> "$suite"
  done
done
"$kaigo" sql --warehouse "$WAREHOUSE" -f "$suite" --format csv --out /dev/null 2> "$BENCH_DIR/datafusion.log"
"$python" benches/queries_vs_duckdb.py "$WAREHOUSE" crates/query/tests/it/duckdb_functions.sql "$((RUNS + 1))" \
  "${queries[@]}" > "$BENCH_DIR/duckdb.json"
machine="$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m)"
rows="$("$kaigo" sql --warehouse "$WAREHOUSE" --format csv -c "select count(*) from fct_person_months" 2>/dev/null | tail -1)"
"$python" - "$BENCH_DIR/datafusion.log" "$BENCH_DIR/duckdb.json" "$RUNS" "$machine" "$rows" "${queries[@]}" <<'PY' \
  > benches/results/queries_vs_duckdb.json
import json, math, re, sys
from pathlib import Path
log, duck, runs, machine, rows, *queries = sys.argv[1:]
runs = int(runs)
timings = [(int(n), float(s) - float(w), float(p)) for n, s, p, w in
           re.findall(r"^\((\d+) rows, ([0-9.]+)s; planning ([0-9.]+)s, writing ([0-9.]+)s\)$",
                      Path(log).read_text(), re.M)]
assert len(timings) == len(queries) * (runs + 1), (len(timings), Path(log).read_text()[-2000:])
duck = json.loads(Path(duck).read_text())
result = {"benchmark": "roll-out and outcome query suite: DataFusion (kaigo sql) vs DuckDB, same Parquet files",
          "machine": machine, "panel_rows": int(rows), "duckdb_threads": duck["threads"],
          "hot_runs": runs, "queries": {}}
ratios = []
for index, path in enumerate(queries):
    name = Path(path).stem
    ours = timings[index * (runs + 1):(index + 1) * (runs + 1)]
    theirs = duck["queries"][name]
    assert ours[0][0] == theirs["rows"], (name, ours[0][0], theirs["rows"])
    (datafusion, planning), duckdb = min((s, p) for _, s, p in ours[1:]), min(theirs["seconds"][1:])
    ratios.append(datafusion / duckdb)
    result["queries"][name] = {"rows": theirs["rows"], "datafusion_seconds": datafusion,
                               "datafusion_planning_seconds": planning,
                               "duckdb_seconds": duckdb, "ratio": datafusion / duckdb}
result["geometric_mean_ratio"] = math.exp(sum(map(math.log, ratios)) / len(ratios))
print(json.dumps(result, indent=2))
PY
cat benches/results/queries_vs_duckdb.json
