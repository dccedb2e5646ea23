#!/usr/bin/env bash
# Benchmark (not a test): secondary suppression + the attacker's audit for a national release —
# 47 prefectures × 1,741 municipalities × 24 months × 10 indicators (465,140 cells), counts drawn
# around national rates (crates/disclosure/benches/national.rs). Writes
# benches/results/disclosure_national.json.
# Usage: bash benches/disclosure_national.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p benches/results
cargo bench --locked -p kaigo-disclosure --bench national 2> /tmp/disclosure_national.log | tee /tmp/disclosure_national.out
machine="$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m)"
{
  printf '{"machine": "%s", "indicators": [' "$machine"
  grep '"indicator"' /tmp/disclosure_national.out | paste -sd, -
  printf '], "total": '
  grep '"benchmark"' /tmp/disclosure_national.out
  printf '}\n'
} > benches/results/disclosure_national.json
cat benches/results/disclosure_national.json
