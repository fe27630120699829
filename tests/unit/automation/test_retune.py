"""Re-tuning: real trial runs of a scikit-learn pipeline, limits, resume."""

from __future__ import annotations

import math
import textwrap
import threading
import time
from typing import TYPE_CHECKING, Any

import pytest

from rung.automation import RetuneResult, reset_study, retune, study_status
from rung.automation.errors import RetuneBusyError, RetuneError, SearchSpaceError
from rung.cli._hints import with_hint
from rung.errors import ParameterError

if TYPE_CHECKING:
    from pathlib import Path

    from rung.workspace import Workspace

FLOW = """
import time
from pathlib import Path

from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import rung
from rung import pipeline, step


def hold(gate: str, at: int) -> None:
    # at the at-th call, tell the test a trial runs, then wait for its go
    counter = Path(gate + ".count")
    calls = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(calls))
    if calls != at:
        return
    Path(gate + ".started").write_text("")
    deadline = time.monotonic() + 60
    while not Path(gate).exists() and time.monotonic() < deadline:
        time.sleep(0.02)


@step
def train(
    C: float, solver: str, gate: str, gate_at: int, fail: bool
) -> LogisticRegression:
    if fail:
        raise ValueError("this trial fails")
    if gate:
        hold(gate, gate_at)
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.4, random_state=0
    )
    model = LogisticRegression(C=C, solver=solver, max_iter=2000)
    model.fit(X_train, y_train)
    rung.log_metric("accuracy", model.score(X_test, y_test))
    return model


@pipeline
def training(
    C: float = 1.0,
    solver: str = "lbfgs",
    gate: str = "",
    gate_at: int = 1,
    fail: bool = False,
):
    train(C, solver, gate, gate_at, fail)
"""

SPACE: dict[str, Any] = {
    "C": {"low": 1e-4, "high": 100.0, "log": True},
    "solver": {"choices": ["lbfgs", "liblinear"]},
}


@pytest.fixture
def flow(tmp_path: Path) -> str:
    """The ``training`` pipeline of a small scikit-learn file."""
    path = tmp_path / "cancer.py"
    path.write_text(textwrap.dedent(FLOW))
    return f"{path}:training"


@pytest.fixture
def champion(workspace: Workspace, flow: str) -> int:
    """Version 1 of ``cancer``, trained with a poor C, in ``production``."""
    from rung.pipelines import load_pipeline
    from rung.registry import promote_model, register_model

    run = load_pipeline(flow).run(params={"C": 0.0003}, workspace=workspace)
    version = register_model(workspace, run, "cancer", step="train")
    promote_model(workspace, "cancer", version.version, "production")
    return version.version


def _retune(workspace: Workspace, flow: str, **options: Any) -> RetuneResult:
    settings: dict[str, Any] = {
        "model": "cancer",
        "space": SPACE,
        "metric": "accuracy",
        "n_trials": 3,
        "timeout_s": None,
    }
    return retune(workspace, flow, **{**settings, **options})


@pytest.mark.slow
def test_ten_trials_beat_or_match_the_warm_start(
    workspace: Workspace, flow: str, champion: int
) -> None:
    result = _retune(workspace, flow, n_trials=10, register="train")
    assert (result.trials, result.completed, result.stop_reason) == (10, 10, "trials")
    assert result.champion_version == champion
    assert result.warm_value is not None and result.best_value is not None
    assert result.best_value >= result.warm_value
    assert result.best_value > (result.champion_value or 0.0)  # C=0.0003 is poor
    narrowed = result.space["C"]
    assert narrowed["low"] <= 0.0003 <= narrowed["high"]
    assert math.log(narrowed["high"] / narrowed["low"]) == pytest.approx(
        0.5 * math.log(100 / 1e-4)
    )


def test_a_round_links_its_runs_and_the_version_it_registers(
    workspace: Workspace, flow: str, champion: int
) -> None:
    result = _retune(workspace, flow, register="train")
    runs = [
        r for r in workspace.runs.list_runs(limit=None) if "rung.retune.trial" in r.tags
    ]
    assert len(runs) == 3
    assert {r.tags["rung.retune.study"] for r in runs} == {"rung.test-project.cancer"}
    assert {r.tags["rung.retune.study_id"] for r in runs} == {str(result.study_id)}
    warm = next(r for r in runs if r.tags["rung.retune.trial"] == "0")
    assert warm.params["C"] == pytest.approx(0.0003)  # the champion goes first
    best = workspace.runs.get_run(result.best_run or "")
    assert best.tags["rung.retune.best_trial"] == str(result.best_trial)
    version = workspace.models.get_model_version("test-project", "cancer", 2)
    assert result.version == 2 and version.run_id == result.best_run
    assert version.tags["rung.retune.study"] == result.study
    assert version.tags["rung.retune.trial"] == str(result.best_trial)


def test_the_study_lives_beside_the_metadata_database(
    workspace: Workspace, flow: str, tmp_path: Path
) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from rung.store.sql._engine import load_schema

    result = _retune(workspace, flow, n_trials=1)
    assert result.where == f"sqlite file {tmp_path / '.rung' / 'metadata.optuna.db'}"
    assert (tmp_path / ".rung" / "metadata.optuna.db").exists()

    def differences(conn: Any) -> list[Any]:
        return list(compare_metadata(MigrationContext.configure(conn), load_schema()))

    # Rung's schema is untouched: no Optuna table, Rung's own revision.
    assert workspace.backend.read(differences) == []  # type: ignore[attr-defined]


def test_without_a_champion_the_whole_space_is_searched(
    workspace: Workspace, flow: str
) -> None:
    result = _retune(workspace, flow, n_trials=2, seed=3)
    assert result.champion_version is None and result.warm_value is None
    assert result.space == {
        "C": {"low": 1e-4, "high": 100.0, "log": True},
        "solver": {"choices": ["lbfgs", "liblinear"]},
    }
    assert result.notes == ["'cancer' has no 'production' version: no warm start"]
    assert result.version is None  # nothing registered without register=


def test_a_new_round_starts_from_the_best_past_trials(
    workspace: Workspace, flow: str, champion: int
) -> None:
    first = _retune(workspace, flow, n_trials=2, narrow=1.0)
    second = _retune(workspace, flow, n_trials=3, narrow=1.0)
    assert (first.round, second.round, second.study_id) == (1, 2, first.study_id)
    trials = [
        r
        for r in workspace.runs.list_runs(limit=None)
        if r.tags.get("rung.retune.round") == "2"
    ]
    params = sorted((r.tags["rung.retune.trial"], r.params["C"]) for r in trials)
    assert params[1][1] == pytest.approx(first.best_params["C"])  # after the champion
    status = study_status(workspace, "cancer")
    assert [(r.round, r.trials, r.stop_reason) for r in status.rounds] == [
        (1, 2, "trials"),
        (2, 3, "trials"),
    ]
    assert (status.metric, status.direction) == ("accuracy", "maximize")


def test_budget_stops_the_round_with_its_reason(
    workspace: Workspace, flow: str
) -> None:
    result = _retune(workspace, flow, n_trials=5, budget_cpu_hours=1e-9)
    assert (result.trials, result.stop_reason) == (1, "budget")
    assert result.cpu_seconds > 0
    [round_] = study_status(workspace, "cancer").rounds
    assert round_.stop_reason == "budget" and round_.planned == 5


def test_timeout_stops_the_round_with_its_reason(
    workspace: Workspace, flow: str
) -> None:
    result = _retune(workspace, flow, n_trials=5, timeout_s=1e-6)
    assert (result.trials, result.stop_reason, result.best_trial) == (
        0,
        "timeout",
        None,
    )


def test_failing_trials_stop_the_round(workspace: Workspace, flow: str) -> None:
    result = _retune(workspace, flow, n_trials=5, params={"fail": True})
    assert (result.trials, result.failed, result.stop_reason) == (3, 3, "failures")
    assert result.best_value is None


def test_resume_continues_the_round_a_killed_process_left(
    workspace: Workspace, flow: str
) -> None:
    import optuna

    from rung.automation._studies import open_storage

    first = _retune(workspace, flow, n_trials=2, seed=1)
    # What a kill leaves: the round unfinished, a trial RUNNING, its process gone.
    opened = open_storage(workspace)
    try:
        study = optuna.load_study(study_name=first.study, storage=opened.storage)
        state = dict(study.user_attrs["rung.round.1"], stop_reason=None)
        study.set_user_attr("rung.round.1", state)
        stale = study.ask()
        stale.set_user_attr("rung.round", 1)
        stale.suggest_float("C", 0.5, 0.5 + 1e-9, log=True)
    finally:
        opened.close()

    resumed = _retune(workspace, flow, n_trials=4, seed=1)
    assert (resumed.round, resumed.resumed, resumed.study_id) == (
        1,
        True,
        first.study_id,
    )
    assert (resumed.trials, resumed.stop_reason) == (4, "trials")
    opened = open_storage(workspace)
    try:
        study = optuna.load_study(study_name=first.study, storage=opened.storage)
        [old] = [t for t in study.trials if t.number == stale.number]
        retry = [t for t in study.trials if t.user_attrs.get("rung.retry_of")]
    finally:
        opened.close()
    assert old.state == optuna.trial.TrialState.FAIL and old.user_attrs["rung.stale"]
    assert [t.params["C"] for t in retry] == [pytest.approx(0.5)]


def test_a_second_retune_of_the_same_model_is_refused(
    workspace: Workspace, flow: str, tmp_path: Path
) -> None:
    gate = tmp_path / "go"
    outcome: list[Any] = []

    def first() -> None:
        try:
            outcome.append(
                _retune(workspace, flow, n_trials=1, params={"gate": str(gate)})
            )
        except Exception as exc:  # reported to the test below
            outcome.append(exc)

    thread = threading.Thread(target=first)
    thread.start()
    try:
        deadline = time.monotonic() + 120
        while not (tmp_path / "go.started").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        with pytest.raises(
            RetuneBusyError,
            match=r"Model 'cancer' is already being re-tuned \(round 1, by .+, since "
            r".+\): study 'rung\.test-project\.cancer' runs one round at a time",
        ):
            _retune(workspace, flow, n_trials=1)
    finally:
        gate.write_text("")
        thread.join()
    assert isinstance(outcome[0], RetuneResult) and outcome[0].trials == 1
    assert _retune(workspace, flow, n_trials=1).round == 2  # the lease was released


def test_a_held_lease_refuses_another_holder(workspace: Workspace, flow: str) -> None:
    lease = workspace.triggers.acquire_lease(
        "retune/test-project/cancer", "someone-else", 60, time.time()
    )
    assert lease is not None
    with pytest.raises(RetuneBusyError, match=r"retry in at most 60 s") as busy:
        _retune(workspace, flow)
    assert with_hint(busy.value).endswith("Follow it with `rung retune status cancer`.")


def test_memory_workspace_keeps_the_study_in_memory(
    memory_workspace: Workspace, flow: str
) -> None:
    result = _retune(memory_workspace, flow, n_trials=1)
    assert result.where == "memory (this process only)"
    assert study_status(memory_workspace, "cancer").rounds[0].trials == 1


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"metric": "f1"}, RetuneError, r"logged no metric 'f1'.+It logged: accuracy"),
        ({"direction": "up"}, RetuneError, r"direction must be maximize or minimize"),
        ({"n_trials": 0}, RetuneError, r"n_trials must be a positive int, got 0"),
        ({"n_trials": 2.5}, RetuneError, r"n_trials must be a positive int"),
        ({"narrow": 2}, RetuneError, r"narrow is the fraction .+ got 2"),
        ({"timeout_s": -1}, RetuneError, r"timeout_s must be a positive float"),
        ({"params": {"nope": 1}}, RetuneError, r"takes no parameter 'nope'"),
        ({"params": {"C": 1}}, RetuneError, r"'C' is both fixed and searched"),
        ({"space": {"gamma": {"low": 1, "high": 2}}}, SearchSpaceError, r"'gamma'"),
        ({"space": {"C": {"choices": ["a"]}}}, ParameterError, r"C"),
    ],
)
def test_retune_rejects_bad_settings(
    workspace: Workspace,
    flow: str,
    options: dict[str, Any],
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error, match=message):
        _retune(workspace, flow, **options)


def test_a_study_keeps_its_metric_direction_and_parameter_kinds(
    workspace: Workspace, flow: str
) -> None:
    _retune(workspace, flow, n_trials=1)
    with pytest.raises(
        RetuneError, match=r"created to maximize 'accuracy'.+reset_study"
    ) as differs:
        _retune(workspace, flow, direction="minimize")
    assert with_hint(differs.value).endswith(
        "Delete it with `rung retune reset cancer`."
    )
    log_free = {**SPACE, "C": {"low": 1e-4, "high": 100.0}}
    with pytest.raises(SearchSpaceError, match=r"cannot continue with .+log or not"):
        _retune(workspace, flow, space=log_free)
    assert reset_study(workspace, "cancer") is True
    assert _retune(workspace, flow, space=log_free, n_trials=1).round == 1
    assert reset_study(workspace, "other") is False


def test_status_of_a_model_without_a_study(workspace: Workspace) -> None:
    with pytest.raises(RetuneError, match=r"'cancer' has no re-tuning study") as none:
        study_status(workspace, "cancer")
    assert with_hint(none.value).endswith(
        "Start one with `rung retune PIPELINE --model cancer --space space.yaml "
        "--metric METRIC`."
    )
