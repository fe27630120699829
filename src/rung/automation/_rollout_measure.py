"""Measuring a rollout's challenger: servers' counters, the logs, the labels.

Error rate and latency come from the counters every server process writes
for each arm (``rung.serving`` ``rollout_stats``), summed over workers:
errors / requests, and the 95th percentile of the per-request predict time
(the bound of its latency bucket). The live metric comes from the log: the
canary's own answered rows, or in shadow the challenger's mirrored rows
joined with the champion's answers, on the rows feedback labelled.

:func:`compare_shadow` puts the two logs of a shadow side by side: how often
the versions agree, how their predictions are distributed, and both metrics
on the labelled rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rung.automation._rollout import get_rollout, rollouts
from rung.automation._scoring import LOWER_IS_BETTER

if TYPE_CHECKING:
    import pandas as pd

    from rung.serving.records import RolloutRecord, RolloutStatRecord
    from rung.workspace import Workspace

__all__ = [
    "Measured",
    "arm_totals",
    "compare_shadow",
    "measure_rollout",
    "rollout_stats",
]


@dataclass(frozen=True, slots=True)
class Measured:
    """What a check found: numbers, breaches, what could not be judged yet."""

    evidence: dict[str, Any] = field(default_factory=dict)
    breaches: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def arm_totals(stats: list[RolloutStatRecord]) -> dict[str, dict[str, Any]]:
    """Per arm: counters summed over workers, error rate, mean and p95 latency."""
    from rung.serving import latency_quantile

    arms: dict[str, dict[str, Any]] = {}
    for stat in stats:
        arm = arms.setdefault(
            stat.arm,
            {
                "version": stat.version,
                "requests": 0,
                "errors": 0,
                "rows": 0,
                "latency_ms_sum": 0.0,
                "buckets": [0] * len(stat.latency_buckets),
                "workers": 0,
            },
        )
        arm["requests"] += stat.requests
        arm["errors"] += stat.errors
        arm["rows"] += stat.rows
        arm["latency_ms_sum"] += stat.latency_ms_sum
        arm["workers"] += 1
        arm["buckets"] = [
            a + b for a, b in zip(arm["buckets"], stat.latency_buckets, strict=False)
        ]
    for arm in arms.values():
        requests = arm["requests"]
        arm["error_rate"] = arm["errors"] / requests if requests else None
        arm["latency_mean_ms"] = arm["latency_ms_sum"] / requests if requests else None
        arm["latency_p95_ms"] = latency_quantile(arm.pop("buckets"), 0.95)
        del arm["latency_ms_sum"]
    return arms


def rollout_stats(workspace: Workspace, rollout_id: str) -> dict[str, dict[str, Any]]:
    """What the servers counted for a rollout, per arm, summed over workers.

    Returns:
        ``arm -> {version, requests, errors, rows, workers, error_rate,
        latency_mean_ms, latency_p95_ms}`` for ``champion``, ``canary`` and
        ``shadow`` (the arms that served requests).

    Raises:
        RolloutNotFoundError: unknown rollout.
    """
    rollout = get_rollout(workspace, rollout_id)
    return arm_totals(rollouts(workspace).list_rollout_stats(rollout.id))


def measure_rollout(
    workspace: Workspace, rollout: RolloutRecord, at: float
) -> Measured:
    """Judge the challenger of a running rollout against its thresholds."""
    arm = "canary" if rollout.stage == "canary" else "shadow"
    totals = arm_totals(rollouts(workspace).list_rollout_stats(rollout.id))
    evidence: dict[str, Any] = {"arms": totals, "since": rollout.stage_started_at}
    breaches: list[str] = []
    notes: list[str] = []
    _served(rollout, totals.get(arm), arm, breaches, notes)
    if rollout.thresholds.get("min_metric") is not None:
        labelled = _labelled(workspace, rollout, at)
        _metric(rollout, labelled, evidence, breaches, notes)
    return Measured(evidence, tuple(breaches), tuple(notes))


def compare_shadow(
    workspace: Workspace, rollout_id: str, *, until: float | None = None
) -> dict[str, Any]:
    """The champion's answers and the shadow's predictions, side by side.

    Args:
        workspace: the workspace.
        rollout_id: a rollout that had a shadow stage (id or prefix).
        until: the end of the window (default: the end of the shadow stage,
            or now while it runs).

    Returns:
        ``rows`` (mirrored rows found in both logs), ``agreement`` (share of
        equal predictions), ``distribution`` (per class, both shares, for
        classifiers; else mean, std and the mean absolute difference),
        ``labelled_rows``, ``metric`` and both values on the labelled rows,
        and each arm's counters.

    Raises:
        RolloutNotFoundError: unknown rollout.
        RolloutError: the rollout had no shadow stage.
    """
    from rung.errors import RolloutError
    from rung.serving import read_shadow_pairs

    rollout = get_rollout(workspace, rollout_id)
    window = _shadow_window(rollout, until)
    if window is None:
        raise RolloutError(
            f"Rollout {rollout.id[:12]} went straight to canary: it has no shadow "
            "log to compare. Start a rollout with a shadow period.",
            rollout_id=rollout.id,
            reason="no_shadow",
        )
    pairs = read_shadow_pairs(
        workspace,
        rollout.model,
        rollout.champion_version,
        rollout.challenger_version,
        window[0],
        window[1],
    )
    result: dict[str, Any] = {
        "rollout_id": rollout.id,
        "model": rollout.model,
        "champion_version": rollout.champion_version,
        "challenger_version": rollout.challenger_version,
        "since": window[0],
        "until": window[1],
        "rows": len(pairs),
        "agreement": None,
        "distribution": {},
        "labelled_rows": 0,
        "metric": None,
        "champion_metric": None,
        "challenger_metric": None,
        "arms": arm_totals(rollouts(workspace).list_rollout_stats(rollout.id)),
    }
    if pairs.empty:
        return result
    result["agreement"] = float((pairs["champion"] == pairs["challenger"]).mean())
    result["distribution"] = _distribution(pairs)
    labelled = pairs[pairs["label"].notna()]
    result["labelled_rows"] = len(labelled)
    if len(labelled):
        name = _metric_name(rollout, _frame(labelled, "challenger"))
        result["metric"] = name
        for role in ("champion", "challenger"):
            result[f"{role}_metric"] = _score(_frame(labelled, role), name)
    return result


def _served(
    rollout: RolloutRecord,
    totals: dict[str, Any] | None,
    arm: str,
    breaches: list[str],
    notes: list[str],
) -> None:
    limits = rollout.thresholds
    max_errors, max_ms = limits.get("max_error_rate"), limits.get("max_latency_ms")
    if max_errors is None and max_ms is None:
        return
    requests = 0 if totals is None else int(totals["requests"])
    needed = int(limits.get("min_requests") or 1)
    if requests < needed:
        notes.append(
            f"error rate and latency not judged yet: {requests} {arm} request(s), "
            f"min_requests={needed}"
        )
        return
    if totals is None:  # pragma: no cover - requests > 0 means totals exist
        return
    rate = float(totals["error_rate"] or 0.0)
    if max_errors is not None and rate > float(max_errors):
        breaches.append(
            f"{arm} error rate {rate:.2%} of {requests} requests, "
            f"max {float(max_errors):.2%}"
        )
    p95 = totals["latency_p95_ms"]
    if max_ms is not None and p95 is not None and p95 > float(max_ms):
        breaches.append(
            f"{arm} latency p95 {_ms(p95)} over {requests} requests, "
            f"max {float(max_ms):g} ms"
        )


def _labelled(workspace: Workspace, rollout: RolloutRecord, at: float) -> pd.DataFrame:
    if rollout.stage == "canary":
        from rung.serving import read_predictions

        rows = read_predictions(
            workspace,
            rollout.model,
            rollout.challenger_version,
            since=rollout.stage_started_at,
            until=at,
        )
        return rows[rows["label"].notna()] if "label" in rows else rows[:0]
    from rung.serving import read_shadow_pairs

    pairs = read_shadow_pairs(
        workspace,
        rollout.model,
        rollout.champion_version,
        rollout.challenger_version,
        rollout.stage_started_at,
        at,
    )
    return _frame(pairs[pairs["label"].notna()], "challenger")


def _metric(
    rollout: RolloutRecord,
    labelled: pd.DataFrame,
    evidence: dict[str, Any],
    breaches: list[str],
    notes: list[str],
) -> None:
    limits = rollout.thresholds
    needed = int(limits.get("min_rows") or 1)
    evidence["labelled_rows"] = len(labelled)
    if len(labelled) < needed:
        notes.append(
            f"live metric not judged yet: {len(labelled)} labelled row(s) of the "
            f"challenger, min_rows={needed}"
        )
        return
    name = _metric_name(rollout, labelled)
    value = _score(labelled, name)
    if value is None:
        notes.append(f"{name} not computable on the labelled rows")
        return
    evidence[name] = value
    bound = float(limits["min_metric"])
    lower = name in LOWER_IS_BETTER
    if (value > bound) if lower else (value < bound):
        word = "max" if lower else "min"
        breaches.append(
            f"live {name} {value:.4g} on {len(labelled)} labelled rows, "
            f"{word} {bound:g}"
        )


def _metric_name(rollout: RolloutRecord, labelled: pd.DataFrame) -> str:
    given = rollout.thresholds.get("metric")
    if given:
        return str(given)
    from rung.monitoring import evaluate_performance

    scored = evaluate_performance(_columns(labelled))
    return "accuracy" if "accuracy" in scored.metrics else "rmse"


def _score(labelled: pd.DataFrame, name: str) -> float | None:
    from rung.monitoring import evaluate_performance

    value = evaluate_performance(_columns(labelled)).metrics.get(name)
    return None if value is None else float(value)


def _columns(labelled: pd.DataFrame) -> pd.DataFrame:
    keep = [
        c
        for c in labelled.columns
        if c in ("label", "prediction") or str(c).startswith("proba_")
    ]
    return labelled[keep]


def _frame(pairs: pd.DataFrame, role: str) -> pd.DataFrame:
    """The pairs as one version's labelled rows (``prediction``, ``proba_*``)."""
    prefix = f"{role}_proba_"
    renamed = {role: "prediction"} | {
        c: c.removeprefix(f"{role}_") for c in pairs.columns if c.startswith(prefix)
    }
    return pairs[["label", *renamed]].rename(columns=renamed)


def _distribution(pairs: pd.DataFrame) -> dict[str, Any]:
    import pandas as pd

    both = pairs[["champion", "challenger"]]
    numeric = all(pd.api.types.is_float_dtype(both[c]) for c in both.columns)
    if numeric and both["champion"].nunique() > 20:  # a regressor
        return {
            "champion_mean": float(both["champion"].mean()),
            "challenger_mean": float(both["challenger"].mean()),
            "champion_std": float(both["champion"].std()),
            "challenger_std": float(both["challenger"].std()),
            "mean_abs_difference": float(
                (both["champion"] - both["challenger"]).abs().mean()
            ),
        }
    shares = {
        role: both[role].astype(str).value_counts(normalize=True)
        for role in ("champion", "challenger")
    }
    classes = sorted(set(shares["champion"].index) | set(shares["challenger"].index))
    per_class = {
        c: {role: float(shares[role].get(c, 0.0)) for role in shares} for c in classes
    }
    distance = 0.5 * sum(
        abs(v["champion"] - v["challenger"]) for v in per_class.values()
    )
    return {"classes": per_class, "total_variation": float(distance)}


def _shadow_window(
    rollout: RolloutRecord, until: float | None
) -> tuple[float, float | None] | None:
    shadow = [s for s in rollout.stages if s.get("stage") == "shadow"]
    if not shadow:
        return None
    start = float(shadow[0]["at"])
    later = [float(s["at"]) for s in rollout.stages if float(s["at"]) > start]
    end = until if until is not None else (min(later) if later else None)
    return start, end


def _ms(value: float) -> str:
    return "over 5 s" if value == float("inf") else f"<= {value:g} ms"
