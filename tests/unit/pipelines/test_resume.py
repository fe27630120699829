"""Resuming runs that failed or whose process was killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import rung
from rung.errors import RunError, StepFailedError
from rung.pipelines import load_pipeline, resume_run

if TYPE_CHECKING:
    from rung.workspace import Workspace

FLOW = textwrap.dedent(
    """
    import time
    from pathlib import Path

    from rung import pipeline, step

    HERE = Path(__file__).parent


    @step
    def first() -> int:
        with (HERE / "first.log").open("a") as log:
            log.write("ran\\n")
        return 41


    @step
    def second(x: int) -> int:
        (HERE / "second.started").write_text("yes")
        if (HERE / "fail.flag").exists():
            raise RuntimeError("the flag is set")
        while (HERE / "hang.flag").exists():
            time.sleep(0.05)
        return x + 1


    @pipeline
    def flow() -> None:
        second(first())
    """
)


@pytest.fixture
def flow_file(tmp_path: Path) -> Path:
    path = tmp_path / "flow.py"
    path.write_text(FLOW)
    return path


def test_resume_reruns_only_the_steps_that_did_not_complete(
    workspace: Workspace, flow_file: Path
) -> None:
    (flow_file.parent / "fail.flag").write_text("")
    flow = load_pipeline(f"{flow_file}:flow")
    with pytest.raises(StepFailedError, match="the flag is set") as info:
        flow.run(workspace=workspace)
    run_id = info.value.run_id
    (flow_file.parent / "fail.flag").unlink()

    run = resume_run(workspace, run_id)

    assert run.id == run_id
    record = run.refresh().record
    assert (record.status, record.attempt, record.error) == ("completed", 2, None)
    assert run.output("second") == 42
    assert (flow_file.parent / "first.log").read_text() == "ran\n"
    attempts = [
        (s.name, s.attempt, s.status) for s in workspace.runs.list_step_runs(run_id)
    ]
    assert attempts == [
        ("first", 1, "completed"),
        ("second", 1, "failed"),
        ("second", 2, "completed"),
    ]


def test_resume_refuses_a_completed_run(workspace: Workspace, flow_file: Path) -> None:
    run = load_pipeline(f"{flow_file}:flow").run(workspace=workspace)
    with pytest.raises(RunError, match="already completed"):
        resume_run(workspace, run.id)


def test_resume_refuses_an_ad_hoc_run(workspace: Workspace) -> None:
    with rung.start_run("notebook") as run:
        pass
    workspace.runs.update_run(run.id, {"status": "failed"})
    with pytest.raises(RunError, match="cannot be resumed"):
        resume_run(workspace, run.id)


@pytest.mark.integration
def test_killed_run_is_marked_failed_and_can_be_resumed(
    tmp_path: Path, flow_file: Path
) -> None:
    (tmp_path / "hang.flag").write_text("")
    script = (
        "from rung.pipelines import load_pipeline\n"
        f"load_pipeline({str(flow_file)!r} + ':flow')()\n"
    )
    env = {**os.environ, "RUNG_ROOT": str(tmp_path)}
    child = subprocess.Popen([sys.executable, "-c", script], cwd=tmp_path, env=env)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "second.started").exists():
            if child.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the pipeline process did not reach its second step")
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    (tmp_path / "hang.flag").unlink()

    with rung.open_workspace(tmp_path, create=False) as ws:
        client = rung.Client(ws)
        killed = client.list_runs()[0]
        assert killed.status == "failed"
        assert "stopped without finishing" in (killed.error or "")
        resumed = client.resume_run(killed.id)
        assert resumed.refresh().record.status == "completed"
        attempts = [
            (s.name, s.attempt, s.status) for s in ws.runs.list_step_runs(killed.id)
        ]
        assert attempts == [
            ("first", 1, "completed"),
            ("second", 1, "failed"),
            ("second", 2, "completed"),
        ]
        assert resumed.output("second") == 42
    assert (tmp_path / "first.log").read_text() == "ran\n"


CHAIN = textwrap.dedent(
    """
    import time
    from pathlib import Path

    from rung import pipeline, step

    HERE = Path(__file__).parent


    @step
    def add_one(x: int, name: str) -> int:
        with (HERE / f"{name}.log").open("a") as log:
            log.write("ran\\n")
        (HERE / f"{name}.started").write_text("yes")
        while name == "third" and (HERE / "hang.flag").exists():
            time.sleep(0.05)
        return x + 1


    @pipeline
    def chain() -> None:
        value = 0
        for name in ("first", "second", "third", "fourth"):
            value = add_one(value, name=name)
    """
)


@pytest.mark.integration
def test_chain_killed_mid_run_keeps_every_completed_step_for_resume(
    tmp_path: Path,
) -> None:
    """Steps of a chain store their end with the next step's start: a run
    killed in its third step has its first two on record, outputs and lineage
    included, and resuming runs only the third and the fourth."""
    flow = tmp_path / "chain.py"
    flow.write_text(CHAIN)
    (tmp_path / "hang.flag").write_text("")
    script = (
        "from rung.pipelines import load_pipeline\n"
        f"load_pipeline({str(flow)!r} + ':chain').run(enable_cache=False)\n"
    )
    env = {**os.environ, "RUNG_ROOT": str(tmp_path)}
    child = subprocess.Popen([sys.executable, "-c", script], cwd=tmp_path, env=env)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "third.started").exists():
            if child.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the pipeline process did not reach its third step")
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    (tmp_path / "hang.flag").unlink()

    with rung.open_workspace(tmp_path, create=False) as ws:
        killed = rung.Client(ws).list_runs()[0]
        assert killed.status == "failed"
        steps = ws.runs.list_step_runs(killed.id)
        assert [(s.name, s.status) for s in steps] == [
            ("add_one", "completed"),
            ("add_one_2", "completed"),
            ("add_one_3", "failed"),  # running when killed, ended by the reaper
        ]
        first, second = steps[0], steps[1]
        # The second step read what the first one produced, both on record.
        assert second.inputs == {"x": first.outputs["output"]}
        assert [e.direction for e in ws.runs.lineage(first.outputs["output"])] == [
            "output",
            "input",
        ]

        resumed = rung.Client(ws).resume_run(killed.id)
        assert resumed.refresh().record.status == "completed"
        attempts = [
            (s.name, s.attempt, s.status) for s in ws.runs.list_step_runs(killed.id)
        ]
        assert attempts == [
            ("add_one", 1, "completed"),
            ("add_one_2", 1, "completed"),
            ("add_one_3", 1, "failed"),
            ("add_one_3", 2, "completed"),
            ("add_one_4", 2, "completed"),
        ]
        assert resumed.output("add_one_4") == 4
    for name, runs in (("first", 1), ("second", 1), ("third", 2), ("fourth", 1)):
        assert (tmp_path / f"{name}.log").read_text() == "ran\n" * runs
