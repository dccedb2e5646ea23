#!/usr/bin/env bash
# Benchmark (not a test): the synthetic hub at national size for one service month, and the
# same month at 1/4 and 1/2 size to show that cost grows linearly with persons.
# Writes benches/results/synth_national.json. Needs ~10 GB of free disk under $BENCH_DIR.
# Usage: bash benches/synth_national.sh   (builds the release binary first)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p kaigo-cli
kaigo="${CARGO_TARGET_DIR:-target}/release/kaigo"
BENCH_DIR="${BENCH_DIR:-/tmp/kaigo-bench}"
mkdir -p benches/results
results=()
for persons in 1775000 3550000 7100000; do
  rm -rf "$BENCH_DIR/hub"
  /usr/bin/time -f "%e %M" -o "$BENCH_DIR.time" \
    "$kaigo" synth --persons "$persons" --months 2028-03..2028-03 --seed 7 --out "$BENCH_DIR/hub" \
    2> "$BENCH_DIR.log"
  read -r seconds rss_kb < "$BENCH_DIR.time"
  summary=$(grep "kaigo synth:" "$BENCH_DIR.log")
  statements=$(echo "$summary" | sed -E 's/.*\(([0-9]+) statements\).*/\1/')
  bytes=$(du -sb "$BENCH_DIR/hub" | cut -f1)
  echo "persons=$persons seconds=$seconds peak_rss_kb=$rss_kb statements=$statements bytes=$bytes"
  results+=("{\"persons\": $persons, \"seconds\": $seconds, \"peak_rss_kb\": $rss_kb, \"statements\": $statements, \"bytes\": $bytes}")
done
rm -rf "$BENCH_DIR/hub"
machine="$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m)"
printf '{"benchmark": "synth one service month", "machine": "%s", "runs": [%s]}\n' "$machine" "$(IFS=,; echo "${results[*]}")" > benches/results/synth_national.json
cat benches/results/synth_national.json
