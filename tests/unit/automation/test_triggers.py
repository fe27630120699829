"""Creating triggers: every definition is checked before anything is stored."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from rung.automation import (
    create_trigger,
    delete_trigger,
    get_trigger,
    list_triggers,
    pause_trigger,
    resume_trigger,
)
from rung.automation.errors import TriggerDefinitionError, TriggerNotFoundError

if TYPE_CHECKING:
    from pathlib import Path

    from rung.workspace import Workspace


def test_create_schedule_trigger_stores_spec_params_and_guards(
    workspace: Workspace, flow: str
) -> None:
    trigger = create_trigger(
        workspace,
        "nightly",
        flow,
        "schedule",
        spec={"cron": "0 3 * * *", "timezone": "Europe/Paris"},
        params={"note": "nightly"},
        policy={"cooldown": 600},
    )
    assert trigger.spec == {
        "cron": "0 3 * * *",
        "timezone": "Europe/Paris",
        "pipeline_name": "training",
    }
    assert trigger.policy["cooldown"] == 600.0
    assert trigger.cursor["next_at"] > trigger.created_at
    assert [t.name for t in list_triggers(workspace)] == ["nightly"]
    assert get_trigger(workspace, "nightly") == trigger


def test_pause_resume_and_delete(workspace: Workspace, flow: str) -> None:
    create_trigger(workspace, "t", flow, "manual")
    assert pause_trigger(workspace, "t").state == "paused"
    assert resume_trigger(workspace, "t").state == "active"
    delete_trigger(workspace, "t")
    with pytest.raises(TriggerNotFoundError, match="has no trigger 't'"):
        get_trigger(workspace, "t")


@pytest.mark.parametrize(
    "case",
    [
        ("sometimes", {}, {}, "Unknown trigger kind 'sometimes'"),
        ("schedule", {"cron": "every day"}, {}, "Invalid cron expression 'every day'"),
        (
            "schedule",
            {"cron": "0 3 * * *", "timezone": "Mars/Olympus"},
            {},
            "Unknown time zone",
        ),
        ("schedule", {}, {}, "either a cron expression"),
        ("schedule", {"every": 0.5}, {}, "--every must be >= 1 second"),
        ("dataset", {"dataset": "nope"}, {}, "watches dataset 'nope', which does not"),
        ("monitor", {"monitor": "nope"}, {}, "watches monitor 'nope', which does not"),
        ("model", {"model": "nope"}, {}, "watches model 'nope', which does not"),
        ("model", {}, {}, "needs --model NAME"),
        ("webhook", {"secret": "hunter2"}, {}, "write --secret env:NAME"),
        ("manual", {"cron": "* * * * *"}, {}, "A manual trigger takes no 'cron'"),
        ("manual", {}, {"C": 1}, "takes no parameter 'C'"),
        (
            "schedule",
            {"every": 60},
            {"version": "{event.version}"},
            "has no field 'version'",
        ),
    ],
)
def test_create_refuses_a_bad_definition(
    workspace: Workspace,
    flow: str,
    case: tuple[str, dict[str, object], dict[str, object], str],
) -> None:
    on, spec, params, message = case
    with pytest.raises(TriggerDefinitionError, match=message):
        create_trigger(workspace, "bad", flow, on, spec=spec, params=params)
    assert list_triggers(workspace) == []


def test_create_refuses_an_unknown_pipeline(
    workspace: Workspace, tmp_path: Path
) -> None:
    with pytest.raises(TriggerDefinitionError, match="cannot be loaded"):
        create_trigger(workspace, "t", f"{tmp_path}/missing.py:training", "manual")


def test_create_refuses_bad_policies(workspace: Workspace, flow: str) -> None:
    with pytest.raises(TriggerDefinitionError, match="Unknown policy 'retries'"):
        create_trigger(workspace, "t", flow, "manual", policy={"retries": 3})
    with pytest.raises(TriggerDefinitionError, match="on_busy must be skip or queue"):
        create_trigger(workspace, "t", flow, "manual", policy={"on_busy": "wait"})
    with pytest.raises(TriggerDefinitionError, match="max_concurrent must be positive"):
        create_trigger(workspace, "t", flow, "manual", policy={"max_concurrent": 0})


def test_a_loop_of_pipeline_triggers_is_refused_at_creation(
    workspace: Workspace, flow: str
) -> None:
    broken = flow.replace(":training", ":broken")
    create_trigger(workspace, "a", flow, "pipeline", spec={"upstream": "broken"})
    with pytest.raises(
        TriggerDefinitionError, match=r"close a loop.*training -> broken -> training"
    ):
        create_trigger(
            workspace, "b", broken, "pipeline", spec={"upstream": "training"}
        )
    with pytest.raises(TriggerDefinitionError, match="training -> training"):
        create_trigger(
            workspace, "self", flow, "pipeline", spec={"upstream": "training"}
        )


def test_a_trigger_name_is_unique_in_its_project(
    workspace: Workspace, flow: str
) -> None:
    create_trigger(workspace, "t", flow, "manual")
    with pytest.raises(Exception, match="already exists"):
        create_trigger(workspace, "t", flow, "manual")
