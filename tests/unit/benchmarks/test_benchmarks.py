"""Smoke test of the benchmark suite: it runs and reports every workload.

Figures are never compared with targets here: timings on a shared CI box
are noise. ``benchmarks/run.py`` itself reports whether targets are met.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

RUN_PY = Path(__file__).resolve().parents[3] / "benchmarks" / "run.py"

# The rows every full suite reports; later workloads add rows, not remove these.
CORE_ROWS = {
    "orchestration.uncached",
    "orchestration.cached",
    "metrics.single",
    "metrics.batched",
    "runs.create",
    "cli.startup_vs_zenml",
    "cli.startup_vs_mlflow",
}


# 5-15 s: one process per workload, more as workloads are added.
@pytest.mark.slow
def test_quick_run_reports_a_positive_figure_for_every_workload(
    tmp_path: Path,
) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, str(RUN_PY), "--quick", "--no-peers", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    payload = json.loads(out.read_text(encoding="utf-8"))

    rows = {row["workload"]: row for row in payload["results"]}
    assert payload["errors"] == []
    assert payload["peers_measured"] is False
    assert CORE_ROWS <= set(rows)
    for workload, keys in payload["workloads"].items():
        assert keys, f"workload {workload} reported no row"
    for row in rows.values():
        assert row["rung"] > 0, row
        assert row["peer"] is None, row
        assert row["unit"], row
        assert row["ratio"] is None, row
