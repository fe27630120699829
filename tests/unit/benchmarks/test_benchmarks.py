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

import rung

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


def test_only_and_baseline_measure_both_sources_in_one_run(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    src = Path(rung.__file__).resolve().parents[1]
    args = ["--quick", "--no-peers", "--only", "cli_startup", "--baseline", str(src)]
    done = subprocess.run(
        [sys.executable, str(RUN_PY), *args, "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    payload = json.loads(out.read_text(encoding="utf-8"))

    assert payload["only"] == ["cli_startup"]
    assert payload["baseline"] == str(src)
    assert list(payload["workloads"]) == ["cli_startup"]
    for row in payload["results"]:
        assert row["baseline"] > 0, row
        assert row["change"] == pytest.approx(row["baseline"] / row["rung"])
        assert row["details"]["baseline"]["samples"], row
    assert "Baseline" in done.stdout


def test_unknown_workload_or_baseline_without_rung_is_refused(tmp_path: Path) -> None:
    unknown = subprocess.run(
        [sys.executable, str(RUN_PY), "--only", "orchestraton"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    no_rung = subprocess.run(
        [
            sys.executable,
            str(RUN_PY),
            "--quick",
            "--no-peers",
            "--only",
            "cli_startup",
            "--baseline",
            str(tmp_path),
            "--json",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert unknown.returncode == 2
    assert "unknown workload orchestraton; choose from orchestration," in unknown.stderr
    assert no_rung.returncode == 1
    assert "holds no rung package" in no_rung.stdout


# ~10 s: one agent workspace of 100 triggers, 10 monitors and one alert.
@pytest.mark.slow
def test_agent_workload_reports_the_idle_tick_and_the_alert_to_run_rows(
    tmp_path: Path,
) -> None:
    out = tmp_path / "results.json"
    args = ["--quick", "--no-peers", "--only", "agent_tick", "--json", str(out)]
    done = subprocess.run(
        [sys.executable, str(RUN_PY), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    payload = json.loads(out.read_text(encoding="utf-8"))

    rows = {row["workload"]: row for row in payload["results"]}
    assert list(rows) == [
        "automation.idle_tick",
        "automation.alert_to_run",
        "automation.alert_to_run_ticks",
    ]
    alert = rows["automation.alert_to_run"]["details"]["rung"]
    assert len(alert["samples"]) == len(alert["ticks"]) == 1
    assert rows["automation.alert_to_run_ticks"]["rung"] == max(alert["ticks"]) >= 1
    assert all(row["peers"] == [] for row in rows.values())
    assert "dagster" not in done.stdout.lower()  # --no-peers: not even own venvs
