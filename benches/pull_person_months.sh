#!/usr/bin/env bash
# Benchmark (not a test): pulling all of fct_person_months into a researcher's Python process —
# over Arrow Flight SQL, over the Postgres wire (ADBC's binary COPY and psycopg's rows), and from
# the Parquet files directly — from one `kaigo serve --flight-sql` in the same run, ROUNDS
# rounds alternating the methods; the minimum per method. Writes
# benches/results/pull_person_months.json.
# Usage: bash benches/pull_person_months.sh   (PERSONS, MONTHS, ROUNDS, BENCH_DIR; WAREHOUSE=an
# existing built warehouse, e.g. one left by this script)
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
cargo build --release --locked -p kaigo-cli
kaigo="$target/release/kaigo"
python="$(bash scripts/python-env.sh)"
BENCH_DIR="${BENCH_DIR:-/tmp/kaigo-pull-bench}"
PERSONS="${PERSONS:-100000}"
MONTHS="${MONTHS:-2025-04..2028-03}"
ROUNDS="${ROUNDS:-5}"
WAREHOUSE="${WAREHOUSE:-$BENCH_DIR/wh}"
mkdir -p benches/results "$BENCH_DIR"
source benches/warehouse.sh
built_warehouse "$kaigo" "$WAREHOUSE" "$PERSONS" "$MONTHS" "$BENCH_DIR"
password="bench password"
config="$BENCH_DIR/serve.toml"
{
  printf '[roles.analyst]\nzone = "warehouse"\n\n[[users]]\nname = "bench"\nrole = "analyst"\n'
  echo "$password" | "$kaigo" serve --hash-password
} > "$config"
chmod 600 "$config"
port="${PORT:-55532}"
flight_port="${FLIGHT_PORT:-55533}"
"$kaigo" serve --warehouse "$WAREHOUSE" --config "$config" --listen "127.0.0.1:$port" \
  --flight-sql "127.0.0.1:$flight_port" 2> "$BENCH_DIR/serve.log" &
server=$!
trap 'kill "$server"' EXIT
for _ in $(seq 100); do
  if (: < "/dev/tcp/127.0.0.1/$port") 2>/dev/null && (: < "/dev/tcp/127.0.0.1/$flight_port") 2>/dev/null; then
    break
  fi
  sleep 0.2
done
machine="$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m)"
"$python" benches/pull_person_months.py "$WAREHOUSE" 127.0.0.1 "$port" "$flight_port" bench "$password" "$ROUNDS" \
  > "$BENCH_DIR/pull.json"
"$python" - "$BENCH_DIR/pull.json" "$machine" "$PERSONS" "$MONTHS" <<'PY' > benches/results/pull_person_months.json
import json, sys
path, machine, persons, months = sys.argv[1:]
measured = json.load(open(path))
result = {"benchmark": "pull fct_person_months into Python: Flight SQL vs Postgres wire vs Parquet files",
          "machine": machine, "persons": int(persons), "months": months, "rows": measured["rows"],
          "rounds": len(next(iter(measured["seconds"].values()))), "methods": {}}
for name, seconds in measured["seconds"].items():
    result["methods"][name] = {"min_seconds": min(seconds), "rows_per_second": measured["rows"] / min(seconds),
                               "seconds": seconds}
print(json.dumps(result, indent=2))
PY
cat benches/results/pull_person_months.json
