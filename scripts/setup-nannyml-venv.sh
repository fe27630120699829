#!/usr/bin/env bash
# Create the NannyML virtualenv that Rung's label-free performance estimates
# are validated against (tests/integration/test_estimate_vs_nannyml.py) and
# timed beside (benchmarks/estimate_suite.py). NannyML never goes into the
# project venv: it pins its own pandas and scikit-learn ranges.
#
#   bash scripts/setup-nannyml-venv.sh            # -> /work/.venv-nannyml
#   VENV=/tmp/nml bash scripts/setup-nannyml-venv.sh
#   export RUNG_NANNYML_PYTHON=/work/.venv-nannyml/bin/python
#
# Safe to re-run: the venv is reused and pip only tops it up. NannyML imports
# statsmodels without declaring it, and its pandas code breaks on pandas 3.
set -euo pipefail

venv="${VENV:-/work/.venv-nannyml}"
python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null 2>&1 || python=python3

if [ ! -x "$venv/bin/python" ]; then
    echo "Creating $venv with $("$python" --version)"
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "nannyml==0.13.1" statsmodels "pandas<3"

# Fail here, not in the middle of a test run, if the install is broken.
"$venv/bin/python" -c "import nannyml; print('NannyML', nannyml.__version__, 'ready in $venv')"
echo "Use it with: export RUNG_NANNYML_PYTHON=$venv/bin/python"
