"""What a round of re-tuning takes and leaves: settings, origin, result, links.

The links are what make a round traceable: the best trial's run is tagged,
the version made from it carries the study, round and trial, and the trigger
ledger entry that started the round says how it ended and points at that run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rung._internal.timeutil import now

if TYPE_CHECKING:
    from rung.automation._studies import RoundStatus
    from rung.workspace import Workspace

__all__ = [
    "TAG",
    "RetuneOrigin",
    "RetuneResult",
    "RoundSettings",
    "link_best",
    "report",
]

TAG = "rung.retune"
"""Prefix of the tags of trial runs and of the version a round registers."""


@dataclass(frozen=True, slots=True)
class RetuneOrigin:
    """Who started a round, when it was not a person: a trigger's dispatch.

    Attributes:
        trigger: the run's ``trigger`` field (``trigger:<name>``).
        tags: tags every trial run carries (the trigger and its dispatch).
        dispatch_id: the ledger entry to link the round's outcome to.
        reason: why re-tuning instead of a plain run, for the ledger.
    """

    trigger: str = "retune"
    tags: Mapping[str, str] = field(default_factory=dict)
    dispatch_id: int | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class RetuneResult:
    """What a round of re-tuning did and found.

    Attributes:
        study / study_id / where: the Optuna study and where it is stored.
        round: this round's number in the study.
        resumed: True when it continued a round a killed process left.
        trials / completed / failed: trials finished in the round.
        best_trial / best_value / best_params / best_run: the round's best.
        champion_version / champion_value: the version it started from and
            its registered metric (None without a champion).
        warm_value: the champion's parameters' value in this round.
        stop_reason: trials, timeout, budget, failures or lease lost.
        cpu_seconds: CPU time of the round's trial runs.
        version: the version registered (or tagged) from the best trial.
        space: the narrowed search space that was searched.
        notes: what the warm start could not use, in words.
    """

    study: str
    study_id: int
    where: str
    round: int
    resumed: bool
    trials: int
    completed: int
    failed: int
    best_trial: int | None
    best_value: float | None
    best_params: dict[str, Any]
    best_run: str | None
    champion_version: int | None
    champion_value: float | None
    warm_value: float | None
    stop_reason: str
    cpu_seconds: float
    version: int | None
    space: dict[str, Any]
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RoundSettings:
    """A round's checked settings (see :func:`rung.automation.retune`)."""

    model: str
    metric: str
    direction: str
    n_trials: int
    timeout_s: float | None
    budget_s: float | None
    narrow: float
    seed: int
    params: dict[str, Any]
    register: str | None
    champion: str
    warm_trials: int
    source: str | None


def link_best(
    workspace: Workspace, settings: RoundSettings, study: str, status: RoundStatus
) -> int | None:
    """Tag the round's best run; register (or tag) the version it produced."""
    from rung.registry import register_model
    from rung.registry.records import AuditNote
    from rung.tracking import Run

    tags = {
        f"{TAG}.study": study,
        f"{TAG}.round": str(status.round),
        f"{TAG}.trial": str(status.best_trial),
    }
    ws, s, best_run = workspace, settings, str(status.best_run)
    ws.runs.update_run(
        best_run, {"tags": {f"{TAG}.best_trial": str(status.best_trial)}}
    )
    comment = f"re-tuned: {study} round {status.round}, trial {status.best_trial}"
    if s.register is not None:
        run = Run(ws, best_run)
        made = register_model(
            ws, run, s.model, step=s.register, tags=tags, description=comment
        )
        return made.version
    try:
        produced = [
            v
            for v in ws.models.list_model_versions(ws.project, s.model)
            if v.run_id == best_run
        ]
    except LookupError:
        return None
    note = AuditNote("update", ws.user, now(), comment)
    for version in produced:
        ws.models.update_model_version(
            ws.project, s.model, version.version, {"tags": tags}, note
        )
    return produced[-1].version if produced else None


def report(
    workspace: Workspace,
    dispatch_id: int,
    *,
    settings: RoundSettings,
    study: str,
    status: RoundStatus,
    reason: str,
    version: int | None,
) -> None:
    """Say in the trigger's ledger entry how the round ended; link its best run."""
    metric = settings.metric
    best = (
        f"best trial {status.best_trial} {metric}={status.best_value:.4g}"
        if status.best_value is not None
        else "no trial completed"
    )
    made = f", version {version}" if version is not None else ""
    changes: dict[str, Any] = {
        "reason": f"retune {study} round {status.round}: {status.trials} "
        f"trials, {best}{made} (stopped: {reason})"
    }
    if status.best_run is not None:
        changes["run_id"] = status.best_run
    workspace.triggers.update_dispatch(dispatch_id, changes)
