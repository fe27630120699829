"""The ``retune`` policy of a trigger: re-tune instead of retraining, when due.

A trigger whose policy has a ``retune_space`` keeps retraining as usual, but
when its retrained models keep losing to the champion it re-tunes instead:
when ``retune_after`` of its runs in a row, since the champion took its alias
and since the last re-tuning, logged a ``retune_metric`` no better than the
champion's, the next firing starts a round of :func:`~rung.automation.retune`
(its trial runs carry the trigger's tags; the ledger entry links the best one).

Until champion/challenger comparisons are recorded, "losing" is read from the
runs' logged metric against the champion version's; :func:`retune_reason` is
the one place to switch to counting the comparisons' verdicts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rung.automation.errors import SearchSpaceError, TriggerDefinitionError

if TYPE_CHECKING:
    from rung.automation._events import Event
    from rung.automation.records import DispatchRecord, TriggerRecord
    from rung.workspace import Workspace

__all__ = ["RETUNE_KEYS", "check_retune_policy", "retune_reason", "run_retune"]

RETUNE_KEYS: dict[str, type] = {
    "retune_space": dict,
    "retune_metric": str,
    "retune_model": str,
    "retune_after": int,
    "retune_direction": str,
    "retune_trials": int,
    "retune_timeout": float,
    "retune_register": str,
}
"""Policy keys of re-tuning, and their types."""
_REQUIRED = ("retune_space", "retune_metric", "retune_model")
_DEFAULTS: dict[str, Any] = {
    "retune_after": 3,
    "retune_direction": "maximize",
    "retune_trials": 20,
    "retune_timeout": 600.0,
}
_LOOKBACK = 200


def check_retune_policy(
    policy: Mapping[str, Any], parameters: set[str] | None = None
) -> dict[str, Any]:
    """Check a trigger's ``retune_*`` keys; return them with defaults ({} if none).

    Raises:
        TriggerDefinitionError: a key is missing, mistyped, or the space is bad.
    """
    from rung.automation._space import parse_space

    given = {k: v for k, v in policy.items() if k in RETUNE_KEYS and v is not None}
    if not given:
        return {}
    missing = [k for k in _REQUIRED if k not in given]
    if missing:
        raise TriggerDefinitionError(
            f"A re-tuning policy needs {', '.join(missing)} too: the search space, "
            "the metric its runs log and the model whose champion it starts from."
        )
    out = {**_DEFAULTS, **{k: _typed(k, v) for k, v in given.items()}}
    if out["retune_direction"] not in ("maximize", "minimize"):
        raise TriggerDefinitionError(
            f"retune_direction must be maximize or minimize, got "
            f"{out['retune_direction']!r}."
        )
    for key in ("retune_after", "retune_trials", "retune_timeout"):
        if out[key] <= 0:
            raise TriggerDefinitionError(f"{key} must be positive, got {out[key]}.")
    try:
        parse_space(out["retune_space"], parameters)
    except SearchSpaceError as exc:
        raise TriggerDefinitionError(f"retune_space: {exc}") from exc
    return out


def _typed(key: str, value: Any) -> Any:
    kind = RETUNE_KEYS[key]
    if kind is dict:
        if not isinstance(value, Mapping):
            raise TriggerDefinitionError(
                f"{key} must be a mapping of parameter -> range, got {value!r}."
            )
        return dict(value)
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise TriggerDefinitionError(
            f"{key} must be a {kind.__name__}, got {value!r}."
        ) from None


def retune_reason(workspace: Workspace, trigger: TriggerRecord) -> str | None:
    """Why this firing should re-tune rather than retrain; None if it should not."""
    policy = trigger.policy
    if "retune_space" not in policy:
        return None
    model, metric = str(policy["retune_model"]), str(policy["retune_metric"])
    champion = _champion(workspace, model, metric)
    if champion is None:
        return None
    value, since = champion
    after = int(policy.get("retune_after", 3))
    maximize = policy.get("retune_direction", "maximize") != "minimize"
    misses = 0
    for score in _recent_scores(workspace, trigger, metric, since):
        if score is None:  # a re-tuning: count from there
            break
        if (score > value) if maximize else (score < value):
            break
        misses += 1
        if misses >= after:
            return (
                f"{misses} runs in a row did not beat the champion's {metric} "
                f"{value:.4g} (retune_after {after})"
            )
    return None


def _champion(
    workspace: Workspace, model: str, metric: str
) -> tuple[float, float] | None:
    """The production version's metric and when it took the alias."""
    try:
        aliases = workspace.models.list_aliases(workspace.project, model)
    except LookupError:
        return None
    alias = next((a for a in aliases if a.alias == "production"), None)
    if alias is None:
        return None
    version = workspace.models.get_model_version(
        workspace.project, model, alias.version
    )
    value = version.metrics.get(metric)
    if value is None and version.run_id is not None:
        value = (
            workspace.runs.latest_metrics([version.run_id])
            .get(version.run_id, {})
            .get(metric)
        )
    return None if value is None else (float(value), alias.updated_at)


def _recent_scores(
    workspace: Workspace, trigger: TriggerRecord, metric: str, since: float
) -> list[float | None]:
    """The metric of the trigger's completed runs since ``since``, newest first.

    None stands for a re-tuning round, which ends the count.
    """
    fired = workspace.triggers.list_dispatches(
        workspace.project,
        trigger=trigger.name,
        outcomes=["fired"],
        since=since,
        limit=_LOOKBACK,
    )
    run_ids = [d.run_id for d in fired if d.run_id]
    metrics = workspace.runs.latest_metrics(run_ids)
    scores: list[float | None] = []
    for run_id in run_ids:
        run = workspace.runs.get_run(run_id)
        if "rung.retune.study" in run.tags:
            scores.append(None)
        elif run.status == "completed" and metric in metrics.get(run_id, {}):
            scores.append(float(metrics[run_id][metric]))
    return scores


def run_retune(
    workspace: Workspace,
    trigger: TriggerRecord,
    dispatch: DispatchRecord,
    event: Event,
    reason: str,
) -> None:
    """Start the round of re-tuning a firing turned into."""
    from rung.automation._guards import run_tags
    from rung.automation._outcome import RetuneOrigin
    from rung.automation._retune import retune

    policy = trigger.policy
    space = dict(policy["retune_space"])
    budget = policy.get("budget_cpu_hours")
    retune(
        workspace,
        trigger.pipeline,
        model=str(policy["retune_model"]),
        space=space,
        metric=str(policy["retune_metric"]),
        direction=str(policy.get("retune_direction", "maximize")),
        n_trials=int(policy.get("retune_trials", 20)),
        timeout_s=float(policy.get("retune_timeout", 600.0)),
        budget_cpu_hours=None if budget is None else float(budget),
        params={k: v for k, v in dispatch.params.items() if k not in space},
        register=policy.get("retune_register"),
        origin=RetuneOrigin(
            trigger=f"trigger:{trigger.name}",
            tags=run_tags(trigger, dispatch.id, event),
            dispatch_id=dispatch.id,
            reason=reason,
        ),
    )
