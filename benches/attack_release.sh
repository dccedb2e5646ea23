#!/usr/bin/env bash
# Benchmark (not a test): an attacker written apart from kaigo's audit, with another solver
# (HiGHS integer programs, benches/attack_release.py), on a warehouse's published release: every
# hidden cell and sensitive difference is minimized and maximized over integral tables, given the
# published cells, their relations and the spec's regularities, and judged against the truth.
# Writes benches/results/attack_release_<NAME>.json; exits non-zero when a cell is narrowed.
#
# Usage: bash benches/attack_release.sh WAREHOUSE NAME   (WAREHOUSE/publish from `kaigo release`)
#   KAIGO=path/to/kaigo   a binary to use (default: the debug build, `cargo build`)
#   TIME_LIMIT=30         seconds per integer program
set -euo pipefail
cd "$(dirname "$0")/.."
warehouse="${1:?usage: attack_release.sh WAREHOUSE NAME}"
name="${2:?usage: attack_release.sh WAREHOUSE NAME}"
if [ -z "${KAIGO:-}" ]; then
  cargo build --locked -q -p kaigo-cli
  KAIGO="${CARGO_TARGET_DIR:-target}/debug/kaigo"
fi
python="$(KAIGO_PYTHON_ENV="${KAIGO_ATTACK_ENV:-$HOME/.cache/kaigo/venv-attack}" \
  bash scripts/python-env.sh python/requirements-attack.txt)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
spec=crates/disclosure/release.toml
# The source model the release read, with the columns the spec names.
query=$("$python" -c '
import sys, tomllib
spec = tomllib.load(open(sys.argv[1], "rb"))
columns = [spec[name] for name in ("area_column", "prefecture_column", "month_column", "population_column")]
columns += [count["column"] for count in spec["counts"]]
print("select", ", ".join(columns), "from", spec["source"])' "$spec")
"$KAIGO" sql --warehouse "$warehouse" --format csv --out "$scratch/truth.csv" \
  -c "$query" 2> /dev/null
mkdir -p benches/results
status=0
/usr/bin/time -f "%e %M" -o "$scratch/time" "$python" benches/attack_release.py \
  --publish "$warehouse/publish" --truth "$scratch/truth.csv" --spec "$spec" \
  --time-limit "${TIME_LIMIT:-30}" --out "$scratch/report.json" > /dev/null || status=$?
read -r seconds rss_kb < "$scratch/time"
"$python" - "$scratch/report.json" "$warehouse/publish/manifest.json" "$seconds" "$rss_kb" \
  > "benches/results/attack_release_$name.json" <<'EOF'
import json, subprocess, sys
report = json.load(open(sys.argv[1]))
manifest = json.load(open(sys.argv[2]))
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
header = {"release_digest": manifest["release"]["digest"], "commit": commit,
          "wall_seconds": float(sys.argv[3]), "peak_rss_mib": int(sys.argv[4]) // 1024}
json.dump({**header, **report}, sys.stdout, indent=1, ensure_ascii=False)
print()
EOF
cat "benches/results/attack_release_$name.json"
exit "$status"
