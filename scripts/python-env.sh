#!/usr/bin/env bash
# Create (or update) the Python environment the tests, benchmarks and notebooks use, outside the
# clone: $KAIGO_PYTHON_ENV, default $HOME/.cache/kaigo/venv. Prints the interpreter's path.
# Needs PyPI once; afterwards a run with unchanged requirements installs nothing.
# Usage: scripts/python-env.sh [REQUIREMENTS_FILE]   (default python/requirements.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
env_dir="${KAIGO_PYTHON_ENV:-$HOME/.cache/kaigo/venv}"
requirements="${1:-python/requirements.txt}"
if [[ ! -x "$env_dir/bin/python" ]]; then
    python3 -m venv "$env_dir" >&2
fi
stamp="$env_dir/.requirements.sha256"
wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$wanted" ]]; then
    "$env_dir/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2
    echo "$wanted" > "$stamp"
fi
echo "$env_dir/bin/python"
