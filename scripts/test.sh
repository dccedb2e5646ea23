#!/usr/bin/env bash
# The test command of the README and of CI: installs what the tests need, runs them all, then
# the main job on a small pipeline (pipelines/ci.toml) and every notebook against its warehouse.
# Python clients (DuckDB, pyarrow) go into a virtual environment outside the clone
# (scripts/python-env.sh); psql for the Postgres endpoint and Chromium for the dashboard come from
# scripts/system-packages.sh, so a fresh machine passes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-packages.sh
KAIGO_PYTHON="$(bash scripts/python-env.sh)"
export KAIGO_PYTHON
cargo test --workspace --locked "$@"
# The main job on a small pipeline, then every notebook against its warehouse.
cargo run --locked -q -p kaigo-cli -- run pipelines/ci.toml
# A headless Chromium visit to the dashboard that run built, against its release.
KAIGO_SITE="$PWD/out/ci/site" KAIGO_PUBLISH="$PWD/out/ci/warehouse/publish" \
    cargo test --locked -q -p kaigo-site --test site -- --ignored a_visitor_sees_the_main_jobs_site
bash scripts/notebooks.sh out/ci/warehouse out/ci/figures
