"""``rung challenger rollout`` end to end: start, refusals with their next
command, status, shadow comparison, abort, promote, and the agent."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

import rung
from tests.unit.automation.challenger_models import weak_and_strong

if TYPE_CHECKING:
    from pathlib import Path

    from tests.e2e.conftest import Cli


def as_json(cli: Cli, *args: str) -> Any:
    code, out = cli(*args, "--json")
    assert code == 0, out
    return json.loads(out)


def refused(cli: Cli, *args: str) -> str:
    """Run ``rung ARGS`` as a process that must fail; its output, one line."""
    done = cli.process(*args)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "Traceback" not in out
    return " ".join(out.split())


@pytest.fixture
def models(cli: Cli, project: Path) -> None:
    """churn v1 (production) and v2."""
    assert cli("init")[0] == 0
    ws = rung.open_workspace()
    try:
        weak_and_strong(ws)
    finally:
        ws.close()


@pytest.mark.usefixtures("models")
@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--canary", "150%"], "share must be in (0, 1], got 1.5"),
        (["--canary", "lots"], "--canary 'lots' is not a share"),
        (["--bake", "soon"], "--bake 'soon': Cannot read the window 'soon'"),
        ([], "Give one of --min-metric, --max-error-rate, --max-latency-ms."),
    ],
)
def test_start_refuses_bad_settings_with_a_clear_message(
    cli: Cli, args: list[str], words: str
) -> None:
    assert words in refused(cli, "challenger", "rollout", "start", "churn", "2", *args)


@pytest.mark.usefixtures("models")
def test_start_status_conflict_abort_and_promote(cli: Cli) -> None:
    out = refused(
        cli, "challenger", "rollout", "start", "churn", "9", "--max-error-rate", "0.1"
    )
    assert "version 9" in out.lower()
    started = as_json(
        cli,
        "challenger", "rollout", "start", "churn", "2",
        "--shadow", "30m", "--canary", "25%", "--bake", "2h", "--max-error-rate", "0.1",
    )  # fmt: skip
    assert (started["stage"], started["share"], started["bake_s"]) == (
        "shadow",
        0.25,
        7200.0,
    )
    flat = refused(
        cli, "challenger", "rollout", "start", "churn", "2", "--max-error-rate", "0.1"
    )
    assert "already has a rollout in shadow" in flat
    assert f"rung challenger rollout abort {started['id']}" in flat
    status = as_json(cli, "challenger", "rollout", "status", "churn")
    assert status["rollout"]["id"] == started["id"] and status["arms"] == {}
    code, out = cli("challenger", "rollout", "status", started["id"][:8])
    assert code == 0 and "v2 against v1, shadow" in out
    compared = as_json(cli, "challenger", "rollout", "compare", "churn")
    assert (compared["rows"], compared["agreement"]) == (0, None)
    assert cli("challenger", "rollout", "abort", "churn", "-m", "not now")[0] == 0
    [ended] = as_json(cli, "challenger", "rollout", "list", "churn")
    assert (ended["stage"], ended["reason"]) == ("aborted", "not now")
    assert as_json(cli, "challenger", "rollout", "list", "--running") == []
    assert "ended already" in refused(cli, "challenger", "rollout", "promote", "churn")

    second = as_json(
        cli, "challenger", "rollout", "start", "churn", "2", "--max-error-rate", "0.1"
    )
    promoted = as_json(cli, "challenger", "rollout", "promote", second["id"])
    assert promoted["stage"] == "promoted"
    ws = rung.open_workspace()
    try:
        assert ws.models.get_model(ws.project, "churn").aliases["production"] == 2
    finally:
        ws.close()
    out = refused(cli, "challenger", "rollout", "status", "nope")
    assert "No rollout 'nope'" in out and "rung challenger rollout list" in out
