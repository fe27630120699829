"""One round of a model's re-tuning study: start or resume it, run it, close it.

A round is recorded in the study itself (user attribute ``rung.round.<n>``):
its settings, the narrowed space, the champion, the holder, and, once it
ends, its stop reason and best trial. That record is what makes a killed
round resumable: the next call with the same space finds it unfinished,
fails the trial that was running (its process is gone: the caller holds the
model's lease) and queues that trial's parameters again.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from rung._internal.timeutil import now
from rung.automation._outcome import (
    TAG,
    RetuneOrigin,
    RetuneResult,
    RoundSettings,
    link_best,
    report,
)
from rung.automation._studies import (
    ROUND_ATTR,
    describe_round,
    round_state,
    round_trials,
    study_name,
)
from rung.automation._warm import find_champion, past_best, warm_params
from rung.automation.errors import RetuneError, SearchSpaceError
from rung.errors import StepFailedError

if TYPE_CHECKING:
    from optuna import Study, Trial
    from optuna.trial import FrozenTrial

    from rung.automation._lease import HeldLease
    from rung.automation._space import ParamRange
    from rung.automation._studies import StudyStorage
    from rung.pipelines import Pipeline, PipelineEvent
    from rung.tracking import Run
    from rung.workspace import Workspace

__all__ = ["Round"]

_MAX_FAILED_IN_A_ROW = 3


class _TrialFailed(Exception):
    """The trial's run failed: the trial fails, the study goes on."""


class Round:
    """Starts or resumes a round of a model's study and runs it to a limit."""

    def __init__(
        self,
        workspace: Workspace,
        opened: StudyStorage,
        *,
        pipeline: Pipeline,
        space: dict[str, ParamRange],
        settings: RoundSettings,
        origin: RetuneOrigin,
        lease: HeldLease,
    ) -> None:
        self.workspace = workspace
        self.opened = opened
        self.pipeline = pipeline
        self.space = space
        self.settings = settings
        self.origin = origin
        self.lease = lease
        self.name = study_name(workspace.project, settings.model)
        self.cpu_s = 0.0
        self.failed_in_row = 0
        self.stop_reason: str | None = None
        self._linked = False

    def run(self) -> RetuneResult:
        """Run the round to its first limit; return what it found."""
        study = self._study()
        self._check_compatible(study)
        number, state, resumed = self._start(study)
        try:
            reason = self._optimize(study, number)
        except KeyboardInterrupt:
            raise  # the round stays open: the next call resumes it
        except BaseException as exc:
            error = f"error: {type(exc).__name__}: {exc}".splitlines()[0][:300]
            self._save(
                study, number, {**state, "stop_reason": error, "ended_at": now()}
            )
            raise
        return self._finish(study, number, state, reason, resumed)

    # -- the study and its rounds -----------------------------------------------

    def _study(self) -> Study:
        import optuna

        s = self.settings
        study = optuna.create_study(
            study_name=self.name,
            storage=self.opened.storage,
            direction=_direction(s.direction),
            sampler=optuna.samplers.TPESampler(seed=s.seed),
            load_if_exists=True,
        )
        known = study.user_attrs.get("rung.metric")
        if known is None:
            study.set_user_attr("rung.metric", s.metric)
        elif known != s.metric or study.direction.name.lower() != s.direction:
            raise RetuneError(
                f"Study {self.name!r} was created to {study.direction.name.lower()} "
                f"{known!r}; this round asks to {s.direction} {s.metric!r}. Keep the "
                "study's metric and direction, or delete the study first "
                "(rung.automation.reset_study).",
                model=s.model,
                reason="study_differs",
            )
        count = len(study.get_trials(deepcopy=False))
        if count:  # a resumed study must not replay the same suggestions
            study.sampler = optuna.samplers.TPESampler(seed=s.seed + count)
        return study

    def _check_compatible(self, study: Study) -> None:
        from optuna.distributions import check_distribution_compatibility

        seen: dict[str, Any] = {}
        for trial in study.get_trials(deepcopy=False):
            seen.update(trial.distributions)
        for name, searched in self.space.items():
            if name not in seen:
                continue
            try:
                check_distribution_compatibility(seen[name], searched.distribution())
            except ValueError:
                raise SearchSpaceError(
                    f"Study {self.name!r} searched {name!r} as {seen[name]}, and "
                    f"cannot continue with {searched.to_dict()}: a study keeps each "
                    "parameter's kind (float or int, log or not, the same choices). "
                    "Keep it, or delete the study (rung.automation.reset_study).",
                    model=self.settings.model,
                    reason="study_differs",
                ) from None

    def _start(self, study: Study) -> tuple[int, dict[str, Any], bool]:
        current = int(study.user_attrs.get(ROUND_ATTR, 0))
        state = round_state(study, current)
        base = {k: r.to_dict() for k, r in self.space.items()}
        if state and state.get("stop_reason") is None:
            if state.get("base_space") == base and state.get("pipeline") == (
                self.pipeline.name
            ):
                return current, self._resume(study, current, state), True
        plan = self._plan(study, current + 1)
        if state and state.get("stop_reason") is None:
            self._save(study, current, {**state, "stop_reason": "abandoned"})
        self._sweep(study, None)
        state = {**plan, "base_space": base, "pipeline": self.pipeline.name}
        self._save(study, current + 1, state)
        study.set_user_attr(ROUND_ATTR, current + 1)
        for label, params in state.pop("warm"):
            study.enqueue_trial(
                params, user_attrs={ROUND_ATTR: current + 1, "rung.warm": label}
            )
        return current + 1, state, False

    def _plan(self, study: Study, number: int) -> dict[str, Any]:
        """The new round's champion, narrowed space and warm start (checked)."""
        s = self.settings
        champion = find_champion(
            self.workspace, s.model, s.champion, s.metric, self.space
        )
        if champion is not None:
            self.space = {
                k: r.narrowed(champion.params[k], s.narrow)
                if k in champion.params
                else r
                for k, r in self.space.items()
            }
        warm = warm_params(
            champion, past_best(study, number, s.warm_trials), self.space
        )
        probe = dict(warm[0][1]) if warm else {}
        probe = {k: probe.get(k, _middle(r)) for k, r in self.space.items()}
        self.pipeline.plan(params={**s.params, **probe}, source=s.source)
        notes = list(champion.notes) if champion else []
        if champion is None:
            notes.append(f"{s.model!r} has no {s.champion!r} version: no warm start")
        return {
            "started_at": now(),
            "holder": self.lease.holder,
            "n_trials": s.n_trials,
            "timeout_s": s.timeout_s,
            "budget_s": s.budget_s,
            "narrow": s.narrow,
            "space": {k: r.to_dict() for k, r in self.space.items()},
            "champion": champion.to_dict() if champion else None,
            "notes": notes,
            "dispatch": self.origin.dispatch_id,
            "warm": warm,
        }

    def _resume(
        self, study: Study, number: int, state: dict[str, Any]
    ) -> dict[str, Any]:
        from rung.automation._space import parse_space

        self.space = parse_space(state["space"])
        self._sweep(study, number)
        self.cpu_s = sum(
            _cpu_seconds(self.workspace, t.user_attrs.get("rung.run_id"))
            for t in round_trials(study, number)
            if t.state.is_finished()
        )
        state = {**state, "holder": self.lease.holder, "resumed_at": now()}
        self._save(study, number, state)
        return state

    def _sweep(self, study: Study, number: int | None) -> None:
        """Fail trials left running or waiting by a dead process; retry this round's."""
        from optuna.trial import TrialState

        storage = self.opened.storage
        study_id = storage.get_study_id_from_name(self.name)
        for trial in study.get_trials(
            deepcopy=False, states=(TrialState.RUNNING, TrialState.WAITING)
        ):
            mine = number is not None and trial.user_attrs.get(ROUND_ATTR) == number
            if mine and trial.state == TrialState.WAITING:
                continue  # still to run in the resumed round
            trial_id = storage.get_trial_id_from_study_id_trial_number(
                study_id, trial.number
            )
            storage.set_trial_user_attr(trial_id, "rung.stale", True)
            storage.set_trial_state_values(trial_id, TrialState.FAIL)
            if mine:
                attrs = {ROUND_ATTR: number, "rung.retry_of": trial.number}
                if trial.user_attrs.get("rung.warm"):
                    attrs["rung.warm"] = trial.user_attrs["rung.warm"]
                study.enqueue_trial(dict(trial.params), user_attrs=attrs)

    def _save(self, study: Study, number: int, state: Mapping[str, Any]) -> None:
        study.set_user_attr(f"{ROUND_ATTR}.{number}", dict(state))

    # -- running trials ---------------------------------------------------------

    def _optimize(self, study: Study, number: int) -> str:
        remaining = self.settings.n_trials - self._finished(study, number)
        if remaining <= 0:
            return "trials"
        reason = self._limit()
        if reason is not None:
            return reason
        study_id = self.opened.storage.get_study_id_from_name(self.name)
        study.optimize(
            self._objective(number, study_id),
            n_trials=remaining,
            timeout=self.settings.timeout_s,
            catch=(_TrialFailed,),
            callbacks=[self._after_trial],
        )
        if self.stop_reason is not None:
            return self.stop_reason
        done = self._finished(study, number) >= self.settings.n_trials
        return "trials" if done else "timeout"

    def _finished(self, study: Study, number: int) -> int:
        return sum(1 for t in round_trials(study, number) if t.state.is_finished())

    def _objective(self, number: int, study_id: int) -> Callable[[Trial], float]:
        s = self.settings

        def objective(trial: Trial) -> float:
            trial.set_user_attr(ROUND_ATTR, number)
            values = {name: _suggest(trial, r) for name, r in self.space.items()}
            tags = {
                **self.origin.tags,
                f"{TAG}.study": self.name,
                f"{TAG}.study_id": str(study_id),
                f"{TAG}.round": str(number),
                f"{TAG}.trial": str(trial.number),
            }

            def link(event: PipelineEvent) -> None:
                if event.kind == "run_started":
                    trial.set_user_attr("rung.run_id", event.run_id)
                    self._link_dispatch(event.run_id)

            try:
                run = self.pipeline.run(
                    params={**s.params, **values},
                    workspace=self.workspace,
                    tags=tags,
                    run_name=f"retune-{s.model}-{trial.number}",
                    source=s.source,
                    trigger=self.origin.trigger,
                    on_event=link,
                )
            except StepFailedError as exc:
                trial.set_user_attr("rung.error", str(exc).splitlines()[0][:300])
                raise _TrialFailed(str(exc)) from exc
            return self._value(run, trial.number)

        return objective

    def _value(self, run: Run, number: int) -> float:
        metrics = run.metrics
        metric = self.settings.metric
        if metric not in metrics:
            raise RetuneError(
                f"Run {run.id[:12]} (trial {number}) logged no metric {metric!r}, so "
                f"the trial has no value. It logged: "
                f"{', '.join(sorted(metrics)) or 'nothing'}. "
                f"Log it with rung.log_metric({metric!r}, value), or pass that name."
            )
        return float(metrics[metric])

    def _after_trial(self, study: Study, trial: FrozenTrial) -> None:
        from optuna.trial import TrialState

        self.cpu_s += _cpu_seconds(self.workspace, trial.user_attrs.get("rung.run_id"))
        failed = trial.state == TrialState.FAIL
        self.failed_in_row = self.failed_in_row + 1 if failed else 0
        reason = self._limit()
        if reason is not None:
            self.stop_reason = reason
            study.stop()

    def _limit(self) -> str | None:
        budget = self.settings.budget_s
        if self.lease.lost:
            return "lease lost"
        if budget is not None and self.cpu_s >= budget:
            return "budget"
        if self.failed_in_row >= _MAX_FAILED_IN_A_ROW:
            return "failures"
        return None

    def _link_dispatch(self, run_id: str) -> None:
        # The first trial's run goes into the ledger at once, so an agent
        # restarted meanwhile sees the firing started and does not start it again.
        if self.origin.dispatch_id is not None and not self._linked:
            self._linked = True
            self.workspace.triggers.update_dispatch(
                self.origin.dispatch_id,
                {
                    "run_id": run_id,
                    "reason": f"retune {self.name}: {self.origin.reason}",
                },
            )

    # -- closing the round ------------------------------------------------------

    def _finish(
        self,
        study: Study,
        number: int,
        state: dict[str, Any],
        reason: str,
        resumed: bool,
    ) -> RetuneResult:
        status = describe_round(study, number)
        version = (
            link_best(self.workspace, self.settings, self.name, status)
            if status.best_run
            else None
        )
        state = {
            **state,
            "stop_reason": reason,
            "ended_at": now(),
            "cpu_seconds": self.cpu_s,
            "best_trial": status.best_trial,
            "best_value": status.best_value,
            "best_run": status.best_run,
            "version": version,
        }
        self._save(study, number, state)
        if self.origin.dispatch_id is not None:
            report(
                self.workspace,
                self.origin.dispatch_id,
                settings=self.settings,
                study=self.name,
                status=status,
                reason=reason,
                version=version,
            )
        champion = state.get("champion") or {}
        return RetuneResult(
            study=self.name,
            study_id=self.opened.storage.get_study_id_from_name(self.name),
            where=self.opened.where,
            round=number,
            resumed=resumed,
            trials=status.trials,
            completed=status.completed,
            failed=status.failed,
            best_trial=status.best_trial,
            best_value=status.best_value,
            best_params=status.best_params,
            best_run=status.best_run,
            champion_version=champion.get("version"),
            champion_value=champion.get("value"),
            warm_value=status.champion_value,
            stop_reason=reason,
            cpu_seconds=self.cpu_s,
            version=version,
            space=dict(state["space"]),
            notes=list(state.get("notes", [])),
        )


def _suggest(trial: Trial, searched: ParamRange) -> Any:
    if searched.kind == "choice":
        return trial.suggest_categorical(searched.name, list(searched.choices))
    low, high = float(searched.low or 0.0), float(searched.high or 0.0)
    if searched.kind == "int":
        return trial.suggest_int(searched.name, int(low), int(high), log=searched.log)
    return trial.suggest_float(searched.name, low, high, log=searched.log)


def _middle(searched: ParamRange) -> Any:
    if searched.kind == "choice":
        return searched.choices[0]
    low, high = float(searched.low or 0.0), float(searched.high or 0.0)
    middle = math.sqrt(low * high) if searched.log else (low + high) / 2
    return searched.clip(middle)


def _cpu_seconds(workspace: Workspace, run_id: str | None) -> float:
    if not run_id:
        return 0.0
    return sum(s.cpu_seconds or 0.0 for s in workspace.runs.list_step_runs(run_id))


def _direction(name: str) -> Literal["minimize", "maximize"]:
    return "minimize" if name == "minimize" else "maximize"
