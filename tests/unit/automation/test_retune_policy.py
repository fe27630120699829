"""The retune policy of a trigger: checked at creation, due after N lost runs."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

import pytest

from rung.automation import Agent, create_trigger, fire_trigger, ledger
from rung.automation.errors import TriggerDefinitionError
from tests.unit.automation.test_retune import FLOW

if TYPE_CHECKING:
    from pathlib import Path

    from rung.workspace import Workspace

RETUNE: dict[str, Any] = {
    "retune_space": {"C": {"low": 1e-4, "high": 100.0, "log": True}},
    "retune_metric": "accuracy",
    "retune_model": "cancer",
    "retune_after": 2,
    "retune_trials": 2,
}


@pytest.fixture
def flow(tmp_path: Path) -> str:
    """The ``training`` pipeline of a small scikit-learn file."""
    path = tmp_path / "cancer.py"
    path.write_text(textwrap.dedent(FLOW))
    return f"{path}:training"


@pytest.fixture
def good_champion(workspace: Workspace, flow: str) -> float:
    """Version 1 of ``cancer``, trained with C=1, in production; its accuracy."""
    from rung.pipelines import load_pipeline
    from rung.registry import promote_model, register_model

    run = load_pipeline(flow).run(params={"C": 1.0}, workspace=workspace)
    version = register_model(workspace, run, "cancer", step="train")
    promote_model(workspace, "cancer", version.version, "production")
    return version.metrics["accuracy"]


def test_a_retune_policy_is_checked_and_completed(
    workspace: Workspace, flow: str
) -> None:
    trigger = create_trigger(workspace, "t", flow, "manual", policy=RETUNE)
    assert trigger.policy["retune_direction"] == "maximize"
    assert trigger.policy["retune_timeout"] == 600.0
    assert trigger.policy["retune_after"] == 2


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ({"retune_space": RETUNE["retune_space"]}, r"needs retune_metric, retune_m"),
        ({**RETUNE, "retune_space": {"gamma": {"low": 1, "high": 2}}}, r"'gamma'"),
        ({**RETUNE, "retune_space": {"C": {"low": 3, "high": 1}}}, r"retune_space: "),
        ({**RETUNE, "retune_space": "space.yaml"}, r"must be a mapping"),
        ({**RETUNE, "retune_after": 0}, r"retune_after must be positive, got 0"),
        ({**RETUNE, "retune_after": "x"}, r"retune_after must be a int, got 'x'"),
        ({**RETUNE, "retune_direction": "up"}, r"maximize or minimize, got 'up'"),
        ({**RETUNE, "retune_nope": 1}, r"Unknown policy 'retune_nope'"),
    ],
)
def test_a_bad_retune_policy_is_refused(
    workspace: Workspace, flow: str, policy: dict[str, Any], message: str
) -> None:
    with pytest.raises(TriggerDefinitionError, match=message):
        create_trigger(workspace, "t", flow, "manual", policy=policy)


def _fire(workspace: Workspace, agent: Agent) -> str:
    fire_trigger(workspace, "retrain")
    agent.tick()
    return ledger(workspace, "retrain", limit=1)[0].reason


@pytest.mark.slow
def test_runs_that_keep_losing_to_the_champion_start_a_retune(
    workspace: Workspace, flow: str, good_champion: float
) -> None:
    create_trigger(
        workspace, "retrain", flow, "manual", params={"C": 0.0003}, policy=RETUNE
    )
    agent = Agent(workspace, run_monitors=False, refresh_datasets=False)
    assert _fire(workspace, agent) == ""  # a plain retraining: it lost once
    assert _fire(workspace, agent) == ""  # twice

    reason = _fire(workspace, agent)  # the third firing re-tunes
    assert reason.startswith("retune rung.test-project.cancer round 1: 2 trials, ")
    assert "stopped: trials" in reason
    entry = ledger(workspace, "retrain", limit=1)[0]
    best = workspace.runs.get_run(entry.run_id or "")
    assert best.tags["rung.trigger"] == "retrain"
    assert best.tags["rung.trigger.dispatch"] == str(entry.id)
    assert best.tags["rung.retune.study"] == "rung.test-project.cancer"
    assert best.trigger == "trigger:retrain"

    assert _fire(workspace, agent) == ""  # the count starts again after it


def test_no_retune_without_a_champion(workspace: Workspace, flow: str) -> None:
    create_trigger(
        workspace, "retrain", flow, "manual", params={"C": 0.0003}, policy=RETUNE
    )
    agent = Agent(workspace, run_monitors=False, refresh_datasets=False)
    for _ in range(3):
        assert _fire(workspace, agent) == ""
    runs = workspace.runs.list_runs(limit=None)
    assert len(runs) == 3
    assert not any("rung.retune.study" in r.tags for r in runs)
