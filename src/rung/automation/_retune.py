"""``retune``: an Optuna study, warm-started from the champion, within hard limits.

A round of re-tuning runs the pipeline once per trial (a real Rung run,
tagged with the study, round and trial) and reads the metric the run logged.
It starts from the champion's parameters and the best past trials, in a
search space narrowed around them, and stops at the first limit reached: the
number of trials, the wall-clock timeout, or the CPU budget (the sum of the
trial runs' step CPU seconds). The reason is recorded with the round.

At most one round per model runs at a time (a lease in the automation
store). A killed round resumes on the next call with the same space: its
finished trials count, the trial that was running is failed and run again.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rung._internal.ids import new_id
from rung._internal.timeutil import format_time
from rung.automation._lease import HeldLease
from rung.automation._outcome import RetuneOrigin, RetuneResult, RoundSettings
from rung.automation._rounds import Round
from rung.automation._space import parse_space
from rung.automation._studies import (
    ROUND_ATTR,
    load_study,
    open_storage,
    round_state,
    study_name,
)
from rung.automation.errors import RetuneBusyError, RetuneError
from rung.errors import RungError

if TYPE_CHECKING:
    from rung.pipelines import Pipeline
    from rung.workspace import Workspace

__all__ = ["RetuneOrigin", "RetuneResult", "reset_study", "retune"]

_HEARTBEAT_S = 15


def retune(
    workspace: Workspace,
    pipeline: str | Pipeline,
    *,
    model: str,
    space: Mapping[str, Any],
    metric: str,
    direction: str = "maximize",
    n_trials: int = 20,
    timeout_s: float | None = 600.0,
    budget_cpu_hours: float | None = None,
    narrow: float = 0.5,
    seed: int = 0,
    params: Mapping[str, Any] | None = None,
    register: str | None = None,
    champion: str = "production",
    warm_trials: int = 3,
    lease_ttl: float = 60.0,
    origin: RetuneOrigin | None = None,
) -> RetuneResult:
    """Re-tune ``pipeline``'s parameters for ``model``: one round of its study.

    Args:
        workspace: where runs are recorded and the study is stored.
        pipeline: ``path/file.py:name``, ``module:name`` or a Pipeline.
        model: the registered model being re-tuned (names the study).
        space: parameter -> ``{low, high[, log][, type: int]}`` or ``{choices}``.
        metric: the metric each trial's run logs, to optimise.
        direction: ``maximize`` or ``minimize``.
        n_trials: trials in the round (those of a resumed round count).
        timeout_s: wall-clock seconds for this call (checked between trials).
        budget_cpu_hours: CPU hours of the round's trial runs.
        narrow: the fraction of each numeric range searched, around the
            champion's value (1: the whole space).
        seed: the sampler's seed.
        params: fixed pipeline parameters for every trial.
        register: the step whose output the best trial registers as a new
            version of ``model`` (None: tag the version the best run registered
            itself, if any).
        champion: the alias of the version to start from.
        warm_trials: how many best trials of earlier rounds to evaluate first.
        lease_ttl: how long a killed round blocks the next one, in seconds.
        origin: the trigger dispatch that started it.

    Returns:
        The round's outcome.

    Raises:
        SearchSpaceError: a bad space, or one the study cannot continue.
        RetuneBusyError: another round for ``model`` is running.
        RetuneError: bad limits, a run that logs no ``metric``, a study
            created for another metric or direction.
        ParameterError: the pipeline refuses the parameters.

    Example:
        >>> result = retune(ws, "train.py:training", model="churn",
        ...                 space={"C": {"low": 0.01, "high": 10, "log": True}},
        ...                 metric="accuracy", n_trials=10)  # doctest: +SKIP
        >>> result.best_params, result.stop_reason  # doctest: +SKIP
        ({'C': 0.82}, 'trials')
    """
    from rung.pipelines import Pipeline, load_pipeline

    loaded = pipeline if isinstance(pipeline, Pipeline) else load_pipeline(pipeline)
    accepted = set(loaded.signature.parameters)
    parsed = parse_space(space, accepted)
    settings = RoundSettings(
        model=model,
        metric=_text(metric, "metric"),
        direction=_direction(direction),
        n_trials=_positive(n_trials, "n_trials", int),
        timeout_s=None if timeout_s is None else _positive(timeout_s, "timeout_s"),
        budget_s=None
        if budget_cpu_hours is None
        else _positive(budget_cpu_hours, "budget_cpu_hours") * 3600,
        narrow=_fraction(narrow),
        seed=int(seed),
        params=_fixed(params, accepted, parsed),
        register=register,
        champion=champion,
        warm_trials=max(0, int(warm_trials)),
        source=pipeline if isinstance(pipeline, str) else None,
    )
    origin = origin or RetuneOrigin()
    holder = f"{socket.gethostname()}:{os.getpid()}:{new_id()[:6]}"
    lease_name = f"retune/{workspace.project}/{model}"
    with HeldLease(workspace, lease_name, holder, lease_ttl) as lease:
        if not lease.acquired:
            raise _busy(workspace, model, lease_ttl)
        opened = open_storage(workspace, heartbeat=_HEARTBEAT_S)
        try:
            work = Round(
                workspace,
                opened,
                pipeline=loaded,
                space=parsed,
                settings=settings,
                origin=origin,
                lease=lease,
            )
            return work.run()
        finally:
            opened.close()


def _busy(workspace: Workspace, model: str, ttl: float) -> RetuneBusyError:
    name = study_name(workspace.project, model)
    who = ""
    try:
        opened = open_storage(workspace, create=False)
        try:
            study = load_study(opened, name)
        finally:
            opened.close()
    except (LookupError, RungError):
        study = None  # not created yet: nothing more to say
    if study is not None:
        number = int(study.user_attrs.get(ROUND_ATTR, 0))
        state = round_state(study, number)
        if state.get("holder"):
            since = format_time(state.get("started_at"))
            who = f" (round {number}, by {state['holder']}, since {since} UTC)"
    return RetuneBusyError(
        f"Model {model!r} is already being re-tuned{who}: study {name!r} runs one "
        f"round at a time. If its process died, retry in at most {ttl:.0f} s, "
        "when its lease expires.",
        model=model,
    )


def _fixed(
    params: Mapping[str, Any] | None, accepted: set[str], space: Mapping[str, Any]
) -> dict[str, Any]:
    fixed = dict(params or {})
    unknown = sorted(set(fixed) - accepted)
    if unknown:
        raise RetuneError(
            f"The pipeline takes no parameter {', '.join(map(repr, unknown))}. "
            f"Its parameters: {', '.join(sorted(accepted)) or 'none'}."
        )
    both = sorted(set(fixed) & set(space))
    if both:
        raise RetuneError(
            f"Parameter {', '.join(map(repr, both))} is both fixed and searched; "
            "remove it from the fixed parameters or from the space."
        )
    return fixed


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise RetuneError(f"{what} must be a non-empty name, got {value!r}.")
    return value


def _direction(value: Any) -> str:
    if value not in ("maximize", "minimize"):
        raise RetuneError(f"direction must be maximize or minimize, got {value!r}.")
    return str(value)


def _positive(value: Any, what: str, kind: type = float) -> Any:
    try:
        number = kind(value)
    except (TypeError, ValueError):
        number = None
    exact = number is not None and (kind is float or number == value)
    if not exact or isinstance(value, bool) or not number > 0:
        raise RetuneError(f"{what} must be a positive {kind.__name__}, got {value!r}.")
    return number


def _fraction(value: Any) -> float:
    number = _positive(value, "narrow")
    if number > 1:
        raise RetuneError(
            f"narrow is the fraction of each range searched around the champion, "
            f"in (0, 1], got {value!r}. Use 1 to search the whole space."
        )
    return float(number)


def reset_study(workspace: Workspace, model: str, *, lease_ttl: float = 60.0) -> bool:
    """Delete ``model``'s re-tuning study, every round and trial of it.

    Its trial runs and the versions it registered stay. Use it to change the
    study's metric or direction, or a parameter's kind.

    Returns:
        False when the model had no study.

    Raises:
        RetuneBusyError: a round is running.
    """
    import optuna

    holder = f"{socket.gethostname()}:{os.getpid()}:{new_id()[:6]}"
    lease_name = f"retune/{workspace.project}/{model}"
    with HeldLease(workspace, lease_name, holder, lease_ttl) as lease:
        if not lease.acquired:
            raise _busy(workspace, model, lease_ttl)
        try:
            opened = open_storage(workspace, create=False)
        except LookupError:
            return False
        try:
            optuna.delete_study(
                study_name=study_name(workspace.project, model),
                storage=opened.storage,
            )
        except KeyError:
            return False
        finally:
            opened.close()
    return True
