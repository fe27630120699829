"""The agent's side of a rollout: judge the challenger, move the rollout on.

Every tick, :func:`check_rollouts` measures each running rollout's
challenger on what the servers counted (``rollout_stats``: requests, errors,
latency per arm, summed over every worker) and logged (canary rows, or the
shadow rows joined with the champion's, with their feedback labels), then:

- a breach (live metric under ``min_metric``, error rate over
  ``max_error_rate``, 95th-percentile latency over ``max_latency_ms``) ends
  the rollout as ``rolled_back``: the servers send every request to the
  champion again at their next poll;
- a shadow period that is over moves to ``canary``;
- a bake period that is over promotes through the registry
  (:func:`promote_rollout`), then the post-promotion watch takes over.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rung._internal.timeutil import now as _now
from rung.automation._rollout import (
    end_rollout,
    rollout_event,
    rollouts,
    running_rollout,
)
from rung.automation._rollout_measure import measure_rollout
from rung.errors import PromotionRefusedError, RegistryConflictError

if TYPE_CHECKING:
    from rung.serving.records import RolloutRecord
    from rung.workspace import Workspace

__all__ = ["RolloutCheck", "check_rollouts", "promote_rollout"]

_log = logging.getLogger("rung.automation")


@dataclass(frozen=True, slots=True)
class RolloutCheck:
    """One check of a running rollout.

    Attributes:
        rollout: the rollout after the check.
        outcome: ``ok`` (stays in its stage), ``canary`` (the shadow period
            ended), ``promoted``, ``refused``, ``rolled_back``, ``superseded``
            (the alias moved outside the rollout) or ``error`` (retried next
            tick).
        breaches / notes / evidence: what was out of bounds, what could not be
            judged yet, and the numbers.
    """

    rollout: RolloutRecord
    outcome: str
    breaches: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)


def check_rollouts(
    workspace: Workspace, *, now: float | None = None
) -> list[RolloutCheck]:
    """Check every running rollout once; move on or roll back the ones due.

    The agent calls this every tick; a rollout that fails to be checked is
    reported with outcome ``error`` and checked again next time.
    """
    at = _now() if now is None else float(now)
    running = rollouts(workspace).list_rollouts(
        workspace.project, stages=("shadow", "canary"), limit=None
    )
    return [_check_safely(workspace, r, at) for r in reversed(running)]


def promote_rollout(
    workspace: Workspace,
    rollout_id: str,
    *,
    comment: str = "",
    now: float | None = None,
) -> RolloutRecord:
    """Promote a running rollout's challenger now, through the registry.

    The registry's gates and approvals apply: a refusal ends the rollout as
    ``refused`` (the champion keeps every request) and is returned, not
    raised. After a promotion the post-promotion watch starts when the
    rollout asked for one.

    Raises:
        RolloutNotFoundError: unknown rollout.
        RolloutError: it has ended already.
    """
    rollout = running_rollout(workspace, rollout_id, "promoted")
    at = _now() if now is None else float(now)
    why = (
        comment or f"promoted by {workspace.user} before the end of its {rollout.stage}"
    )
    return _promote(workspace, rollout, why, at, {}).rollout


def _check_safely(
    workspace: Workspace, rollout: RolloutRecord, at: float
) -> RolloutCheck:
    try:
        return _check(workspace, rollout, at)
    except Exception as exc:  # one broken rollout never stops the others
        _log.warning("Rollout %s failed to be checked", rollout.id, exc_info=True)
        return RolloutCheck(rollout, "error", notes=(f"{type(exc).__name__}: {exc}",))


def _check(workspace: Workspace, rollout: RolloutRecord, at: float) -> RolloutCheck:
    current = workspace.models.get_model(workspace.project, rollout.model).aliases.get(
        rollout.alias
    )
    if current != rollout.champion_version:
        reason = (
            f"{rollout.alias} moved to v{current} outside the rollout "
            f"(it started against v{rollout.champion_version})"
        )
        ended = end_rollout(
            workspace, rollout, "aborted", reason, at, "rollout_aborted"
        )
        return RolloutCheck(ended, "superseded", notes=(reason,))
    measured = measure_rollout(workspace, rollout, at)
    evidence = measured.evidence
    if measured.breaches:
        reason = "; ".join(measured.breaches)
        ended = end_rollout(
            workspace,
            rollout,
            "rolled_back",
            reason,
            at,
            "rollout_rolled_back",
            {**evidence, "breaches": list(measured.breaches)},
        )
        return RolloutCheck(
            ended, "rolled_back", measured.breaches, measured.notes, evidence
        )
    ends = rollout.stage_ends_at
    if ends is not None and at >= ends:
        if rollout.stage == "shadow":
            return _to_canary(workspace, rollout, measured.notes, evidence, at)
        return _promote(workspace, rollout, "", at, evidence, measured.notes)
    updated = rollouts(workspace).update_rollout(
        workspace.project,
        rollout.id,
        {"evidence": {**evidence, "notes": list(measured.notes)}},
        expect_stage=rollout.stage,
    )
    return RolloutCheck(updated, "ok", (), measured.notes, evidence)


def _to_canary(
    workspace: Workspace,
    rollout: RolloutRecord,
    notes: tuple[str, ...],
    evidence: dict[str, Any],
    at: float,
) -> RolloutCheck:
    reason = f"no breach in {rollout.shadow_s:g} s of shadow"
    moved = rollouts(workspace).update_rollout(
        workspace.project,
        rollout.id,
        {
            "stage": "canary",
            "stage_started_at": at,
            "reason": reason,
            "stages": (
                *rollout.stages,
                {"stage": "canary", "at": at, "reason": reason},
            ),
            "evidence": {"shadow": evidence},
        },
        expect_stage="shadow",
    )
    rollout_event(workspace, moved, "rollout_canary", reason, evidence, at)
    return RolloutCheck(moved, "canary", (), notes, evidence)


def _promote(  # noqa: PLR0917
    workspace: Workspace,
    rollout: RolloutRecord,
    reason: str,
    at: float,
    evidence: dict[str, Any],
    notes: tuple[str, ...] = (),
) -> RolloutCheck:
    from rung.registry import promote_model

    why = reason or f"no breach in {rollout.bake_s:g} s of canary"
    details = {
        "rollout_id": rollout.id,
        "comparison_id": rollout.comparison_id,
        "evidence": evidence,
    }
    try:
        promote_model(
            workspace,
            rollout.model,
            rollout.challenger_version,
            rollout.alias,
            comment=f"rollout {rollout.id[:12]}: {why}",
            details=details,
        )
    except (PromotionRefusedError, RegistryConflictError) as exc:
        refused = f"the registry refused the promotion: {exc}"
        ended = end_rollout(
            workspace, rollout, "refused", refused, at, "rollout_refused", evidence
        )
        return RolloutCheck(ended, "refused", (), notes, evidence)
    ended = end_rollout(workspace, rollout, "promoted", why, at, None, evidence)
    events = workspace.models.list_registry_events(
        workspace.project, model=rollout.model, alias=rollout.alias, limit=1
    )
    registry_event = events[-1].id if events else None
    rollout_event(
        workspace,
        ended,
        "promoted",
        why,
        {**evidence, "registry_event_id": registry_event},
        at,
    )
    _watch(workspace, ended, at)
    return RolloutCheck(ended, "promoted", (), notes, evidence)


def _watch(workspace: Workspace, rollout: RolloutRecord, at: float) -> None:
    from rung.automation._watch import watch_promotion

    limits = rollout.thresholds
    watch_s = float(limits.get("watch_s") or 0)
    floor, errors = limits.get("min_metric"), limits.get("max_error_rate")
    if watch_s <= 0 or (floor is None and errors is None):
        return
    try:
        watch_promotion(
            workspace,
            rollout.model,
            rollout.alias,
            bake_s=watch_s,
            metric=limits.get("metric"),
            metric_floor=floor,
            error_rate_ceiling=errors,
            min_rows=int(limits.get("min_rows") or 30),
            comparison_id=rollout.comparison_id,
            now=at,
        )
    except Exception:  # the promotion stands; the ledger says the watch is missing
        _log.warning(
            "Rollout %s: the promotion watch failed", rollout.id, exc_info=True
        )
