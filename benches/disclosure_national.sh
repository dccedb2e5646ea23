#!/usr/bin/env bash
# Benchmark (not a test): secondary suppression + the attacker's audit for a national release —
# the shipped release's twelve counts, nested as it declares them, over 47 prefectures × 1,571
# insurers × 36 months, counts drawn around national rates (crates/disclosure/benches/national.rs).
# Writes benches/results/disclosure_national.json.
# Usage: bash benches/disclosure_national.sh   (KAIGO_BENCH_AREAS / KAIGO_BENCH_MONTHS: smaller)
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p benches/results
cargo bench --locked --workspace --bench national 2> /tmp/disclosure_national.log | tee /tmp/disclosure_national.out
machine="$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m)"
{
  printf '{"machine": "%s", "indicators": [' "$machine"
  grep '"indicator"' /tmp/disclosure_national.out | paste -sd, -
  printf '], "groups": ['
  grep '"group"' /tmp/disclosure_national.out | paste -sd, -
  printf '], "total": '
  grep '"benchmark"' /tmp/disclosure_national.out
  printf '}\n'
} > benches/results/disclosure_national.json
cat benches/results/disclosure_national.json
