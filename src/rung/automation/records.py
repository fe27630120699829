"""Automation records: triggers, the dispatch ledger, and the agent's lease.

Frozen dataclasses, taken and returned by every ``TriggerStore`` backend.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DISPATCH_OUTCOMES",
    "TRIGGER_KINDS",
    "TRIGGER_STATES",
    "DispatchRecord",
    "LeaseRecord",
    "TriggerRecord",
]

TRIGGER_KINDS: tuple[str, ...] = (
    "schedule",
    "dataset",
    "monitor",
    "model",
    "pipeline",
    "webhook",
    "manual",
)
TRIGGER_STATES: tuple[str, ...] = ("active", "paused")
DISPATCH_OUTCOMES: tuple[str, ...] = (
    "fired",
    "skipped",
    "error",
    "queued",
    "awaiting_approval",
)
"""``queued``: an event waiting for the agent (a webhook delivery, a manual
firing, an approved or postponed one); ``awaiting_approval``: held until a
person approves it."""


@dataclass(frozen=True, slots=True)
class TriggerRecord:
    """A rule that starts a pipeline when something happens.

    Attributes:
        id: 32-hex id.
        project / name: the trigger's name is unique in its project.
        pipeline: what it starts (``path/file.py:name`` or ``module:name``).
        kind: schedule, dataset, monitor, model, pipeline, webhook or manual.
        spec: what it watches (``cron``/``timezone``/``every``, ``dataset`` and
            ``min_rows``, ``monitor`` and ``check``, ``model``/``event``/
            ``alias``, ``upstream`` and ``status``, ``secret``).
        params: pipeline parameter -> a value, or ``{event.FIELD}`` taken from
            the event that fired it (the dataset version, the alert window...).
        policy: ``cooldown``, ``breaches``, ``max_concurrent``, ``on_busy``,
            ``max_per_day``, ``budget_cpu_hours``, ``approval``.
        state: ``active`` or ``paused``.
        cursor: what the trigger has seen already (the agent moves it).
        user: who created it.
        created_at / updated_at: POSIX seconds.
        description: free text.
    """

    id: str
    project: str
    name: str
    pipeline: str
    kind: str
    created_at: float
    updated_at: float
    user: str = "unknown"
    spec: Mapping[str, Any] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    policy: Mapping[str, Any] = field(default_factory=dict)
    state: str = "active"
    cursor: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""


@dataclass(frozen=True, slots=True)
class DispatchRecord:
    """One evaluation of a trigger, in the ledger: why it fired or did not.

    Attributes:
        id: increasing with time.
        project / trigger: whose evaluation.
        evaluated_at: POSIX seconds.
        outcome: fired, skipped, error, queued or awaiting_approval.
        reason: one line (``cooldown: fired 12 min ago, cooldown 1 h``).
        event_key: what the event was (``dataset:claims@v7``); a key fires at
            most once per trigger.
        evidence: the numbers behind it (drift score and threshold, version).
        params: the parameters the run was (or would be) started with.
        run_id: the run it started, once started.
        holder: the agent that acted on it.
        updated_at: POSIX seconds of the last change.
    """

    id: int
    project: str
    trigger: str
    evaluated_at: float
    outcome: str
    reason: str = ""
    event_key: str | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    run_id: str | None = None
    holder: str | None = None
    updated_at: float | None = None


@dataclass(frozen=True, slots=True)
class LeaseRecord:
    """Who leads a workspace's agents, until when.

    Attributes:
        name: what is led (``agent/<project>``).
        holder: the leading agent's id.
        expires_at: POSIX seconds; after that another agent may take over.
        acquired_at: when this holder took it.
    """

    name: str
    holder: str
    expires_at: float
    acquired_at: float
