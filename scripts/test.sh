#!/usr/bin/env bash
# The test command of the README and of CI: installs what the tests need, then runs them all.
# Nothing beyond the Rust toolchain is needed yet; later steps (Python for notebooks, Chromium
# for the dashboard, psql for the Postgres endpoint) are installed here so a fresh machine passes.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked "$@"
