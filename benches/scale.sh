#!/usr/bin/env bash
# Benchmark (not a test): the whole pipeline at a share of the nation under one memory budget.
# For each size, the hub is generated one delivery at a time (`kaigo synth --deliveries`), each
# delivery loaded and deleted, then linkage, models, public release and dashboard run on the
# warehouse. Then one national delivery (7.1 M persons, one service month) through every stage.
# Per stage: wall time, CPU time (user + system) and peak RSS, summed (time) or maximal (RSS)
# over the per-delivery calls. Writes benches/results/scale.json.
#
# Usage: bash benches/scale.sh                      (builds the release binary first)
#   SIZES="71000 355000 710000"  persons per size (default: 1 %, 5 %, 10 % of the nation)
#   MONTHS=2025-04..2028-03      service months
#   NATIONAL=1                   also the national one-month run (0 to skip)
#   KAIGO_MEMORY_LIMIT=4GiB      the budget every command runs within
#   BENCH_DIR=/tmp/kaigo-scale   scratch; needs the largest delivery plus the warehouse
#   KAIGO=path/to/kaigo          a binary to use instead of building one
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${KAIGO:-}" ]; then
  cargo build --release --locked -p kaigo-cli
  KAIGO="${CARGO_TARGET_DIR:-target}/release/kaigo"
fi
SIZES="${SIZES:-71000 355000 710000}"
MONTHS="${MONTHS:-2025-04..2028-03}"
NATIONAL="${NATIONAL:-1}"
export KAIGO_MEMORY_LIMIT="${KAIGO_MEMORY_LIMIT:-4GiB}"
BENCH_DIR="${BENCH_DIR:-/tmp/kaigo-scale}"
mkdir -p benches/results "$BENCH_DIR"
timing="$BENCH_DIR/time"

# Accumulated per stage of the current size: wall, cpu, rss.
declare -A wall cpu rss
measure() {
  local stage="$1"
  shift
  if ! /usr/bin/time -f "%e %U %S %M" -o "$timing" "$@" > /dev/null 2>> "$BENCH_DIR/log"; then
    echo "scale: $stage failed: $* (the end of $BENCH_DIR/log says why)" >&2
    exit 1
  fi
  read -r seconds user system rss_kb < "$timing"
  wall[$stage]=$(awk -v a="${wall[$stage]:-0}" -v b="$seconds" 'BEGIN {print a + b}')
  cpu[$stage]=$(awk -v a="${cpu[$stage]:-0}" -v b="$user" -v c="$system" 'BEGIN {print a + b + c}')
  rss[$stage]=$(( rss_kb > ${rss[$stage]:-0} ? rss_kb : ${rss[$stage]:-0} ))
}

# One pipeline: persons, months; prints a JSON object.
pipeline() {
  local persons="$1" months="$2"
  local hub="$BENCH_DIR/hub" warehouse="$BENCH_DIR/warehouse" key="$BENCH_DIR/key"
  rm -rf "$hub" "$warehouse" "$BENCH_DIR/site" "$key"
  wall=() cpu=() rss=()
  "$KAIGO" key new --out "$key" > /dev/null 2>&1
  local first="${months%%..*}" last="${months##*..}"
  local delivery
  delivery=$(date -d "${first}-01 +1 month" +%Y%m)
  local end
  end=$(date -d "${last}-01 +1 month" +%Y%m)
  local deliveries=0 largest=0
  while [ "$delivery" -le "$end" ]; do
    measure synth "$KAIGO" synth --persons "$persons" --months "$months" --seed 7 --out "$hub" \
      --deliveries "$delivery"
    if [ -d "$hub/$delivery" ]; then
      local bytes
      bytes=$(du -sb "$hub/$delivery" | cut -f1)
      largest=$(( bytes > largest ? bytes : largest ))
      measure ingest "$KAIGO" ingest --drop "$hub/$delivery" --warehouse "$warehouse" --key "$key"
      rm -rf "${hub:?}/$delivery"
      deliveries=$((deliveries + 1))
    fi
    delivery=$(date -d "${delivery:0:4}-${delivery:4:2}-01 +1 month" +%Y%m)
  done
  measure linkage "$KAIGO" linkage run --warehouse "$warehouse" --key "$key"
  measure build "$KAIGO" build --warehouse "$warehouse"
  measure release "$KAIGO" release --warehouse "$warehouse"
  measure publish "$KAIGO" publish --warehouse "$warehouse" --out "$BENCH_DIR/site"
  local warehouse_bytes
  warehouse_bytes=$(du -sb "$warehouse" | cut -f1)
  local stages=()
  for stage in synth ingest linkage build release publish; do
    stages+=("\"$stage\": {\"wall_s\": ${wall[$stage]}, \"cpu_s\": ${cpu[$stage]}, \"peak_rss_kb\": ${rss[$stage]}}")
  done
  rm -rf "$hub" "$warehouse" "$BENCH_DIR/site" "$key"
  printf '{"persons": %s, "months": "%s", "deliveries": %s, "largest_delivery_bytes": %s, "warehouse_bytes": %s, "stages": {%s}}' \
    "$persons" "$months" "$deliveries" "$largest" "$warehouse_bytes" "$(IFS=,; echo "${stages[*]}")"
}

runs=()
for persons in $SIZES; do
  echo "scale: $persons persons × $MONTHS" >&2
  runs+=("$(pipeline "$persons" "$MONTHS")")
  echo "${runs[-1]}" >&2
done
if [ "$NATIONAL" = 1 ]; then
  echo "scale: national delivery, 7,100,000 persons × 2028-03" >&2
  runs+=("$(pipeline 7100000 2028-03..2028-03)")
  echo "${runs[-1]}" >&2
fi
# Runs of other sizes already in the results stay (each run names its commit and date), so the
# sizes can be run one at a time.
machine="$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m)"
printf '[%s]' "$(IFS=,; echo "${runs[*]}")" | python3 -c '
import json, sys
runs = json.load(sys.stdin)
for run in runs:
    run.update(commit=sys.argv[1], date=sys.argv[2], memory_limit=sys.argv[3])
try:
    with open("benches/results/scale.json") as file:
        kept = [run for run in json.load(file)["runs"] if (run["persons"], run["months"]) not in {(r["persons"], r["months"]) for r in runs}]
except FileNotFoundError:
    kept = []
runs = sorted(kept + runs, key=lambda run: run["persons"])
json.dump({"benchmark": "whole pipeline by delivery", "machine": sys.argv[4], "runs": runs}, sys.stdout, indent=1)
print()
' "$(git rev-parse --short HEAD)" "$(date +%F)" "$KAIGO_MEMORY_LIMIT" "$machine" > "$BENCH_DIR/scale.json"
mv "$BENCH_DIR/scale.json" benches/results/scale.json
cat benches/results/scale.json
