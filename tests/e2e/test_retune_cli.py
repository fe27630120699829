"""``rung retune``: a round from the command line, its status, clear errors."""

from __future__ import annotations

import json
import textwrap
from typing import TYPE_CHECKING

import pytest

from tests.unit.automation.test_retune import FLOW

if TYPE_CHECKING:
    from pathlib import Path

    from tests.e2e.conftest import Cli


@pytest.fixture
def tuned(cli: Cli, project: Path) -> Path:
    """A workspace with the scikit-learn pipeline and a space file."""
    (project / "cancer.py").write_text(textwrap.dedent(FLOW))
    (project / "space.yaml").write_text(
        "C: {low: 0.0001, high: 100, log: true}\n"
        "solver: {choices: [lbfgs, liblinear]}\n"
    )
    assert cli("init")[0] == 0
    return project


def test_retune_runs_a_round_and_status_shows_it(cli: Cli, tuned: Path) -> None:
    code, out = cli(
        "retune", "cancer.py:training", "--model", "cancer", "--space",
        "space.yaml", "--metric", "accuracy", "--trials", "2", "--register",
        "train", "--json",
    )  # fmt: skip
    assert code == 0, out
    result = json.loads(out)
    outcome = (result["round"], result["trials"], result["stop_reason"])
    assert outcome == (1, 2, "trials")
    assert result["version"] == 1 and result["where"].endswith("metadata.optuna.db")

    code, out = cli(
        "retune", "start", "cancer.py:training", "--model", "cancer", "--space",
        "space.yaml", "--metric", "accuracy", "--trials", "1",
        "--budget-cpu-hours", "0.5", "--timeout", "120",
    )  # fmt: skip
    assert code == 0, out
    assert "ran round 2, 1 trials (0 failed), stopped: trials." in out

    code, out = cli("retune", "status", "cancer")
    assert code == 0
    assert ".cancer (sqlite file" in out
    assert "2/2" in out and "1/1" in out and "trials" in out
    rounds = json.loads(cli("retune", "status", "cancer", "--json")[1])["rounds"]
    assert [r["version"] for r in rounds] == [1, None]


def test_bad_space_file_is_a_clear_error(cli: Cli, tuned: Path) -> None:
    (tuned / "space.yaml").write_text("C: {low: 5, high: 1}\n")
    done = cli.process(
        "retune", "cancer.py:training", "--model", "cancer", "--space",
        "space.yaml", "--metric", "accuracy",
    )  # fmt: skip
    assert done.returncode == 1
    assert "Invalid search space" in done.stderr
    assert "low must be below high, got low=5.0, high=1.0" in done.stderr
    assert "Traceback" not in done.stderr


def test_status_of_an_unknown_model(cli: Cli, tuned: Path) -> None:
    done = cli.process("retune", "status", "nope")
    assert done.returncode == 1
    assert "Model 'nope' has no re-tuning study" in done.stderr
