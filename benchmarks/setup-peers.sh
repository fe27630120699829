#!/usr/bin/env bash
# Create the peer venvs (git-ignored) that benchmarks/run.py measures beside
# Rung: benchmarks/.venv-peers from requirements-peers.txt, and one
# benchmarks/.venv-peers-<group> per requirements-peers-<group>.txt (peers whose
# pins clash with the others). Safe to re-run: venvs are reused, pip tops up.
#
#   bash benchmarks/setup-peers.sh [GROUP ...]     # no GROUP: every venv
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null 2>&1 || python=python3

build() {  # build VENV REQUIREMENTS
    local venv="$1" requirements="$2"
    if [ ! -x "$venv/bin/python" ]; then
        echo "Creating $venv with $("$python" --version)"
        "$python" -m venv "$venv"
    fi
    "$venv/bin/python" -m pip install -q --upgrade pip
    "$venv/bin/python" -m pip install -q -r "$requirements"
    # A broken install fails here, not in the middle of a run.
    "$venv/bin/python" -m pip check || echo "!! pip check reports conflicts in $venv"
    echo "Peers ready in $venv"
}

groups=("$@")
if [ ${#groups[@]} -eq 0 ]; then
    groups=("")
    for file in "$here"/requirements-peers-*.txt; do
        [ -e "$file" ] || continue
        name="${file##*/requirements-peers-}"
        groups+=("${name%.txt}")
    done
fi
for group in "${groups[@]}"; do
    if [ -z "$group" ]; then
        build "$here/.venv-peers" "$here/requirements-peers.txt"
        "$here/.venv-peers/bin/mlflow" --version
        "$here/.venv-peers/bin/zenml" --version
    else
        build "$here/.venv-peers-$group" "$here/requirements-peers-$group.txt"
    fi
done
