#!/usr/bin/env bash
# Benchmark (not a test): the monthly refresh. A hub's deliveries but the last are loaded, linked
# and built; then the last delivery is loaded and linked, and `kaigo build` (incremental: the
# panel rewrites only what the delivery changes) is timed against `kaigo build --full` on the same
# warehouse, each run twice, alternating. Writes benches/results/refresh.json.
#
# Usage: bash benches/refresh.sh                    (builds the release binary first)
#   PERSONS=100000               persons
#   MONTHS=2025-04..2028-03      service months
#   BENCH_DIR=/tmp/kaigo-refresh scratch (removed at the end)
#   KAIGO=path/to/kaigo          a binary to use instead of building one
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${KAIGO:-}" ]; then
  cargo build --release --locked -p kaigo-cli
  KAIGO="${CARGO_TARGET_DIR:-target}/release/kaigo"
fi
PERSONS="${PERSONS:-100000}"
MONTHS="${MONTHS:-2025-04..2028-03}"
BENCH_DIR="${BENCH_DIR:-/tmp/kaigo-refresh}"
hub="$BENCH_DIR/hub" warehouse="$BENCH_DIR/warehouse" key="$BENCH_DIR/key" log="$BENCH_DIR/log"
rm -rf "$BENCH_DIR"
mkdir -p "$BENCH_DIR" benches/results
"$KAIGO" key new --out "$key" > /dev/null 2>&1
"$KAIGO" synth --persons "$PERSONS" --months "$MONTHS" --seed 7 --out "$hub" 2>> "$log"
deliveries=$(ls "$hub" | grep -E '^[0-9]{6}$')
last=$(echo "$deliveries" | tail -1)
for delivery in $deliveries; do
  [ "$delivery" = "$last" ] && continue
  "$KAIGO" ingest --drop "$hub/$delivery" --warehouse "$warehouse" --key "$key" 2>> "$log"
done
"$KAIGO" linkage run --warehouse "$warehouse" --key "$key" 2>> "$log"
"$KAIGO" build --warehouse "$warehouse" 2>> "$log"
"$KAIGO" ingest --drop "$hub/$last" --warehouse "$warehouse" --key "$key" 2>> "$log"
"$KAIGO" linkage run --warehouse "$warehouse" --key "$key" 2>> "$log"
rm -rf "$hub"
cp -a "$warehouse" "$BENCH_DIR/before"

# One build of the warehouse as it was before the first: prints "wall cpu rss_kb panel_seconds".
timed_build() {
  rm -rf "$warehouse"
  cp -a "$BENCH_DIR/before" "$warehouse"
  /usr/bin/time -f "%e %U %S %M" -o "$BENCH_DIR/time" "$KAIGO" build --warehouse "$warehouse" "$@" \
    2> "$BENCH_DIR/build.log"
  cat "$BENCH_DIR/build.log" >> "$log"
  local panel
  panel=$(sed 's/\x1b\[[0-9;]*m//g' "$BENCH_DIR/build.log" | awk '$2 == "fct_person_months" && /version/ {print $(NF)}' \
    | tr -d s | head -1)
  read -r seconds user system rss_kb < "$BENCH_DIR/time"
  echo "$seconds $(awk -v a="$user" -v b="$system" 'BEGIN {print a + b}') $rss_kb $panel"
}

runs=()
for round in 1 2; do
  for mode in incremental full; do
    if [ "$mode" = full ]; then result=$(timed_build --full); else result=$(timed_build); fi
    read -r seconds cpu rss_kb panel <<< "$result"
    echo "refresh: round $round, $mode build: ${seconds}s wall, ${cpu}s CPU, $((rss_kb / 1024)) MiB, panel ${panel}s" >&2
    runs+=("{\"round\": $round, \"mode\": \"$mode\", \"wall_seconds\": $seconds, \"cpu_seconds\": $cpu, \"peak_rss_mib\": $((rss_kb / 1024)), \"panel_seconds\": $panel}")
  done
done
rewrote=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep "rewrote" | tail -1 | sed 's/^build: *//')
{
  echo "{"
  echo "  \"persons\": $PERSONS, \"months\": \"$MONTHS\", \"added_delivery\": \"$last\","
  echo "  \"machine\": \"$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB\","
  echo "  \"panel_rewrote\": \"$rewrote\","
  echo "  \"runs\": ["
  (IFS=$'\n'; echo "${runs[*]}" | sed 's/^/    /; $!s/$/,/')
  echo "  ]"
  echo "}"
} > benches/results/refresh.json
rm -rf "$BENCH_DIR"
cat benches/results/refresh.json
