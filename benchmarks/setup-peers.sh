#!/usr/bin/env bash
# Create benchmarks/.venv-peers (git-ignored) with the peers that benchmarks/run.py
# measures beside Rung. Safe to re-run: the venv is reused and pip only tops it up.
#
#   bash benchmarks/setup-peers.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-peers"
python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null 2>&1 || python=python3

if [ ! -x "$venv/bin/python" ]; then
    echo "Creating $venv with $("$python" --version)"
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --upgrade pip
"$venv/bin/python" -m pip install -r "$here/requirements-peers.txt"

# Smoke-check both CLIs so a broken install fails here, not in the middle of a run.
"$venv/bin/mlflow" --version
"$venv/bin/zenml" --version
echo "Peers ready in $venv"
