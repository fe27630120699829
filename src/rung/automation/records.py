"""Automation records: triggers, the dispatch ledger, the agent's lease, and the
champion/challenger records (comparisons, post-promotion watches, their ledger).

Frozen dataclasses, taken and returned by every ``TriggerStore`` backend.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CHALLENGER_ACTIONS",
    "COMPARISON_VERDICTS",
    "DISPATCH_OUTCOMES",
    "TRIGGER_KINDS",
    "TRIGGER_STATES",
    "WATCH_STATES",
    "ChallengerComparison",
    "ChallengerEventRecord",
    "DispatchRecord",
    "LeaseRecord",
    "TriggerRecord",
    "WatchRecord",
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


COMPARISON_VERDICTS: tuple[str, ...] = ("promote", "keep")
WATCH_STATES: tuple[str, ...] = ("watching", "passed", "rolled_back", "superseded")
"""``watching``: checked every agent tick; ``passed``: the bake period ended
without a breach; ``rolled_back``: a breach moved the alias back;
``superseded``: the alias moved elsewhere, or a newer watch replaced it."""
CHALLENGER_ACTIONS: tuple[str, ...] = (
    "compared",
    "promoted",
    "kept",
    "refused",
    "watch_started",
    "watch_passed",
    "watch_superseded",
    "rolled_back",
    "watch_error",
    "rollout_started",
    "rollout_canary",
    "rollout_rolled_back",
    "rollout_aborted",
    "rollout_refused",
)
"""The ``rollout_*`` entries follow a rollout (``evidence["rollout_id"]``): its
start, the move from shadow to canary, an automatic rollback of the canary,
an abort by hand, a promotion the registry refused. A rollout's promotion is
a ``promoted`` entry like any other."""


@dataclass(frozen=True, slots=True)
class ChallengerComparison:
    """A challenger and its champion scored on the same frozen window.

    Attributes:
        id: 32-hex id.
        project / model / alias: whose champion is challenged.
        champion_version / challenger_version: the two versions.
        created_at / user: when and by whom.
        metric: the primary metric; ``verdict``: ``promote`` or ``keep``.
        window: the frozen window: ``since``/``until`` (POSIX s), ``deployment``,
            ``rows`` (logged), ``labelled_rows`` (used), ``content_hash`` (SHA-256
            of the joined prediction ids and labels, in id order), first and
            last prediction ids.
        champion_metrics / challenger_metrics: every metric on the window.
        slices: per slice (``column=value``): rows, both values of the metric,
            the change, the tolerance and whether it passed.
        latency: milliseconds per 1,000 rows (median) of each model, the
            ceiling, the rows timed.
        holdout: the held-out slice of the training data: source, rows, both
            models' metrics (empty when there was none).
        checks: ``{"check", "passed", "detail"}`` per condition of the verdict.
        gates: the registry's gate results at comparison time (promotion
            checks them again).
        settings: what was asked (margin, tolerances, ceilings, minimum rows).
        notes: what was not checked, and why.
    """

    id: str
    project: str
    model: str
    alias: str
    champion_version: int
    challenger_version: int
    created_at: float
    user: str
    metric: str
    verdict: str
    window: Mapping[str, Any] = field(default_factory=dict)
    champion_metrics: Mapping[str, Any] = field(default_factory=dict)
    challenger_metrics: Mapping[str, Any] = field(default_factory=dict)
    slices: tuple[Mapping[str, Any], ...] = ()
    latency: Mapping[str, Any] = field(default_factory=dict)
    holdout: Mapping[str, Any] = field(default_factory=dict)
    checks: tuple[Mapping[str, Any], ...] = ()
    gates: tuple[Mapping[str, Any], ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def reasons(self) -> list[str]:
        """Every check as one line, failed ones first."""
        ordered = sorted(self.checks, key=lambda c: bool(c.get("passed")))
        return [
            f"{'ok' if c.get('passed') else 'FAILED'}: {c.get('detail', '')}"
            for c in ordered
        ]


@dataclass(frozen=True, slots=True)
class WatchRecord:
    """An alias watched after a promotion; a breach rolls it back.

    Attributes:
        id: 32-hex id.
        project / model / alias: what is watched.
        version: the promoted version; ``previous_version``: where a rollback
            goes.
        started_at: when the alias moved to ``version``; ``ends_at``: the end
            of the bake period.
        created_at / user: when and by whom the watch was set.
        thresholds: ``metric``, ``metric_floor``, ``error_rate_ceiling``,
            ``latency_ceiling_ms``, ``min_rows``.
        comparison_id: the comparison that promoted it, if any.
        state: one of :data:`WATCH_STATES`.
        checked_at: the last check; ``evidence``: what it measured.
        ended_at / reason: when and why it stopped watching.
    """

    id: str
    project: str
    model: str
    alias: str
    version: int
    previous_version: int
    started_at: float
    ends_at: float
    created_at: float
    user: str
    thresholds: Mapping[str, Any] = field(default_factory=dict)
    comparison_id: str | None = None
    state: str = "watching"
    checked_at: float | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    ended_at: float | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ChallengerEventRecord:
    """One entry of the champion/challenger ledger.

    Attributes:
        id: increasing with time (assigned by the store).
        project / model / alias: whose champion.
        action: one of :data:`CHALLENGER_ACTIONS`.
        at / user: when and by whom (the agent's user for automatic actions).
        version: the version acted on.
        comparison_id / watch_id: the records behind it.
        reason: one line.
        evidence: the numbers (metrics, thresholds, the registry event id).
    """

    id: int
    project: str
    model: str
    alias: str
    action: str
    at: float
    user: str
    version: int | None = None
    comparison_id: str | None = None
    watch_id: str | None = None
    reason: str = ""
    evidence: Mapping[str, Any] = field(default_factory=dict)
