#!/usr/bin/env bash
# Execute every researcher notebook (notebooks/*.py, jupytext percent format) end to end against
# a warehouse, saving their figures. Creates their Python environment first (its own, so the
# test clients' pins stay as they are): $KAIGO_NOTEBOOK_ENV, default $HOME/.cache/kaigo/venv-notebooks.
# Usage: scripts/notebooks.sh [WAREHOUSE (default out/demo/warehouse)] [FIGURES (default out/demo/figures)]
set -euo pipefail
cd "$(dirname "$0")/.."
warehouse="${1:-out/demo/warehouse}"
figures="${2:-out/demo/figures}"
python="$(KAIGO_PYTHON_ENV="${KAIGO_NOTEBOOK_ENV:-$HOME/.cache/kaigo/venv-notebooks}" bash scripts/python-env.sh notebooks/requirements.txt)"
for notebook in notebooks/*.py; do
    echo "== $notebook" >&2
    KAIGO_WAREHOUSE="$warehouse" KAIGO_FIGURES="$figures" MPLBACKEND=Agg "$python" "$notebook" > /dev/null
done
echo "notebooks: $(ls notebooks/*.py | wc -l) ran against $warehouse; figures in $figures" >&2
