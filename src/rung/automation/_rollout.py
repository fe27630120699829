"""Rolling a challenger out behind an alias: shadow, canary, then promotion.

:func:`start_rollout` stores a rollout of ``model@alias``; every model server
that follows the alias picks it up from the store within a second and routes
by it (``rung.serving._route``): in ``shadow`` the challenger scores mirrored
requests off the request path, in ``canary`` it answers a share of them. The
agent (:func:`check_rollouts`, every tick) judges the challenger on what the
servers counted and logged, and moves the rollout on:

- shadow -> canary when the shadow period is over without a breach;
- canary -> promoted when the bake period is over without a breach: the alias
  moves through the registry's :func:`promote_model` (its gates and approvals
  apply; a refusal ends the rollout as ``refused``), then the post-promotion
  watch (:func:`watch_promotion`) takes over;
- shadow or canary -> rolled_back on a breach of the live metric, the error
  rate or the latency: every request goes back to the champion.

Every move is in the champion/challenger ledger (``rollout_*`` entries and
``promoted``), with its reason and numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rung._internal.ids import new_id
from rung._internal.timeutil import now as _now
from rung.automation._ledger import record_event
from rung.errors import RolloutError
from rung.serving.records import ACTIVE_ROLLOUT_STAGES, RolloutRecord

if TYPE_CHECKING:
    from rung.automation.records import ChallengerComparison
    from rung.serving.store import RolloutStore
    from rung.workspace import Workspace

__all__ = [
    "abort_rollout",
    "end_rollout",
    "get_rollout",
    "list_rollouts",
    "rollout_event",
    "start_rollout",
]


def start_rollout(
    workspace: Workspace,
    model: str,
    challenger_version: int,
    *,
    alias: str = "production",
    shadow_s: float = 0.0,
    share: float = 0.1,
    bake_s: float = 3600.0,
    metric: str | None = None,
    min_metric: float | None = None,
    max_error_rate: float | None = None,
    max_latency_ms: float | None = None,
    min_rows: int = 30,
    min_requests: int = 20,
    watch_s: float | None = None,
    comparison: str | None = None,
    now: float | None = None,
) -> RolloutRecord:
    """Start rolling ``challenger_version`` out behind ``model@alias``.

    Args:
        workspace: the workspace.
        model / challenger_version: the challenger.
        alias: the alias whose traffic is rolled out; its version is the
            champion.
        shadow_s: seconds of shadow first (0: straight to canary).
        share: the canary's share of live traffic, in (0, 1].
        bake_s: seconds of canary before the promotion.
        metric: the live metric (default: the comparison's, else ``accuracy``
            for classifiers and ``rmse`` for regressors).
        min_metric: the worst acceptable live metric on labelled rows (a
            ceiling for ``rmse``, ``mae``, ``log_loss``).
        max_error_rate: the highest share of requests the challenger fails.
        max_latency_ms: the highest 95th-percentile predict time, in ms.
        min_rows: labelled rows needed before the metric is judged.
        min_requests: requests needed before error rate and latency are judged.
        watch_s: after the promotion, watch the alias this long with the same
            metric and error-rate limits (default: ``bake_s``; 0: no watch).
        comparison: the challenger comparison behind the rollout (id); default:
            the newest comparison of this challenger, if any.
        now: the current time (default: now).

    Returns:
        The stored rollout, in ``shadow`` (when ``shadow_s`` > 0) or ``canary``.

    Raises:
        RolloutError: a bad share, period or threshold, no threshold at all,
            the alias is unset, the challenger is the champion or archived.
        RolloutConflictError: the alias already has a rollout running.
        ModelNotFoundError / ModelVersionNotFoundError: unknown model or version.

    Example:
        >>> start_rollout(ws, "churn", 3, shadow_s=1800, share=0.1, bake_s=7200,
        ...               max_error_rate=0.01, min_metric=0.85)  # doctest: +SKIP
    """
    at = _now() if now is None else float(now)
    _check_settings(share, shadow_s, bake_s, watch_s, min_rows, min_requests)
    limits = {
        "min_metric": min_metric,
        "max_error_rate": max_error_rate,
        "max_latency_ms": max_latency_ms,
    }
    if all(v is None for v in limits.values()):
        raise RolloutError(
            "A rollout needs at least one threshold to roll back on: give "
            "min_metric, max_error_rate or max_latency_ms.",
            reason="no_threshold",
        )
    champion = _champion(workspace, model, challenger_version, alias)
    found = _comparison(workspace, model, challenger_version, comparison)
    stage = "shadow" if shadow_s > 0 else "canary"
    rollout = RolloutRecord(
        id=new_id(),
        project=workspace.project,
        model=model,
        alias=alias,
        champion_version=champion,
        challenger_version=int(challenger_version),
        stage=stage,
        created_at=at,
        user=workspace.user,
        stage_started_at=at,
        updated_at=at,
        share=float(share),
        shadow_s=float(shadow_s),
        bake_s=float(bake_s),
        thresholds={
            "metric": metric or (found.metric if found is not None else None),
            **limits,
            "min_rows": int(min_rows),
            "min_requests": int(min_requests),
            "watch_s": float(bake_s if watch_s is None else watch_s),
        },
        comparison_id=None if found is None else found.id,
        stages=({"stage": stage, "at": at, "reason": f"started by {workspace.user}"},),
    )
    rollouts(workspace).add_rollout(rollout)
    rollout_event(
        workspace,
        rollout,
        "rollout_started",
        f"v{challenger_version} against v{champion}: "
        + (f"shadow {shadow_s:g} s, then " if shadow_s > 0 else "")
        + f"canary {share:.0%} for {bake_s:g} s",
        dict(rollout.thresholds),
        at,
    )
    return rollout


def get_rollout(workspace: Workspace, rollout_id: str) -> RolloutRecord:
    """One rollout by id, unique prefix (>= 4 characters) or model name.

    A model's name stands for its newest rollout.

    Raises:
        RolloutNotFoundError: no rollout has this id, nor this model.
    """
    from rung.errors import RolloutNotFoundError

    store = rollouts(workspace)
    try:
        return store.get_rollout(workspace.project, rollout_id)
    except RolloutNotFoundError:
        newest = store.list_rollouts(workspace.project, model=rollout_id, limit=1)
        if newest:
            return newest[0]
        raise


def list_rollouts(
    workspace: Workspace,
    model: str | None = None,
    *,
    active: bool = False,
    limit: int | None = 100,
) -> list[RolloutRecord]:
    """Rollouts, newest first (only those in shadow or canary with ``active``)."""
    return rollouts(workspace).list_rollouts(
        workspace.project,
        model=model,
        stages=ACTIVE_ROLLOUT_STAGES if active else None,
        limit=limit,
    )


def abort_rollout(
    workspace: Workspace, rollout_id: str, *, reason: str = ""
) -> RolloutRecord:
    """Stop a rollout now: every request goes back to the champion.

    Raises:
        RolloutNotFoundError: unknown rollout.
        RolloutError: it has ended already.
    """
    rollout = running_rollout(workspace, rollout_id, "aborted")
    why = reason or f"aborted by {workspace.user}"
    return end_rollout(workspace, rollout, "aborted", why, _now(), "rollout_aborted")


def end_rollout(  # noqa: PLR0917
    workspace: Workspace,
    rollout: RolloutRecord,
    stage: str,
    reason: str,
    at: float,
    action: str | None,
    evidence: dict[str, Any] | None = None,
) -> RolloutRecord:
    """Move a running rollout to a final ``stage`` and record ``action``."""
    ended = rollouts(workspace).update_rollout(
        workspace.project,
        rollout.id,
        {
            "stage": stage,
            "ended_at": at,
            "reason": reason,
            "stages": (*rollout.stages, {"stage": stage, "at": at, "reason": reason}),
            **({"evidence": evidence} if evidence is not None else {}),
        },
        expect_stage=rollout.stage,
    )
    if action is not None:
        rollout_event(workspace, ended, action, reason, evidence or {}, at)
    return ended


def rollout_event(  # noqa: PLR0917
    workspace: Workspace,
    rollout: RolloutRecord,
    action: str,
    reason: str,
    evidence: dict[str, Any],
    at: float,
    version: int | None = None,
) -> None:
    """Append a ledger entry about ``rollout`` (its id in the evidence)."""
    record_event(
        workspace,
        rollout.model,
        rollout.alias,
        action,
        version=rollout.challenger_version if version is None else version,
        comparison_id=rollout.comparison_id,
        reason=reason,
        evidence={**evidence, "rollout_id": rollout.id, "stage": rollout.stage},
        at=at,
    )


def rollouts(workspace: Workspace) -> RolloutStore:
    """The workspace's rollout store."""
    from rung.serving import rollout_store

    return rollout_store(workspace)


def running_rollout(
    workspace: Workspace, rollout_id: str, wanted: str
) -> RolloutRecord:
    """The rollout if it still runs; else RolloutError: it cannot be ``wanted``."""
    rollout = get_rollout(workspace, rollout_id)
    if not rollout.is_active:
        raise RolloutError(
            f"Rollout {rollout.id[:12]} of {rollout.model}@{rollout.alias} ended "
            f"already ({rollout.stage}: {rollout.reason}); it cannot be {wanted}.",
            rollout_id=rollout.id,
            stage=rollout.stage,
            reason="ended",
        )
    return rollout


def _check_settings(  # noqa: PLR0917
    share: float,
    shadow_s: float,
    bake_s: float,
    watch_s: float | None,
    min_rows: int,
    min_requests: int,
) -> None:
    problems = [
        (0.0 < float(share) <= 1.0, f"share must be in (0, 1], got {share!r}"),
        (float(shadow_s) >= 0, f"shadow_s must be >= 0 seconds, got {shadow_s!r}"),
        (float(bake_s) > 0, f"bake_s must be > 0 seconds, got {bake_s!r}"),
        (
            watch_s is None or float(watch_s) >= 0,
            f"watch_s must be >= 0 seconds, got {watch_s!r}",
        ),
        (int(min_rows) >= 1, f"min_rows must be >= 1, got {min_rows!r}"),
        (int(min_requests) >= 1, f"min_requests must be >= 1, got {min_requests!r}"),
    ]
    bad = [message for ok, message in problems if not ok]
    if bad:
        raise RolloutError(f"Invalid rollout: {'; '.join(bad)}.", reason="bad_setting")


def _champion(workspace: Workspace, model: str, version: int, alias: str) -> int:
    from rung.registry import get_model, get_version

    found = get_model(workspace, model)
    current = found.aliases.get(alias)
    if current is None:
        raise RolloutError(
            f"Model {model!r} has no {alias!r} version to roll a challenger out "
            f"against (its aliases: {sorted(found.aliases) or 'none'}). Promote a "
            f"first version to {alias!r}.",
            model=model,
            alias=alias,
            reason="alias_unset",
        )
    if current == int(version):
        raise RolloutError(
            f"Version {version} of model {model!r} is already behind {alias!r}: "
            "there is nothing to roll out. Register a new version.",
            model=model,
            version=version,
            reason="is_champion",
        )
    challenger = get_version(workspace, model, int(version))
    if challenger.is_archived:
        raise RolloutError(
            f"Version {version} of model {model!r} is archived and cannot be "
            "rolled out. Restore it, or register a new version.",
            model=model,
            version=version,
            reason="archived",
        )
    return int(current)


def _comparison(
    workspace: Workspace, model: str, version: int, given: str | None
) -> ChallengerComparison | None:
    from rung.automation.errors import ChallengerError

    if given is not None:
        found = workspace.triggers.get_comparison(workspace.project, given)
        if (found.model, found.challenger_version) != (model, int(version)):
            raise ChallengerError(
                f"Comparison {found.id[:12]} is of {found.model} v"
                f"{found.challenger_version}, not {model} v{version}. Pass the "
                "comparison of this challenger, or none.",
                reason="other_comparison",
            )
        return found
    for found in workspace.triggers.list_comparisons(
        workspace.project, model=model, version=int(version), limit=20
    ):
        if found.challenger_version == int(version):
            return found
    return None
