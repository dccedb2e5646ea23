#!/usr/bin/env bash
# Benchmark (not a test): `kaigo ingest` of one delivery of a large synthetic hub (every insurer
# live, one service month) against DuckDB doing the same job (benches/ingest_vs_duckdb.py), on
# the same files in the same run; at two hub sizes, to show kaigo's peak memory does not grow
# with the input. REPEATS=n runs both n times per size, alternating (this machine's speed drifts
# by tens of percent over minutes, so one pair of runs is not enough to compare). Writes
# benches/results/ingest_vs_duckdb.json. Needs ~3 × the hub size of free disk under $BENCH_DIR.
# Usage: [SIZES="1775000 3550000"] [REPEATS=1] bash benches/ingest_vs_duckdb.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p kaigo-cli
kaigo="${CARGO_TARGET_DIR:-target}/release/kaigo"
python="$(bash scripts/python-env.sh)"
BENCH_DIR="${BENCH_DIR:-/tmp/kaigo-bench}"
SIZES="${SIZES:-1775000 3550000}"
REPEATS="${REPEATS:-1}"
mkdir -p benches/results "$BENCH_DIR"
rm -f "$BENCH_DIR/bench.key"
"$kaigo" key new --out "$BENCH_DIR/bench.key" 2>/dev/null
results=()
for persons in $SIZES; do
  rm -rf "$BENCH_DIR/hub"
  "$kaigo" synth --persons "$persons" --months 2028-03..2028-03 --seed 7 --out "$BENCH_DIR/hub" 2>/dev/null
  delivery="$BENCH_DIR/hub/202804"
  bytes=$(du -sb "$delivery" | cut -f1)
  for repeat in $(seq "$REPEATS"); do
    rm -rf "$BENCH_DIR/wh" "$BENCH_DIR/duck"
    sync
    /usr/bin/time -f "%e %M" -o "$BENCH_DIR/kaigo.time" \
      "$kaigo" ingest --drop "$delivery" --warehouse "$BENCH_DIR/wh" --key "$BENCH_DIR/bench.key" \
      --report-json "$BENCH_DIR/ingest.json" 2> "$BENCH_DIR/kaigo.log" || true
    read -r kaigo_seconds kaigo_rss_kb < "$BENCH_DIR/kaigo.time"
    rows=$("$python" -c "import json; print(json.load(open('$BENCH_DIR/ingest.json'))[0]['rows_in'])")
    sync
    /usr/bin/time -f "%e %M" -o "$BENCH_DIR/duck.time" \
      "$python" benches/ingest_vs_duckdb.py "$delivery" "$BENCH_DIR/duck" > "$BENCH_DIR/duck.json"
    read -r duck_seconds duck_rss_kb < "$BENCH_DIR/duck.time"
    echo "persons=$persons repeat=$repeat bytes=$bytes rows=$rows kaigo=${kaigo_seconds}s/${kaigo_rss_kb}kB duckdb=${duck_seconds}s/${duck_rss_kb}kB"
    results+=("{\"persons\": $persons, \"repeat\": $repeat, \"bytes\": $bytes, \"rows_in\": $rows, \"kaigo_seconds\": $kaigo_seconds, \"kaigo_peak_rss_kb\": $kaigo_rss_kb, \"duckdb_seconds\": $duck_seconds, \"duckdb_peak_rss_kb\": $duck_rss_kb}")
  done
done
rm -rf "$BENCH_DIR/hub" "$BENCH_DIR/wh" "$BENCH_DIR/duck"
machine="$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m)"
printf '{"benchmark": "ingest one delivery (all insurers live, one service month) vs DuckDB", "machine": "%s", "runs": [%s]}\n' \
  "$machine" "$(IFS=,; echo "${results[*]}")" > benches/results/ingest_vs_duckdb.json
cat benches/results/ingest_vs_duckdb.json
