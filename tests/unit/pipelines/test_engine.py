"""The run engine's lifecycle: every run it records ends, whatever goes wrong."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from rung import pipeline, step
from rung._internal.ids import new_id
from rung._internal.timeutil import now
from rung.errors import ConfigError, StepFailedError
from rung.metadata import RunRecord, StepFinish, StepRunRecord
from rung.pipelines import PipelineEvent, load_pipeline, resume_run
from rung.tracking import host_name, reap_stale_runs
from rung.tracking._lifecycle import heartbeats
from rung.workspace import Workspace, WorkspaceOptions

if TYPE_CHECKING:
    from rung.metadata import RunStore

ABANDONED = "abandoned: the run's process ended before the step finished"

FLOW = textwrap.dedent(
    """
    from pathlib import Path

    from rung import pipeline, step

    HERE = Path(__file__).parent


    @step
    def first() -> int:
        return 41


    @step
    def second(x: int) -> int:
        if (HERE / "fail.flag").exists():
            raise RuntimeError("the flag is set")
        return x + 1


    @pipeline
    def flow() -> None:
        second(first())
    """
)

should_fail: list[bool] = []


@step
def source() -> int:
    return 1


@step
def sink(x: int, bump: int) -> int:
    if should_fail:
        raise RuntimeError("sink refused its input")
    return x + bump


@pipeline
def chain(bump: int = 1) -> None:
    sink(source(), bump=bump)


@pytest.fixture(autouse=True)
def _reset_flag() -> None:
    should_fail.clear()


@pytest.fixture
def flow_file(tmp_path: Path) -> Path:
    path = tmp_path / "flow.py"
    path.write_text(FLOW)
    return path


@pytest.fixture
def nope_workspace(tmp_path: Path) -> Iterator[Workspace]:
    ws = Workspace.from_urls(
        f"sqlite:///{tmp_path / 'nope.db'}",
        str(tmp_path / "nope-artifacts"),
        options=WorkspaceOptions(orchestrator="nope"),
    )
    try:
        yield ws
    finally:
        ws.close()


def _only_run(ws: Workspace) -> RunRecord:
    (run,) = ws.runs.list_runs(project=None, limit=None)
    return run


def _fail_once(ws: Workspace, flow_file: Path) -> str:
    """Run the flow so that its second step fails; return the run id."""
    (flow_file.parent / "fail.flag").write_text("")
    with pytest.raises(StepFailedError, match="the flag is set") as info:
        load_pipeline(f"{flow_file}:flow").run(workspace=ws)
    run_id: str = info.value.run_id
    return run_id


def _leave_step_running(ws: Workspace, run_id: str, attempt: int) -> str:
    """Record what a killed attempt leaves behind: a failed run, a running step."""
    ws.runs.update_run(run_id, {"attempt": attempt, "status": "failed"})
    step_run = StepRunRecord(
        id=new_id(),
        run_id=run_id,
        name="second",
        status="running",
        started_at=now(),
        attempt=attempt,
    )
    ws.runs.create_step_run(step_run)
    return step_run.id


def _step_run(ws: Workspace, run_id: str, step_run_id: str) -> StepRunRecord:
    (found,) = [s for s in ws.runs.list_step_runs(run_id) if s.id == step_run_id]
    return found


def test_unknown_orchestrator_ends_the_run_failed(
    nope_workspace: Workspace,
) -> None:
    with pytest.raises(ConfigError, match="Unknown orchestrator 'nope'") as info:
        chain.run(workspace=nope_workspace)

    run = _only_run(nope_workspace)
    assert info.value.run_id == run.id  # type: ignore[attr-defined]
    assert run.status == "failed"
    assert run.ended_at is not None
    assert run.error is not None
    assert "Unknown orchestrator 'nope'" in run.error
    assert "\n" not in run.error
    assert not heartbeats.is_local(run.id)


def test_cache_hit_recording_error_does_not_mask_the_step_failure(
    workspace: Workspace,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    chain.run(workspace=workspace)  # so that ``source`` is a cache hit next time
    should_fail.append(True)
    runs: RunStore = workspace.runs

    def broken(step_runs: Sequence[StepRunRecord]) -> None:
        raise OSError("the database went away")

    monkeypatch.setattr(runs, "record_cache_hits", broken)

    with (
        caplog.at_level(logging.WARNING, logger="rung.pipelines"),
        pytest.raises(StepFailedError, match="sink") as info,
    ):
        chain.run(workspace=workspace, params={"bump": 2})

    assert "the database went away" in caplog.text
    assert any("the database went away" in n for n in info.value.__notes__)
    failed = runs.get_run(info.value.run_id)
    assert failed.status == "failed"
    assert failed.ended_at is not None
    assert "sink" in (failed.error or "")


def test_cache_hit_recording_error_fails_an_otherwise_good_run(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(step_runs: Sequence[StepRunRecord]) -> None:
        raise OSError("the database went away")

    monkeypatch.setattr(workspace.runs, "record_cache_hits", broken)

    with pytest.raises(OSError, match="the database went away"):
        chain.run(workspace=workspace)

    run = _only_run(workspace)
    assert (run.status, run.error) == ("failed", "OSError: the database went away")
    assert run.ended_at is not None


def test_resumed_run_ends_step_runs_a_killed_attempt_left_running(
    workspace: Workspace, flow_file: Path
) -> None:
    run_id = _fail_once(workspace, flow_file)
    stale = _leave_step_running(workspace, run_id, attempt=2)
    (flow_file.parent / "fail.flag").unlink()

    run = resume_run(workspace, run_id)

    assert run.refresh().record.status == "completed"
    ended = _step_run(workspace, run_id, stale)
    assert (ended.status, ended.error) == ("failed", ABANDONED)
    assert ended.ended_at is not None
    statuses = [(s.attempt, s.status) for s in workspace.runs.list_step_runs(run_id)]
    assert "running" not in {status for _, status in statuses}, statuses


def test_resumed_run_that_fails_again_ends_abandoned_step_runs(
    workspace: Workspace, flow_file: Path
) -> None:
    run_id = _fail_once(workspace, flow_file)
    stale = _leave_step_running(workspace, run_id, attempt=2)

    with pytest.raises(StepFailedError, match="the flag is set"):
        resume_run(workspace, run_id)

    assert workspace.runs.get_run(run_id).status == "failed"
    assert _step_run(workspace, run_id, stale).status == "failed"


def test_reaping_a_dead_run_ends_its_running_step_runs(workspace: Workspace) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    started = now()
    record = RunRecord(
        id=new_id(),
        name="killed",
        project=workspace.project,
        user=workspace.user,
        status="running",
        started_at=started,
        heartbeat_at=started,
        host=host_name(),
        pid=int(dead.stdout),
    )
    workspace.runs.create_run(record)
    step_run = StepRunRecord(
        id=new_id(),
        run_id=record.id,
        name="train",
        status="running",
        started_at=started,
    )
    workspace.runs.create_step_run(step_run)

    assert reap_stale_runs(workspace) == [record.id]

    ended = _step_run(workspace, record.id, step_run.id)
    assert (ended.status, ended.error) == ("failed", ABANDONED)
    assert ended.ended_at == started


def test_error_ending_the_run_does_not_mask_the_original_error(
    nope_workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: RunStore = nope_workspace.runs

    def broken(run_id: str, changes: object) -> RunRecord:
        raise OSError("the database went away")

    monkeypatch.setattr(runs, "update_run", broken)

    with pytest.raises(ConfigError, match="Unknown orchestrator") as info:
        chain.run(workspace=nope_workspace)

    assert any("the database went away" in n for n in info.value.__notes__)
    assert not heartbeats.is_local(_only_run(nope_workspace).id)


def test_interrupt_between_steps_keeps_the_completed_step(
    workspace: Workspace,
) -> None:
    """A completed step's end waits for the engine's next write; an
    interruption before it still stores it (resume relies on it)."""

    def interrupt(event: PipelineEvent) -> None:
        if (event.kind, event.step) == ("step_started", "sink"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        chain.run(workspace=workspace, enable_cache=False, on_event=interrupt)

    run = _only_run(workspace)
    assert run.status == "cancelled"
    (done,) = workspace.runs.list_step_runs(run.id)
    assert (done.name, done.status) == ("source", "completed")
    assert workspace.load_artifact(done.outputs["output"]) == 1


def test_error_storing_a_step_start_fails_the_run_and_keeps_completed_steps(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: RunStore = workspace.runs
    real = runs.advance_step_runs

    def broken(
        finished: Sequence[StepFinish], started: Sequence[StepRunRecord]
    ) -> None:
        if any(s.name == "sink" for s in started):
            raise OSError("the database went away")
        real(finished, started)

    monkeypatch.setattr(runs, "advance_step_runs", broken)

    with pytest.raises(OSError, match="the database went away"):
        chain.run(workspace=workspace, enable_cache=False)

    run = _only_run(workspace)
    assert (run.status, run.error) == ("failed", "OSError: the database went away")
    (done,) = runs.list_step_runs(run.id)
    assert (done.name, done.status) == ("source", "completed")


@step(cache=False)
def thread_name(after: str = "") -> str:
    import threading

    return threading.current_thread().name


@step(cache=False)
def pair(left: str, right: str) -> list[str]:
    return [left, right]


@pipeline(enable_cache=False)
def lone_then_parallel() -> None:
    first = thread_name()
    pair(thread_name(first), thread_name(first))


def test_a_lone_step_runs_on_the_engine_thread_parallel_ones_on_the_pool(
    workspace: Workspace,
) -> None:
    import threading

    run = lone_then_parallel.run(workspace=workspace)

    names = {name: run.output(name) for name in run.steps if name != "pair"}
    assert names["thread_name"] == threading.current_thread().name
    assert names["thread_name_2"].startswith("rung-step")
    assert names["thread_name_3"].startswith("rung-step")


@step(cache=False)
def interrupted(value: int) -> int:
    raise KeyboardInterrupt


@pipeline(enable_cache=False)
def stopped_in_a_step() -> None:
    interrupted(source())


def test_interrupt_inside_a_lone_step_records_it_and_cancels_the_run(
    workspace: Workspace,
) -> None:
    with pytest.raises(KeyboardInterrupt):
        stopped_in_a_step.run(workspace=workspace)

    run = _only_run(workspace)
    steps = {s.name: s for s in workspace.runs.list_step_runs(run.id)}
    assert run.status == "cancelled"
    assert steps["source"].status == "completed"
    assert (steps["interrupted"].status, steps["interrupted"].error) == (
        "failed",
        "Interrupted by the user.",
    )


@step(cache=False)
def bump(x: int) -> int:
    return x + 1


@pipeline(enable_cache=False)
def long_chain(length: int = 25) -> None:
    value = 0
    for _ in range(length):
        value = bump(value)


def test_a_step_called_in_a_loop_gets_numbered_names_in_order(
    workspace: Workspace,
) -> None:
    run = long_chain.run(workspace=workspace, params={"length": 25})

    step_runs = workspace.runs.list_step_runs(run.id)
    assert [s.name for s in step_runs] == ["bump"] + [f"bump_{n}" for n in range(2, 26)]
    assert run.output("bump_25") == 25
