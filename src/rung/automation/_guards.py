"""A trigger's guards: why an event fires, waits, or is skipped.

Each guard reads only what it needs, and only when there is an event: an idle
trigger costs nothing here. The first guard that objects decides the outcome
and its one-line reason goes into the ledger.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rung.automation._events import CHAIN_TAG, Event

if TYPE_CHECKING:
    from rung.automation.records import TriggerRecord
    from rung.workspace import Workspace

__all__ = [
    "RESTARTED",
    "TRIGGER_TAG",
    "Decision",
    "busy",
    "decide",
    "render_params",
    "running_runs",
]

TRIGGER_TAG = "rung.trigger"
"""Run tag: the trigger that started a run."""
RESTARTED = "started after an agent restart"
"""Ledger reason of a firing a new leader took over from a killed agent."""
_DAY = 86_400.0
_TEMPLATE = re.compile(r"^\{event\.([A-Za-z_][A-Za-z0-9_.]*)\}$")


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one event: an outcome and why."""

    outcome: str
    reason: str


def decide(
    workspace: Workspace, trigger: TriggerRecord, event: Event, at: float
) -> Decision:
    """Apply the trigger's guards to an event, in order; the first objection wins."""
    policy = trigger.policy
    if trigger.name in event.chain:
        loop = " -> ".join([*event.chain, trigger.name])
        return Decision("skipped", f"loop: {loop} would start this trigger again")
    if event.hold is not None:
        return Decision("skipped", event.hold)
    fired = _fired_since(workspace, trigger, at - _DAY)
    cooldown = policy.get("cooldown")
    if cooldown and fired and at - fired[0].evaluated_at < float(cooldown):
        ago = at - fired[0].evaluated_at
        return Decision(
            "skipped", f"cooldown: fired {_span(ago)} ago, cooldown {_span(cooldown)}"
        )
    per_day = policy.get("max_per_day")
    if per_day is not None and len(fired) >= int(per_day):
        return Decision(
            "skipped",
            f"max_per_day: {len(fired)} runs in the last 24 h (max {per_day})",
        )
    budget = policy.get("budget_cpu_hours")
    if budget is not None:
        used = _cpu_hours(workspace, [d.run_id for d in fired if d.run_id])
        if used >= float(budget):
            return Decision(
                "skipped",
                f"budget: {used:.2f} CPU h used in the last 24 h (budget {budget})",
            )
    running = busy(workspace, trigger)
    limit = int(policy.get("max_concurrent", 1))
    if running >= limit:
        if policy.get("on_busy") == "queue":
            return Decision(
                "queued", f"concurrency: {running} running (max {limit}); queued"
            )
        return Decision("skipped", f"concurrency: {running} running (max {limit})")
    if policy.get("approval"):
        return Decision("awaiting_approval", "approval required before the run")
    return Decision("fired", "")


def running_runs(workspace: Workspace, trigger: TriggerRecord) -> list[str]:
    """Ids of the runs this trigger started that are still running."""
    runs = workspace.runs.list_runs(
        project=workspace.project,
        pipeline=str(trigger.spec.get("pipeline_name")),
        status="running",
        limit=None,
    )
    return [r.id for r in runs if r.tags.get(TRIGGER_TAG) == trigger.name]


def busy(workspace: Workspace, trigger: TriggerRecord) -> int:
    """How many of the trigger's runs count against ``max_concurrent``.

    Its running runs, and its firings whose run has not started yet (handed
    to an executor that is busy, or left by an agent that was killed): each
    of those is about to start a run. A firing that nothing reported on yet
    has no reason, or the one a restart gives it; a failure to start, or a
    round of re-tuning that ended, says so in the reason.
    """
    fired = workspace.triggers.list_dispatches(
        workspace.project, trigger=trigger.name, outcomes=["fired"], limit=200
    )
    pending = sum(1 for d in fired if d.run_id is None and d.reason in ("", RESTARTED))
    return len(running_runs(workspace, trigger)) + pending


def render_params(params: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """The pipeline parameters, ``{event.FIELD}`` replaced by the event's value."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        match = _TEMPLATE.match(value) if isinstance(value, str) else None
        out[key] = _lookup(data, match.group(1)) if match else value
    return out


def run_tags(trigger: TriggerRecord, dispatch_id: int, event: Event) -> dict[str, str]:
    """Tags of a run a trigger starts: who started it, and the chain behind it."""
    return {
        TRIGGER_TAG: trigger.name,
        "rung.trigger.dispatch": str(dispatch_id),
        CHAIN_TAG: ",".join([*event.chain, trigger.name]),
    }


def _fired_since(
    workspace: Workspace, trigger: TriggerRecord, since: float
) -> list[Any]:
    return workspace.triggers.list_dispatches(
        workspace.project,
        trigger=trigger.name,
        outcomes=["fired"],
        since=since,
        limit=None,
    )


def _cpu_hours(workspace: Workspace, run_ids: list[str]) -> float:
    seconds = 0.0
    for run_id in run_ids:
        for step_run in workspace.runs.list_step_runs(run_id):
            seconds += step_run.cpu_seconds or 0.0
    return seconds / 3600.0


def _lookup(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _span(seconds: float) -> str:
    seconds = float(seconds)
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"
