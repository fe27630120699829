"""Watching an alias after a promotion, and rolling it back on a breach.

:func:`watch_promotion` stores a watch: from the promotion until the end of
the bake period, every agent tick (:func:`check_watches`) measures the
promoted version on what production logged since the promotion:

- the live metric, on the rows that got feedback labels (once ``min_rows``
  of them arrived);
- the error rate, when the prediction log records serving errors (it
  records answered predictions only, so this is noted and skipped);
- the latency: the version's median predict time per 1,000 of the inputs it
  served, measured on the agent's machine (the log records no request times).

A breach rolls the alias back to the version it replaced through the
registry's :func:`rollback_model`, with the evidence in the audit event and
in the ledger. A watch whose alias moved elsewhere is superseded; one that
reaches the end of its bake period without a breach has passed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rung._internal.ids import new_id
from rung._internal.timeutil import format_time
from rung._internal.timeutil import now as _now
from rung.automation._ledger import record_event
from rung.automation._scoring import (
    LOWER_IS_BETTER,
    input_columns,
    latency_ms_per_1k,
    load_scorer,
)
from rung.automation.errors import ChallengerError
from rung.automation.records import WatchRecord
from rung.errors import RungError

if TYPE_CHECKING:
    import pandas as pd

    from rung.serving import ServedModel
    from rung.workspace import Workspace

__all__ = ["WatchCheck", "check_watches", "watch_promotion"]

_log = logging.getLogger("rung.automation")

_NO_ERRORS = (
    "error rate not checked: the prediction log records answered predictions "
    "only, not serving errors"
)
_OFFLINE = "latency measured on the agent's machine with the inputs served"


@dataclass(frozen=True, slots=True)
class WatchCheck:
    """One check of a watch.

    Attributes:
        watch: the watch after the check.
        outcome: ``ok`` (still watching), ``passed``, ``rolled_back``,
            ``superseded`` or ``error`` (a rollback failed; retried next tick).
        breaches: what was out of bounds, with the numbers.
        notes: what could not be checked yet, and why.
        evidence: the numbers measured.
    """

    watch: WatchRecord
    outcome: str
    breaches: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)


def watch_promotion(
    workspace: Workspace,
    model: str,
    alias: str = "production",
    *,
    bake_s: float = 3600.0,
    metric: str | None = None,
    metric_floor: float | None = None,
    error_rate_ceiling: float | None = None,
    latency_ceiling_ms: float | None = None,
    min_rows: int = 30,
    comparison_id: str | None = None,
    now: float | None = None,
) -> WatchRecord:
    """Watch ``alias`` from its last promotion until ``bake_s`` after it.

    Args:
        workspace: the workspace.
        model / alias: what to watch (the version the alias points to now).
        bake_s: the bake period, in seconds after the promotion.
        metric: the live metric (default ``accuracy``; ``rmse`` etc. for
            regressors).
        metric_floor: the worst acceptable live value (a floor for metrics
            where higher is better, a ceiling for ``rmse``, ``mae``,
            ``log_loss``).
        error_rate_ceiling: the highest share of failed requests.
        latency_ceiling_ms: the most milliseconds per 1,000 rows.
        min_rows: labelled rows needed before the live metric is judged.
        comparison_id: the comparison that promoted it (for lineage).
        now: the current time (default: now).

    Returns:
        The stored watch; an earlier active watch of the alias is superseded.

    Raises:
        ChallengerError: the alias is unset or has no earlier version, no
            threshold is given, or the bake period is already over.

    Example:
        >>> watch_promotion(ws, "churn", "production", bake_s=3600,
        ...                 metric_floor=0.85)  # doctest: +SKIP
    """
    at = _now() if now is None else float(now)
    if (
        metric_floor is None
        and error_rate_ceiling is None
        and latency_ceiling_ms is None
    ):
        raise ChallengerError(
            "Nothing to watch: give metric_floor, error_rate_ceiling or "
            "latency_ceiling_ms (--metric-floor, --error-rate-ceiling, "
            "--latency-ceiling-ms)."
        )
    if bake_s <= 0:
        raise ChallengerError(f"bake_s must be > 0 seconds, got {bake_s!r}.")
    version, previous, started = _promotion(workspace, model, alias, at)
    if started + bake_s <= at:
        raise ChallengerError(
            f"The bake period of {model}@{alias} is over: v{version} was promoted "
            f"at {format_time(started)} UTC and bake_s={bake_s:g} ended at "
            f"{format_time(started + bake_s)} UTC. Give a longer bake_s."
        )
    thresholds = {
        "metric": metric or "accuracy",
        "metric_floor": metric_floor,
        "error_rate_ceiling": error_rate_ceiling,
        "latency_ceiling_ms": latency_ceiling_ms,
        "min_rows": min_rows,
        "bake_s": bake_s,
    }
    watch = WatchRecord(
        new_id(),
        workspace.project,
        model,
        alias,
        version,
        previous,
        started,
        started + bake_s,
        at,
        workspace.user,
        thresholds=thresholds,
        comparison_id=comparison_id,
    )
    _supersede(workspace, model, alias, f"replaced by watch {watch.id[:12]}", at)
    workspace.triggers.add_watch(watch)
    _event(
        workspace,
        watch,
        "watch_started",
        f"watching v{version} until {format_time(watch.ends_at)} UTC",
        thresholds,
        at,
    )
    return watch


def check_watches(
    workspace: Workspace, *, now: float | None = None
) -> list[WatchCheck]:
    """Check every active watch once; roll back the aliases that breached.

    The agent calls this every tick. A watch that fails to be checked is
    reported with outcome ``error`` and checked again next time.
    """
    at = _now() if now is None else float(now)
    watches = workspace.triggers.list_watches(
        workspace.project, states=["watching"], limit=None
    )
    return [_check_safely(workspace, w, at) for w in reversed(watches)]


def _check_safely(workspace: Workspace, watch: WatchRecord, at: float) -> WatchCheck:
    try:
        return _check(workspace, watch, at)
    except Exception as exc:  # one broken watch never stops the others
        _log.warning("Promotion watch %s failed", watch.id, exc_info=True)
        return WatchCheck(watch, "error", notes=(f"{type(exc).__name__}: {exc}",))


def _check(workspace: Workspace, watch: WatchRecord, at: float) -> WatchCheck:
    model = workspace.models.get_model(workspace.project, watch.model)
    current = model.aliases.get(watch.alias)
    if current != watch.version:
        reason = f"{watch.alias} moved to v{current} (not by this watch)"
        return WatchCheck(
            _end(workspace, watch, "superseded", reason, at), "superseded"
        )
    evidence, breaches, notes = _measure(workspace, watch, at)
    if breaches:
        return _roll_back(workspace, watch, breaches, notes, evidence, at)
    if at >= watch.ends_at:
        reason = f"no breach in the bake period ({evidence.get('rows', 0)} rows)"
        ended = _end(workspace, watch, "passed", reason, at, evidence)
        return WatchCheck(ended, "passed", (), tuple(notes), evidence)
    changes = {"checked_at": at, "evidence": {**evidence, "notes": notes}}
    updated = workspace.triggers.update_watch(workspace.project, watch.id, changes)
    return WatchCheck(updated, "ok", (), tuple(notes), evidence)


def _measure(
    workspace: Workspace, watch: WatchRecord, at: float
) -> tuple[dict[str, Any], list[str], list[str]]:
    from rung.serving import read_predictions

    rows = read_predictions(
        workspace, watch.model, watch.version, since=watch.started_at, until=at
    )
    evidence: dict[str, Any] = {"rows": len(rows), "since": watch.started_at}
    breaches: list[str] = []
    notes: list[str] = []
    limits = watch.thresholds
    if limits.get("metric_floor") is not None:
        _live_metric(rows, limits, evidence, breaches, notes)
    if limits.get("error_rate_ceiling") is not None:
        _error_rate(
            rows, float(limits["error_rate_ceiling"]), evidence, breaches, notes
        )
    if limits.get("latency_ceiling_ms") is not None:
        _latency(workspace, watch, rows, evidence, breaches, notes)
    return evidence, breaches, notes


def _live_metric(
    rows: pd.DataFrame,
    limits: Any,
    evidence: dict[str, Any],
    breaches: list[str],
    notes: list[str],
) -> None:
    from rung.monitoring import evaluate_performance

    metric, floor = str(limits["metric"]), float(limits["metric_floor"])
    labelled = rows[rows["label"].notna()] if "label" in rows else rows[:0]
    evidence["labelled_rows"] = len(labelled)
    if len(labelled) < int(limits.get("min_rows") or 1):
        notes.append(
            f"{metric} not judged yet: {len(labelled)} labelled row(s) since the "
            f"promotion, min_rows={limits.get('min_rows')}"
        )
        return
    scored = evaluate_performance(
        labelled[
            [
                c
                for c in labelled.columns
                if c in ("label", "prediction") or str(c).startswith("proba_")
            ]
        ]
    )
    value = scored.metrics.get(metric)
    if value is None:
        notes.append(f"{metric} not computable: {scored.reasons.get(metric, '')}")
        return
    evidence[metric] = value
    lower = metric in LOWER_IS_BETTER
    if (value > floor) if lower else (value < floor):
        bound = "ceiling" if lower else "floor"
        breaches.append(
            f"live {metric} {value:.4g} on {len(labelled)} labelled rows, "
            f"{bound} {floor:g}"
        )


def _error_rate(
    rows: pd.DataFrame,
    ceiling: float,
    evidence: dict[str, Any],
    breaches: list[str],
    notes: list[str],
) -> None:
    if "error" not in rows.columns:
        notes.append(_NO_ERRORS)
        return
    if rows.empty:
        return
    rate = float(rows["error"].notna().mean())
    evidence["error_rate"] = rate
    if rate > ceiling:
        breaches.append(
            f"error rate {rate:.2%} of {len(rows)} requests, ceiling {ceiling:.2%}"
        )


def _latency(  # noqa: PLR0917
    workspace: Workspace,
    watch: WatchRecord,
    rows: pd.DataFrame,
    evidence: dict[str, Any],
    breaches: list[str],
    notes: list[str],
) -> None:
    ceiling = float(watch.thresholds["latency_ceiling_ms"])
    if rows.empty:
        notes.append("latency not measured: no predictions since the promotion")
        return
    scorer = _scorer(workspace, watch)
    columns = input_columns(rows.tail(1000), scorer)
    [value] = latency_ms_per_1k([scorer], columns)
    evidence["latency_ms_per_1k"] = value
    evidence["latency_source"] = _OFFLINE
    if value > ceiling:
        breaches.append(
            f"latency {value:.3g} ms per 1,000 rows, ceiling {ceiling:g} ms"
        )


def _scorer(workspace: Workspace, watch: WatchRecord) -> ServedModel:
    # Loaded once per workspace and version, not every tick.
    cache: dict[tuple[str, int], ServedModel] = workspace.attach(
        "automation.watch_scorers", dict
    )
    key = (watch.model, watch.version)
    if key not in cache:
        record = workspace.models.get_model_version(
            workspace.project, watch.model, watch.version
        )
        cache[key] = load_scorer(workspace, record)
    return cache[key]


def _roll_back(  # noqa: PLR0917
    workspace: Workspace,
    watch: WatchRecord,
    breaches: list[str],
    notes: list[str],
    evidence: dict[str, Any],
    at: float,
) -> WatchCheck:
    from rung.registry import rollback_model

    reason = "; ".join(breaches)
    details = {
        "watch_id": watch.id,
        "comparison_id": watch.comparison_id,
        "breaches": breaches,
        "evidence": evidence,
    }
    try:
        rollback_model(
            workspace,
            watch.model,
            watch.alias,
            to=watch.previous_version,
            comment=f"automatic rollback of v{watch.version}: {reason}",
            details=details,
        )
    except RungError as exc:
        message = f"rollback to v{watch.previous_version} failed: {exc}"
        _event(workspace, watch, "watch_error", message, evidence, at)
        changes = {"checked_at": at, "evidence": {**evidence, "error": str(exc)}}
        updated = workspace.triggers.update_watch(workspace.project, watch.id, changes)
        return WatchCheck(updated, "error", tuple(breaches), tuple(notes), evidence)
    events = workspace.models.list_registry_events(
        workspace.project, model=watch.model, alias=watch.alias, limit=1
    )
    evidence = {**evidence, "registry_event_id": events[-1].id if events else None}
    ended = _end(workspace, watch, "rolled_back", reason, at, evidence, event=False)
    _event(
        workspace,
        watch,
        "rolled_back",
        reason,
        {**evidence, "breaches": breaches, "from_version": watch.version},
        at,
        version=watch.previous_version,
    )
    return WatchCheck(ended, "rolled_back", tuple(breaches), tuple(notes), evidence)


def _end(  # noqa: PLR0917
    workspace: Workspace,
    watch: WatchRecord,
    state: str,
    reason: str,
    at: float,
    evidence: dict[str, Any] | None = None,
    *,
    event: bool = True,
) -> WatchRecord:
    changes: dict[str, Any] = {
        "state": state,
        "reason": reason,
        "ended_at": at,
        "checked_at": at,
    }
    if evidence is not None:
        changes["evidence"] = evidence
    ended = workspace.triggers.update_watch(workspace.project, watch.id, changes)
    if event:
        action = "watch_passed" if state == "passed" else "watch_superseded"
        _event(workspace, ended, action, reason, evidence or {}, at)
    return ended


def _supersede(
    workspace: Workspace, model: str, alias: str, reason: str, at: float
) -> None:
    for old in workspace.triggers.list_watches(
        workspace.project, model=model, alias=alias, states=["watching"], limit=None
    ):
        _end(workspace, old, "superseded", reason, at)


def _promotion(
    workspace: Workspace, model: str, alias: str, at: float
) -> tuple[int, int, float]:
    """The version behind the alias, where a rollback goes, when it arrived."""
    from rung.registry import alias_stack

    current = workspace.models.get_model(workspace.project, model).aliases.get(alias)
    if current is None:
        raise ChallengerError(
            f"Model {model!r} has no alias {alias!r}: there is no promotion to "
            "watch. Promote a version first.",
            model=model,
            alias=alias,
            reason="alias_unset",
        )
    events = workspace.models.list_registry_events(
        workspace.project, model=model, alias=alias
    )
    stack = alias_stack(events, current)
    if len(stack) < 2:
        raise ChallengerError(
            f"{model}@{alias} (v{current}) has no earlier version to roll back to, "
            "so a watch could not act. Watch an alias after a promotion that "
            "replaced another version."
        )
    moved = [e for e in events if e.to_version == current and e.alias == alias]
    started = moved[-1].created_at if moved else at
    return current, stack[-2], started


def _event(  # noqa: PLR0917
    workspace: Workspace,
    watch: WatchRecord,
    action: str,
    reason: str,
    evidence: Any,
    at: float,
    version: int | None = None,
) -> None:
    record_event(
        workspace,
        watch.model,
        watch.alias,
        action,
        version=watch.version if version is None else version,
        comparison_id=watch.comparison_id,
        watch_id=watch.id,
        reason=reason,
        evidence=dict(evidence),
        at=at,
    )
