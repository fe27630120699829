"""What each kind of trigger sees: the events since its cursor.

Detection reads the workspace once per tick (a :class:`Snapshot` shared by
every trigger: datasets, open alerts, registry events, finished runs), so a
tick over a thousand idle triggers costs a handful of queries, not thousands.
Each event has a key (``dataset:claims@v7``): the ledger lets a key fire once.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rung.automation.records import TriggerRecord
    from rung.catalog.records import DatasetRecord
    from rung.metadata import RunRecord
    from rung.monitoring.records import AlertRecord
    from rung.registry.records import RegistryEventRecord
    from rung.workspace import Workspace

__all__ = ["CHAIN_TAG", "Event", "Snapshot", "detect", "initial_cursor"]

CHAIN_TAG = "rung.trigger.chain"
"""Run tag: the triggers that led to a run, comma-separated (loop detection)."""
_DONE_KEPT = 200
_RUN_LOOKBACK = 500


@dataclass(frozen=True, slots=True)
class Event:
    """Something a trigger may fire on.

    Attributes:
        key: the event's identity (fires at most once per trigger).
        data: the fields ``{event.FIELD}`` parameters take.
        evidence: the numbers behind it, for the ledger.
        chain: triggers that led to what caused it (a loop if it holds ours).
        hold: a reason not to fire yet (not enough breaches or rows); a held
            event is recorded once and seen again later.
    """

    key: str
    data: Mapping[str, Any] = field(default_factory=dict)
    evidence: Mapping[str, Any] = field(default_factory=dict)
    chain: tuple[str, ...] = ()
    hold: str | None = None


class Snapshot:
    """The workspace's state for one tick, each part read on first use."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    @functools.cached_property
    def datasets(self) -> dict[str, DatasetRecord]:
        """Datasets by name."""
        return {d.name: d for d in self.workspace.datasets.list_datasets()}

    @functools.cached_property
    def open_alerts(self) -> list[AlertRecord]:
        """The project's open alerts."""
        ws = self.workspace
        return ws.monitors.list_alerts(ws.project, status="open", limit=None)

    @functools.cached_property
    def registry_events(self) -> list[RegistryEventRecord]:
        """The registry's recent events, oldest first."""
        ws = self.workspace
        return ws.models.list_registry_events(ws.project, limit=_RUN_LOOKBACK)

    @functools.cached_property
    def finished_runs(self) -> list[RunRecord]:
        """Recent runs that ended, newest first."""
        ws = self.workspace
        recent = ws.runs.list_runs(project=ws.project, limit=_RUN_LOOKBACK)
        return [r for r in recent if r.ended_at is not None]

    def run_chain(self, run_id: str | None) -> tuple[str, ...]:
        """The trigger chain tagged on a run (empty if none or unknown)."""
        if not run_id:
            return ()
        try:
            run = self.workspace.runs.get_run(run_id)
        except LookupError:
            return ()
        return tuple(t for t in run.tags.get(CHAIN_TAG, "").split(",") if t)


def initial_cursor(
    workspace: Workspace, kind: str, spec: Mapping[str, Any], at: float
) -> dict[str, Any]:
    """Where a new trigger starts watching: only what happens after it exists."""
    if kind == "schedule":
        return {"next_at": _next_time(spec, at)}
    if kind == "dataset":
        dataset = workspace.datasets.get_dataset(str(spec["dataset"]))
        rows = _rows(workspace, dataset)
        return {"version": dataset.latest_version, "rows": rows, "seen": 0}
    if kind == "model":
        events = workspace.models.list_registry_events(workspace.project, limit=1)
        return {"event_id": events[-1].id if events else 0}
    return {"since": at, "done": []}


def detect(
    trigger: TriggerRecord, snapshot: Snapshot, at: float
) -> tuple[list[Event], dict[str, Any]]:
    """The trigger's new events and its cursor once they are handled."""
    return _DETECTORS.get(trigger.kind, _nothing)(trigger, snapshot, at)


def _nothing(
    trigger: TriggerRecord, _snapshot: Snapshot, _at: float
) -> tuple[list[Event], dict[str, Any]]:
    return [], dict(trigger.cursor)


def _schedule(
    trigger: TriggerRecord, _snapshot: Snapshot, at: float
) -> tuple[list[Event], dict[str, Any]]:
    due = float(trigger.cursor.get("next_at") or 0)
    if at < due:
        return [], dict(trigger.cursor)
    when = datetime.fromtimestamp(due, tz=UTC).isoformat()
    event = Event(
        key=f"schedule:{when}",
        data={"scheduled_at": when},
        evidence={"scheduled_at": when, "late_by_s": round(at - due, 3)},
    )
    return [event], {"next_at": _next_time(trigger.spec, at)}


def _dataset(
    trigger: TriggerRecord, snapshot: Snapshot, _at: float
) -> tuple[list[Event], dict[str, Any]]:
    cursor = dict(trigger.cursor)
    dataset = snapshot.datasets.get(str(trigger.spec["dataset"]))
    if dataset is None or dataset.latest_version <= int(cursor.get("version", 0)):
        return [], cursor
    latest = snapshot.workspace.datasets.get_dataset_version(
        dataset.name, dataset.latest_version
    )
    rows = int(latest.row_count or 0)
    new_rows = rows - int(cursor.get("rows", 0))
    data = {
        "dataset": dataset.name,
        "version": dataset.latest_version,
        "version_id": latest.id,
        "row_count": rows,
        "new_rows": new_rows,
    }
    minimum = trigger.spec.get("min_rows")
    hold = None
    if minimum is not None and new_rows < int(minimum):
        hold = f"not enough new rows: {new_rows} of {minimum}"
    seen = int(cursor.get("seen", 0))
    if hold is not None and seen >= dataset.latest_version:
        return [], cursor  # already recorded as held for this version
    event = Event(
        key=f"dataset:{dataset.name}@v{dataset.latest_version}",
        data=data,
        evidence={**data, "min_rows": minimum},
        hold=hold,
    )
    if hold is not None:
        return [event], {**cursor, "seen": dataset.latest_version}
    return [event], {"version": dataset.latest_version, "rows": rows, "seen": 0}


def _monitor(
    trigger: TriggerRecord, snapshot: Snapshot, _at: float
) -> tuple[list[Event], dict[str, Any]]:
    cursor = dict(trigger.cursor)
    done = list(cursor.get("done", []))
    held: dict[str, int] = dict(cursor.get("held", {}))
    breaches = int(trigger.policy.get("breaches", 1))
    events = []
    for alert in snapshot.open_alerts:
        if alert.monitor != trigger.spec["monitor"] or alert.id in done:
            continue
        if trigger.spec.get("check") and alert.check != trigger.spec["check"]:
            continue
        window = dict(alert.evidence.get("window", {}) or {})
        data = {
            "monitor": alert.monitor,
            "check": alert.check,
            "alert_id": alert.id,
            "severity": alert.severity,
            "window_start": window.get("start"),
            "window_end": window.get("end"),
        }
        evidence = {**data, "message": alert.message, "occurrences": alert.occurrences}
        evidence["details"] = {k: v for k, v in alert.evidence.items() if k != "window"}
        if alert.occurrences < breaches:
            if held.get(alert.id) != alert.occurrences:
                held[alert.id] = alert.occurrences
                hold = f"not enough breaches: {alert.occurrences} of {breaches}"
                events.append(Event(f"monitor:{alert.id}", data, evidence, hold=hold))
            continue
        held.pop(alert.id, None)
        done.append(alert.id)
        events.append(Event(f"monitor:{alert.id}", data, evidence))
    return events, {**cursor, "done": done[-_DONE_KEPT:], "held": held}


def _model(
    trigger: TriggerRecord, snapshot: Snapshot, _at: float
) -> tuple[list[Event], dict[str, Any]]:
    cursor = dict(trigger.cursor)
    last = int(cursor.get("event_id", 0))
    wanted = (
        ("register",)
        if trigger.spec.get("event") == "registered"
        else (
            "promote",
            "rollback",
        )
    )
    events = []
    for event in snapshot.registry_events:
        if event.id <= last or event.model != trigger.spec["model"]:
            continue
        last = max(last, event.id)
        if event.action not in wanted:
            continue
        alias = trigger.spec.get("alias")
        if alias and event.alias != alias:
            continue
        version = event.to_version if event.action != "register" else event.version
        data = {
            "model": event.model,
            "version": version,
            "alias": event.alias,
            "action": event.action,
        }
        chain = snapshot.run_chain(_version_run(snapshot.workspace, event))
        events.append(Event(f"model:{event.id}", data, dict(data), chain=chain))
    return events, {"event_id": last}


def _pipeline(
    trigger: TriggerRecord, snapshot: Snapshot, _at: float
) -> tuple[list[Event], dict[str, Any]]:
    cursor = dict(trigger.cursor)
    since = float(cursor.get("since", 0))
    status = trigger.spec.get("status", "completed")
    newest = since
    events = []
    for run in reversed(snapshot.finished_runs):
        ended = float(run.ended_at or 0)
        if run.pipeline != trigger.spec["upstream"] or ended <= since:
            continue
        newest = max(newest, ended)
        if status not in ("any", run.status):
            continue
        data = {
            "upstream": run.pipeline,
            "upstream_run_id": run.id,
            "upstream_status": run.status,
        }
        chain = tuple(t for t in run.tags.get(CHAIN_TAG, "").split(",") if t)
        events.append(Event(f"pipeline:{run.id}", data, dict(data), chain=chain))
    return events, {**cursor, "since": newest}


_DETECTORS = {
    "schedule": _schedule,
    "dataset": _dataset,
    "monitor": _monitor,
    "model": _model,
    "pipeline": _pipeline,
}


def _next_time(spec: Mapping[str, Any], after: float) -> float:
    if "every" in spec:
        return after + float(spec["every"])
    from zoneinfo import ZoneInfo

    from croniter import croniter  # type: ignore[import-untyped]

    start = datetime.fromtimestamp(after, tz=ZoneInfo(str(spec.get("timezone", "UTC"))))
    return float(croniter(str(spec["cron"]), start).get_next(float))


def _rows(workspace: Workspace, dataset: DatasetRecord) -> int:
    if dataset.latest_version == 0:
        return 0
    version = workspace.datasets.get_dataset_version(
        dataset.name, dataset.latest_version
    )
    return int(version.row_count or 0)


def _version_run(workspace: Workspace, event: RegistryEventRecord) -> str | None:
    if event.model is None or event.version is None:
        return None
    try:
        version = workspace.models.get_model_version(
            event.project, event.model, event.version
        )
    except LookupError:
        return None
    return version.run_id
