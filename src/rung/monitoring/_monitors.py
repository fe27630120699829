"""Defining monitors: ``create_monitor``, lookups, schedules, windows."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from rung._internal.timeutil import now as _now
from rung.errors import MonitorDefinitionError
from rung.monitoring._sinks import check_sink, redact_sink
from rung.monitoring._verdicts import DEFAULT_THRESHOLDS, METHODS, FeatureRule
from rung.monitoring.records import DEFAULT_CHECKS, MONITOR_CHECKS, MonitorRecord

if TYPE_CHECKING:
    from rung.workspace import Workspace

__all__ = [
    "create_monitor",
    "delete_monitor",
    "due_monitors",
    "get_monitor",
    "known_thresholds",
    "list_monitors",
    "parse_window",
]

_PERFORMANCE = ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss")
_REGRESSION = ("mae", "rmse", "r2")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800}


def known_thresholds() -> tuple[str, ...]:
    """Every threshold name a monitor accepts."""
    from rung.monitoring._quality import QUALITY_THRESHOLDS  # NumPy: only here

    drops = [f"{m}_drop" for m in (*_PERFORMANCE, *_REGRESSION)]
    return (
        "drift_share",
        "drift_alert_share",
        *DEFAULT_THRESHOLDS,
        *QUALITY_THRESHOLDS,
        *drops,
        "min_chunk_rows",
    )


def create_monitor(
    workspace: Workspace,
    name: str,
    *,
    model: str | None = None,
    reference: Any = None,
    current: Any = None,
    checks: Sequence[str] | None = None,
    thresholds: Mapping[str, float] | None = None,
    window: str | float | None = None,
    window_rows: int | None = None,
    schedule: str | None = None,
    features: Mapping[str, FeatureRule | Mapping[str, Any]] | None = None,
    sinks: Sequence[Mapping[str, Any]] | None = None,
    label: str | None = None,
    description: str = "",
    alert_allow_hosts: Sequence[str] = (),
) -> MonitorRecord:
    """Define a monitor (stored in the workspace; run it with ``run_monitor``).

    Args:
        workspace: where to store it.
        name: unique in the project (letters, digits, ``_.-``).
        model: the model URI (``churn@production``); then the reference
            defaults to its training data and the current data to its
            prediction log.
        reference: a source (``dataset:claims``, ``run:ID/STEP``...) or a
            DataFrame (stored as an artifact).
        current: a source, a DataFrame, or None (the prediction log).
        checks: from ``drift, prediction_drift, target_drift, quality,
            performance, estimated_performance`` (default: all but
            ``estimated_performance``).
        thresholds: e.g. ``{"drift_share": 0.3, "accuracy_drop": 0.05}``;
            ``<metric>_drop`` judges realised and estimated performance,
            ``min_chunk_rows`` is the fewest rows an estimate is made from.
        window: the production window: ``"1h"``, ``"15m"``, or seconds.
        window_rows: or the newest N rows of the log.
        schedule: a cron expression for ``run_monitor --due`` automation.
        features: per-feature :class:`FeatureRule` overrides.
        sinks: alert sinks, e.g. ``[{"type": "webhook", "url": "...",
            "headers": {"Authorization": "env:HOOK_AUTH"}}]``. Secrets are
            references (``env:NAME``, ``file:/path``), never values.
        label: the label column of the reference (default: guessed).
        description: free text.
        alert_allow_hosts: internal webhook receivers allowed anyway
            (``127.0.0.1:8123``, ``10.0.0.0/8``); public ones need none.

    Raises:
        MonitorDefinitionError: anything invalid (with what to write instead).
        ModelNotFoundError / DatasetNotFoundError: unknown model or dataset.

    Example:
        >>> create_monitor(ws, "churn", model="churn@production",
        ...                thresholds={"drift_share": 0.3})  # doctest: +SKIP
    """
    from rung.monitoring._sources import training_table  # NumPy: only here

    version = None
    if model is not None:
        from rung.registry import resolve_model

        version = resolve_model(workspace, model)
    ref = _source(workspace, reference, "model" if model else None, "reference")
    if ref["kind"] == "model" and version is not None:
        training_table(workspace, version)  # fail now, not at the first run
    cur = _source(workspace, current, "predictions" if model else None, "current")
    if cur["kind"] == "predictions" and model is None:
        raise MonitorDefinitionError(
            "The current data 'predictions' needs a model: give model=NAME@ALIAS."
        )
    if label is not None:
        ref["label"] = label
    chosen = tuple(checks) if checks else DEFAULT_CHECKS
    _check_checks(chosen, has_model=version is not None)
    at = _now()
    record = MonitorRecord(
        name=name,
        project=workspace.project,
        user=workspace.user,
        created_at=at,
        updated_at=at,
        model=model,
        reference=ref,
        current=cur,
        checks=chosen,
        thresholds=_thresholds(thresholds),
        window=parse_window(window, window_rows),
        schedule=_schedule(schedule),
        features=_features(features),
        sinks=tuple(
            check_sink(s, allow_hosts=alert_allow_hosts)
            for s in (sinks or ({"type": "log"},))
        ),
        description=description,
    )
    workspace.monitors.add_monitor(record)
    return record


def get_monitor(workspace: Workspace, name: str) -> MonitorRecord:
    """One monitor of the workspace's project (MonitorNotFoundError if none).

    Its sinks show secret references, never secret values.
    """
    return _redacted(workspace.monitors.get_monitor(workspace.project, name))


def list_monitors(workspace: Workspace) -> list[MonitorRecord]:
    """The project's monitors, by name (sinks redacted as in ``get_monitor``)."""
    return [_redacted(m) for m in workspace.monitors.list_monitors(workspace.project)]


def delete_monitor(workspace: Workspace, name: str) -> None:
    """Delete a monitor and its history (evaluations, values, alerts)."""
    workspace.monitors.delete_monitor(workspace.project, name)


def due_monitors(
    workspace: Workspace, *, at: float | None = None
) -> list[MonitorRecord]:
    """Monitors whose cron schedule has come since they last ran (or were made)."""
    from croniter import croniter  # type: ignore[import-untyped]

    moment = _now() if at is None else at
    due = []
    for monitor in list_monitors(workspace):
        if monitor.schedule is None:
            continue
        last = monitor.last_evaluated_at or monitor.created_at
        if float(croniter(monitor.schedule, last).get_next(float)) <= moment:
            due.append(monitor)
    return due


def parse_window(window: str | float | None, rows: int | None = None) -> dict[str, Any]:
    """``"1h"`` -> ``{"seconds": 3600}``; ``rows=1000`` -> ``{"rows": 1000}``.

    Raises:
        MonitorDefinitionError: both given, or an unreadable duration.
    """
    if window is not None and rows is not None:
        raise MonitorDefinitionError(
            "Give a time window or a row count, not both (--window 1h or "
            "--window-rows 10000)."
        )
    if rows is not None:
        if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
            raise MonitorDefinitionError(f"--window-rows must be >= 1, got {rows!r}.")
        return {"rows": rows}
    if window is None:
        return {}
    if isinstance(window, int | float) and not isinstance(window, bool) and window > 0:
        return {"seconds": float(window)}
    text = str(window).strip().lower()
    parts = _DURATION.findall(text)
    if not parts or "".join(a + b for a, b in parts) != text:
        raise MonitorDefinitionError(
            f"Cannot read the window {window!r}. Write a duration such as '15m', "
            "'1h', '1h30m', '7d' (units s, m, h, d, w)."
        )
    return {"seconds": float(sum(float(n) * _UNITS[u] for n, u in parts))}


def _redacted(monitor: MonitorRecord) -> MonitorRecord:
    # Sinks hold references only; a spec stored before that rule may still
    # hold a literal secret, which must not reach a listing.
    return replace(monitor, sinks=tuple(redact_sink(s) for s in monitor.sinks))


def _source(
    workspace: Workspace, given: Any, default: str | None, role: str
) -> dict[str, Any]:
    from rung.monitoring._sources import parse_source, pin_source

    if given is None:
        if default is None:
            raise MonitorDefinitionError(
                f"A monitor without a model needs a {role}: give {role}=... "
                "(dataset:NAME, run:RUN_ID, or a DataFrame)."
            )
        return {"kind": default}
    if isinstance(given, str):
        spec = parse_source(given)
        if role == "reference" and spec["kind"] == "predictions":
            raise MonitorDefinitionError("The reference cannot be the prediction log.")
        return pin_source(workspace, spec)
    if isinstance(given, Mapping):
        return pin_source(workspace, dict(given))
    record = workspace.put_artifact(given)
    return {"kind": "artifact", "id": record.id}


def _check_checks(checks: Sequence[str], *, has_model: bool) -> None:
    unknown = [c for c in checks if c not in MONITOR_CHECKS]
    if unknown:
        raise MonitorDefinitionError(
            f"Unknown checks {unknown}; use one or more of: "
            f"{', '.join(MONITOR_CHECKS)}."
        )
    del has_model  # every check also works on DataFrames that hold outputs


def _thresholds(given: Mapping[str, float] | None) -> dict[str, float]:
    known = known_thresholds()
    out = {}
    for key, value in (given or {}).items():
        if key not in known:
            raise MonitorDefinitionError(
                f"Unknown threshold {key!r}. Known thresholds: {', '.join(known)}."
            )
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise MonitorDefinitionError(
                f"Threshold {key!r} must be a number >= 0, got {value!r}."
            )
        out[key] = float(value)
    return out


def _schedule(schedule: str | None) -> str | None:
    if schedule is None:
        return None
    from croniter import croniter

    if not croniter.is_valid(schedule):
        raise MonitorDefinitionError(
            f"Invalid cron schedule {schedule!r}. Write five fields, e.g. "
            "'*/15 * * * *' (every 15 minutes) or '0 6 * * *' (daily at 06:00)."
        )
    return schedule


def _features(given: Mapping[str, Any] | None) -> dict[str, Any]:
    out = {}
    methods = {m for kind in METHODS.values() for m in kind}
    for name, rule in (given or {}).items():
        parsed = FeatureRule.parse(rule, name)
        if parsed.method is not None and parsed.method not in methods:
            raise MonitorDefinitionError(
                f"Unknown method {parsed.method!r} for feature {name!r}; use one of "
                f"{', '.join(sorted(methods))}."
            )
        if parsed.kind is not None and parsed.kind not in METHODS:
            raise MonitorDefinitionError(
                f"Kind {parsed.kind!r} of feature {name!r} is unknown; use numeric or "
                "categorical."
            )
        out[name] = {k: v for k, v in vars_of(parsed).items() if v is not None}
    return out


def vars_of(rule: FeatureRule) -> dict[str, Any]:
    """A rule's fields as a dict."""
    return {k: getattr(rule, k) for k in ("method", "threshold", "kind", "bins")}
