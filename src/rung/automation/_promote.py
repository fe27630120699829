"""Promote a challenger when its comparison says so, through the registry.

The alias moves only through the registry's own :func:`promote_model`, so the
model's gates and approvals apply; a refusal changes nothing and is recorded
in the ledger with its message and the comparison's numbers. The registry's
audit event of a promotion carries the comparison id in its details.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rung.automation._challenger import compare_challenger
from rung.automation._ledger import record_event
from rung.automation.errors import ChallengerError
from rung.errors import PromotionRefusedError, RegistryConflictError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from rung.automation.records import ChallengerComparison, WatchRecord
    from rung.workspace import Workspace

__all__ = ["PromotionResult", "promote_if_better"]


@dataclass(frozen=True, slots=True)
class PromotionResult:
    """What :func:`promote_if_better` did.

    Attributes:
        comparison: the comparison it acted on.
        outcome: ``promoted``, ``kept`` (the verdict was to keep the champion)
            or ``refused`` (the registry's gates or approvals, a stale
            champion, or a concurrent change said no).
        reason: one line, with the numbers.
        watch: the post-promotion watch, when one was asked for.
    """

    comparison: ChallengerComparison
    outcome: str
    reason: str
    watch: WatchRecord | None = None

    @property
    def promoted(self) -> bool:
        """True when the alias now points to the challenger."""
        return self.outcome == "promoted"


def promote_if_better(
    workspace: Workspace,
    model: str,
    challenger_version: int,
    *,
    alias: str = "production",
    comparison: ChallengerComparison | str | None = None,
    comment: str = "",
    watch: Mapping[str, Any] | None = None,
    **options: Any,
) -> PromotionResult:
    """Compare (or reuse a comparison) and promote the challenger if it won.

    Args:
        workspace: the workspace.
        model / challenger_version: the challenger.
        alias: the alias to move.
        comparison: a stored comparison (record or id) to act on; default:
            compare now with ``options`` (see :func:`compare_challenger`).
        comment: why, for the registry's audit log.
        watch: after a promotion, watch the alias with these settings (see
            :func:`watch_promotion`: ``bake_s``, ``metric_floor``,
            ``error_rate_ceiling``, ``latency_ceiling_ms``, ``min_rows``).
        **options: settings of :func:`compare_challenger`.

    Returns:
        The outcome; a refusal is returned (and recorded), not raised.

    Raises:
        ChallengerError: the comparison is of another model, version or alias,
            or comparing failed (see :func:`compare_challenger`).

    Example:
        >>> result = promote_if_better(ws, "churn", 3, margin=0.01,
        ...                            watch={"bake_s": 3600, "metric_floor": 0.85})
        ... # doctest: +SKIP
        >>> result.outcome, result.reason  # doctest: +SKIP
        ('promoted', 'accuracy 0.91 vs champion 0.87: better by 0.04, ...')
    """
    _check_watch(watch)
    found = _comparison(workspace, model, challenger_version, alias, comparison)
    if found is None:
        found = compare_challenger(
            workspace, model, challenger_version, alias=alias, **options
        )
    if found.verdict != "promote":
        failed = [c["detail"] for c in found.checks if not c["passed"]]
        return _finish(workspace, found, "kept", "; ".join(failed))
    current = workspace.models.get_model(workspace.project, model).aliases.get(alias)
    if current != found.champion_version:
        return _finish(
            workspace,
            found,
            "refused",
            f"the champion changed since comparison {found.id[:12]} "
            f"(v{found.champion_version} then, v{current} now): compare again",
        )
    refusal = _promote(workspace, found, comment)
    if refusal is not None:
        return _finish(workspace, found, "refused", refusal)
    result = _finish(workspace, found, "promoted", _metric_check(found)["detail"])
    if watch is None:
        return result
    from rung.automation._watch import watch_promotion

    settings = {"metric": found.metric, **dict(watch)}
    return PromotionResult(
        found,
        result.outcome,
        result.reason,
        watch_promotion(workspace, model, alias, comparison_id=found.id, **settings),
    )


def _comparison(
    workspace: Workspace,
    model: str,
    version: int,
    alias: str,
    given: ChallengerComparison | str | None,
) -> ChallengerComparison | None:
    if given is None:
        return None
    found = (
        workspace.triggers.get_comparison(workspace.project, given)
        if isinstance(given, str)
        else given
    )
    if (found.model, found.challenger_version, found.alias) != (model, version, alias):
        raise ChallengerError(
            f"Comparison {found.id[:12]} is of {found.model} v"
            f"{found.challenger_version} for {found.alias!r}, not {model} v{version} "
            f"for {alias!r}. Pass the comparison of this challenger, or none to "
            "compare now."
        )
    return found


def _promote(
    workspace: Workspace, comparison: ChallengerComparison, comment: str
) -> str | None:
    """Move the alias through the registry; return why not, or None."""
    from rung.registry import promote_model

    metric = _metric_check(comparison)
    details = {
        "comparison_id": comparison.id,
        "metric": comparison.metric,
        "champion": metric.get("champion"),
        "challenger": metric.get("challenger"),
        "labelled_rows": comparison.window.get("labelled_rows"),
    }
    try:
        promote_model(
            workspace,
            comparison.model,
            comparison.challenger_version,
            comparison.alias,
            comment=comment or f"challenger comparison {comparison.id[:12]}",
            details=details,
        )
    except (PromotionRefusedError, RegistryConflictError) as exc:
        return str(exc)
    return None


def _finish(
    workspace: Workspace, comparison: ChallengerComparison, outcome: str, reason: str
) -> PromotionResult:
    evidence: dict[str, Any] = {
        "champion_version": comparison.champion_version,
        "metric": comparison.metric,
        "checks": [c["detail"] for c in comparison.checks],
        "gates": [g["detail"] for g in comparison.gates if not g.get("passed")],
    }
    if outcome == "promoted":
        events = workspace.models.list_registry_events(
            workspace.project, model=comparison.model, alias=comparison.alias, limit=1
        )
        evidence["registry_event_id"] = events[-1].id if events else None
    record_event(
        workspace,
        comparison.model,
        comparison.alias,
        outcome,
        version=comparison.challenger_version,
        comparison_id=comparison.id,
        reason=reason,
        evidence=evidence,
    )
    return PromotionResult(comparison, outcome, reason)


def _metric_check(comparison: ChallengerComparison) -> Mapping[str, Any]:
    return next(c for c in comparison.checks if c["check"] == "metric")


def _check_watch(watch: Mapping[str, Any] | None) -> None:
    # Refuse a watch that could not be set before the alias moves, not after.
    limits = ("metric_floor", "error_rate_ceiling", "latency_ceiling_ms")
    if watch is not None and all(watch.get(k) is None for k in limits):
        raise ChallengerError(
            f"watch={dict(watch)!r} has no threshold: give at least one of "
            f"{', '.join(limits)}."
        )
