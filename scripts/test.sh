#!/usr/bin/env bash
# The test command of the README and of CI: installs what the tests need, then runs them all.
# Python clients (DuckDB, pyarrow) go into a virtual environment outside the clone
# (scripts/python-env.sh); Chromium for the dashboard and psql for the Postgres endpoint will be
# installed here too when their tests land, so a fresh machine passes.
set -euo pipefail
cd "$(dirname "$0")/.."
KAIGO_PYTHON="$(bash scripts/python-env.sh)"
export KAIGO_PYTHON
cargo test --workspace --locked "$@"
