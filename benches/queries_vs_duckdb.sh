#!/usr/bin/env bash
# Benchmark (not a test): a query suite in DataFusion (`kaigo sql`) and in DuckDB
# (benches/queries_vs_duckdb.py) on the same committed Parquet files, in the same run: every
# answer compared first (benches/same_answers.py; the run stops if one differs), then hot runs
# (the minimum of RUNS after a first, discarded one, over ROUNDS rounds that alternate the two
# engines, so that a drift in the machine's speed hits both), per query and as a geometric mean.
# SUITE=models (default): the SQL of every sql/rollout and sql/outcomes model, over the marts
# `kaigo build` materialized → benches/results/queries_vs_duckdb.json. SUITE=adhoc: the analysts'
# ad-hoc questions of benches/adhoc/ over the loaded base tables and person_map →
# benches/results/adhoc_vs_duckdb.json.
# Usage: bash benches/queries_vs_duckdb.sh   (SUITE, PERSONS, MONTHS, RUNS, ROUNDS, BENCH_DIR;
# WAREHOUSE=an existing built warehouse, e.g. one left by this script)
# The default 500,000 persons is the smallest hub in which the synthetic world simulates all 1,571
# insurers (persons / 300, see kaigo-synth's world.rs), so the insurer-level marts the suite reads
# have their national size. Building it takes about half an hour and 22 GB of disk for the hub
# (deleted after the ingest); the warehouse keeps about 7 GB.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
cargo build --release --locked -p kaigo-cli
kaigo="$target/release/kaigo"
python="$(bash scripts/python-env.sh)"
BENCH_DIR="${BENCH_DIR:-/tmp/kaigo-query-bench}"
PERSONS="${PERSONS:-500000}"
MONTHS="${MONTHS:-2025-04..2028-03}"
RUNS="${RUNS:-3}"
# A round takes about 4 s on the 500,000-person warehouse, and one round's geometric mean alone
# ranged from 0.76 to 1.24 within one 20-round run on the 2-core machine: 20 rounds let the
# minimum find each engine's quiet moments.
ROUNDS="${ROUNDS:-20}"
WAREHOUSE="${WAREHOUSE:-$BENCH_DIR/wh}"
mkdir -p benches/results "$BENCH_DIR"
source benches/warehouse.sh
built_warehouse "$kaigo" "$WAREHOUSE" "$PERSONS" "$MONTHS" "$BENCH_DIR"
case "${SUITE:-models}" in
  models)
    queries=(sql/rollout/*.sql sql/outcomes/*.sql)
    suite_name="roll-out and outcome query suite"
    result=benches/results/queries_vs_duckdb.json
    ;;
  adhoc)
    queries=(benches/adhoc/*.sql)
    suite_name="ad-hoc analyst queries over the base tables"
    result=benches/results/adhoc_vs_duckdb.json
    ;;
  *) echo "SUITE is models or adhoc" >&2; exit 2 ;;
esac
functions=crates/query/tests/it/duckdb_functions.sql
answers="$BENCH_DIR/answers"
rm -rf "$answers"
mkdir -p "$answers"
for query in "${queries[@]}"; do
  "$kaigo" sql --warehouse "$WAREHOUSE" -f "$query" --format csv --out "$answers/$(basename "$query" .sql).kaigo.csv" 2>/dev/null
done
ANSWERS="$answers" "$python" benches/queries_vs_duckdb.py "$WAREHOUSE" "$functions" 1 "${queries[@]}" > /dev/null
"$python" benches/same_answers.py "$answers" "${queries[@]}"
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
for round in $(seq "$ROUNDS"); do
  "$kaigo" sql --warehouse "$WAREHOUSE" -f "$suite" --format csv --out /dev/null 2> "$BENCH_DIR/datafusion.$round.log"
  "$python" benches/queries_vs_duckdb.py "$WAREHOUSE" "$functions" "$((RUNS + 1))" \
    "${queries[@]}" > "$BENCH_DIR/duckdb.$round.json"
done
machine="$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m)"
rows="$("$kaigo" sql --warehouse "$WAREHOUSE" --format csv -c "select count(*) from fct_person_months" 2>/dev/null | tail -1)"
"$python" - "$BENCH_DIR" "$ROUNDS" "$RUNS" "$machine" "$rows" "$suite_name" "${queries[@]}" <<'PY' \
  > "$result"
import json, math, re, sys
from pathlib import Path
folder, rounds, runs, machine, rows, suite_name, *queries = sys.argv[1:]
rounds, runs = int(rounds), int(runs)
ours, theirs = [], []
for round in range(1, rounds + 1):
    log = (Path(folder) / f"datafusion.{round}.log").read_text()
    timings = [(int(n), float(s) - float(w), float(p)) for n, s, p, w in
               re.findall(r"^\((\d+) rows, ([0-9.]+)s; planning ([0-9.]+)s, writing ([0-9.]+)s\)$", log, re.M)]
    assert len(timings) == len(queries) * (runs + 1), (len(timings), log[-2000:])
    ours.append(timings)
    theirs.append(json.loads((Path(folder) / f"duckdb.{round}.json").read_text()))
result = {"benchmark": f"{suite_name}: DataFusion (kaigo sql) vs DuckDB, same Parquet files", "answers_equal": True,
          "machine": machine, "panel_rows": int(rows), "duckdb_threads": theirs[0]["threads"],
          "rounds": rounds, "hot_runs": runs, "queries": {}}
ratios = []
round_ratios = [[] for _ in range(rounds)]
for index, path in enumerate(queries):
    name = Path(path).stem
    hot = [(s, p) for timings in ours for _, s, p in timings[index * (runs + 1) + 1:(index + 1) * (runs + 1)]]
    rows_out = {timings[index * (runs + 1)][0] for timings in ours} | {duck["queries"][name]["rows"] for duck in theirs}
    assert len(rows_out) == 1, (name, rows_out)
    (datafusion, planning) = min(hot)
    duckdb = min(s for duck in theirs for s in duck["queries"][name]["seconds"][1:])
    ratios.append(datafusion / duckdb)
    for round in range(rounds):
        ours_round = min(s for _, s, _ in ours[round][index * (runs + 1) + 1:(index + 1) * (runs + 1)])
        round_ratios[round].append(ours_round / min(theirs[round]["queries"][name]["seconds"][1:]))
    result["queries"][name] = {"rows": rows_out.pop(), "datafusion_seconds": datafusion,
                               "datafusion_planning_seconds": planning,
                               "duckdb_seconds": duckdb, "ratio": datafusion / duckdb}
geometric_mean = lambda values: math.exp(sum(map(math.log, values)) / len(values))
result["geometric_mean_ratio_per_round"] = [geometric_mean(values) for values in round_ratios]
result["geometric_mean_ratio"] = geometric_mean(ratios)
print(json.dumps(result, indent=2))
PY
cat "$result"
