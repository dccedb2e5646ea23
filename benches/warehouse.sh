# Sourced by benchmarks: `built_warehouse KAIGO WAREHOUSE PERSONS MONTHS WORK` builds a warehouse
# the way the main job does (synth, ingest, linkage, models) unless WAREHOUSE already holds one;
# the hub is made in WORK and deleted after the ingest.
built_warehouse() {
  local kaigo="$1" warehouse="$2" persons="$3" months="$4" work="$5"
  if [[ -d "$warehouse/warehouse/fct_person_months" ]]; then
    return
  fi
  rm -rf "$work/hub" "$warehouse" "$work/bench.key"
  "$kaigo" synth --persons "$persons" --months "$months" --seed 7 --out "$work/hub" 2>/dev/null
  "$kaigo" key new --out "$work/bench.key" 2>/dev/null
  "$kaigo" ingest --drop "$work/hub" --warehouse "$warehouse" --key "$work/bench.key" 2>/dev/null
  rm -rf "$work/hub"
  "$kaigo" linkage run --warehouse "$warehouse" --key "$work/bench.key" 2>/dev/null
  "$kaigo" build --warehouse "$warehouse" 2>/dev/null
}
