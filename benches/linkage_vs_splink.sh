#!/usr/bin/env bash
# Benchmark (not a test): `kaigo linkage run` against Splink 4 on DuckDB
# (benches/linkage_vs_splink.py) on the same vault tokens, same machine, same run: records per
# second, peak RSS, and precision/recall/F1 of both against the hub's truth over pairs of
# identities (the headline) and of records.
# Writes benches/results/linkage_vs_splink.json.
# Usage: bash benches/linkage_vs_splink.sh   (PERSONS, MONTHS, BENCH_DIR; HUB=an existing hub)
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
cargo build --release --locked -p kaigo-cli
kaigo="$target/release/kaigo"
python="$(KAIGO_PYTHON_ENV="${KAIGO_SPLINK_ENV:-$HOME/.cache/kaigo/venv-splink}" \
  bash scripts/python-env.sh python/requirements-splink.txt)"
BENCH_DIR="${BENCH_DIR:-/tmp/kaigo-linkage-bench}"
PERSONS="${PERSONS:-100000}"
MONTHS="${MONTHS:-2025-04..2028-03}"
HUB="${HUB:-$BENCH_DIR/hub}"
mkdir -p benches/results "$BENCH_DIR"
if [[ ! -d "$HUB/truth" ]]; then
  "$kaigo" synth --persons "$PERSONS" --months "$MONTHS" --seed 7 --out "$HUB" 2>/dev/null
fi
rm -rf "$BENCH_DIR/wh" "$BENCH_DIR/bench.key"
"$kaigo" key new --out "$BENCH_DIR/bench.key" 2>/dev/null
"$kaigo" ingest --drop "$HUB" --warehouse "$BENCH_DIR/wh" --key "$BENCH_DIR/bench.key" 2>/dev/null
sync
# A first run: every delivery is read (no kept summaries), as a bulk link would.
/usr/bin/time -f "%e %M" -o "$BENCH_DIR/kaigo.time" \
  "$kaigo" linkage run --warehouse "$BENCH_DIR/wh" --key "$BENCH_DIR/bench.key" 2> "$BENCH_DIR/kaigo.log"
read -r kaigo_seconds kaigo_rss_kb < "$BENCH_DIR/kaigo.time"
"$python" benches/linkage_vs_splink.py "$BENCH_DIR/wh" "$HUB" 2> "$BENCH_DIR/splink.log" > "$BENCH_DIR/splink.json"
machine="$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m)"
"$python" - "$BENCH_DIR/splink.json" "$kaigo_seconds" "$kaigo_rss_kb" "$machine" "$HUB" <<'PY' > benches/results/linkage_vs_splink.json
import json, sys
run = json.load(open(sys.argv[1]))
kaigo_seconds, kaigo_rss_kb, machine, hub = float(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
params = json.load(open(f"{hub}/truth/params.json"))["config"]
result = {
    "benchmark": "person linkage on the same vault tokens: kaigo linkage run vs Splink 4 (DuckDB)",
    "machine": machine,
    "hub": {key: params[key] for key in ("persons", "first_month", "last_month") if key in params},
    "records": run["records"],
    "kaigo": {"seconds": kaigo_seconds, "records_per_second": run["records"] / kaigo_seconds,
              "peak_rss_kb": kaigo_rss_kb, **run["kaigo"]},
    "splink": {"seconds": run["splink_seconds"], "records_per_second": run["records"] / run["splink_seconds"],
               "peak_rss_kb": run["splink_peak_rss_kb"], "distinct_token_rows": run["variants"], **run["splink"]},
}
result["throughput_ratio"] = result["kaigo"]["records_per_second"] / result["splink"]["records_per_second"]
print(json.dumps(result, indent=2))
PY
cat benches/results/linkage_vs_splink.json
