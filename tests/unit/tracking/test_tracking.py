"""Tracking through the public API: ad-hoc runs, metrics, params, tags, compare."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import rung
from rung.errors import RunError
from rung.metadata import RunRecord
from rung.tracking import buffer_for, compare_runs, reap_stale_runs

if TYPE_CHECKING:
    from rung.workspace import Workspace


def test_start_run_records_params_metrics_and_tags(workspace: Workspace) -> None:
    with rung.start_run("baseline", params={"C": 1.0}) as run:
        rung.log_params({"penalty": "l2"})
        rung.set_tags({"team": "churn", "version": 3})
        for epoch in range(3):
            rung.log_metric("loss", 1.0 / (epoch + 1), step=epoch)
        rung.log_metrics({"accuracy": 0.9, "f1": 0.8})
    record = run.refresh().record
    assert (record.name, record.status, record.pipeline) == (
        "baseline",
        "completed",
        None,
    )
    assert record.params == {"C": 1.0, "penalty": "l2"}
    assert record.tags == {"team": "churn", "version": "3"}
    assert run.metrics == {"loss": pytest.approx(1 / 3), "accuracy": 0.9, "f1": 0.8}
    assert [m.step for m in run.metric_history("loss")] == [0, 1, 2]


def test_exception_inside_start_run_fails_the_run(workspace: Workspace) -> None:
    with pytest.raises(ZeroDivisionError), rung.start_run("broken") as run:
        rung.log_metric("x", 1)
        _ = 1 / 0
    record = run.refresh().record
    assert record.status == "failed"
    assert record.error == "ZeroDivisionError: division by zero"
    assert run.metrics == {"x": 1.0}


def test_non_numeric_metric_is_refused_with_advice(workspace: Workspace) -> None:
    with (
        rung.start_run(),
        pytest.raises(RunError, match=r"must be a number\. Got 'high'.*as tags"),
    ):
        rung.log_metric("quality", "high")  # type: ignore[arg-type]


def test_log_metrics_refuses_a_non_numeric_value_and_queues_nothing(
    workspace: Workspace,
) -> None:
    with rung.start_run() as run:
        with pytest.raises(RunError, match=r"Metric 'f1' must be a number\. Got None"):
            rung.log_metrics({"accuracy": 0.9, "f1": None})  # type: ignore[dict-item]
        rung.log_metrics({"accuracy": 1, "loss": 0.5})
    assert [(m.key, m.value) for m in workspace.runs.get_metrics(run.id)] == [
        ("accuracy", 1.0),
        ("loss", 0.5),
    ]


def test_large_batches_keep_logging_order_and_every_value(
    workspace: Workspace,
) -> None:
    with rung.start_run() as run:
        for epoch in range(3):
            rung.log_metric("loss", 1.0 / (epoch + 1), step=epoch)
            rung.log_metrics({f"w{i}": i + epoch / 10 for i in range(500)}, step=epoch)
        assert buffer_for(workspace).flush() == 3 * 501
    history = workspace.runs.get_metrics(run.id)
    assert len(history) == 3 * 501
    assert [m.key for m in history[:3]] == ["loss", "w0", "w1"]
    assert [m.value for m in run.metric_history("w499")] == [499.0, 499.1, 499.2]
    assert run.metrics["loss"] == pytest.approx(1 / 3)


def test_flush_makes_values_visible_to_another_connection(workspace: Workspace) -> None:
    from rung.store import open_backend

    other = open_backend(workspace.backend.url)
    try:
        with rung.start_run() as run:
            rung.log_metric("m", 2.5)
            rung.flush()
            runs = other.open_store("runs")
            assert [m.value for m in runs.get_metrics(run.id)] == [2.5]
    finally:
        other.close()


def test_compare_runs_lists_differing_params_and_best_run(workspace: Workspace) -> None:
    with rung.start_run(params={"C": 1.0, "seed": 0}) as a:
        rung.log_metric("accuracy", 0.8)
    with rung.start_run(params={"C": 0.1, "seed": 0}) as b:
        rung.log_metric("accuracy", 0.9)
    result = compare_runs(workspace, [a.id, b.id[:8]])
    assert result.differing_params == ["C"]
    assert result.metrics["accuracy"] == [0.8, 0.9]
    best = result.best("accuracy")
    assert best is not None and best.id == b.id


def test_runs_of_dead_processes_are_marked_failed(workspace: Workspace) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    from rung.tracking import host_name

    dead = RunRecord(
        id="d" * 32,
        name="ghost",
        project=workspace.project,
        user="x",
        status="running",
        started_at=1.0,
        heartbeat_at=1.0,
        host=host_name(),
        pid=int(done.stdout),
    )
    workspace.runs.create_run(dead)
    assert reap_stale_runs(workspace) == [dead.id]
    record = workspace.runs.get_run(dead.id)
    assert record.status == "failed"
    assert "rung run --resume" in (record.error or "")


def test_runs_on_other_hosts_die_only_after_missing_heartbeats(
    workspace: Workspace,
) -> None:
    from rung._internal.timeutil import now

    fresh = RunRecord(
        id="a" * 32,
        name="remote",
        project="p",
        user="u",
        status="running",
        started_at=now(),
        heartbeat_at=now(),
        host="elsewhere",
        pid=1,
    )
    stale = RunRecord(
        id="b" * 32,
        name="remote-old",
        project="p",
        user="u",
        status="running",
        started_at=1.0,
        heartbeat_at=1.0,
        host="elsewhere",
        pid=1,
    )
    workspace.runs.create_run(fresh)
    workspace.runs.create_run(stale)
    assert reap_stale_runs(workspace) == [stale.id]


def test_logging_outside_any_run_opens_an_ad_hoc_run(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import rung
        rung.log_params({"alpha": 0.5})
        rung.log_metric("score", 0.75)
        """
    )
    (tmp_path / "notebook_like.py").write_text(script)
    subprocess.run([sys.executable, "notebook_like.py"], cwd=tmp_path, check=True)
    with rung.open_workspace(tmp_path, create=False) as ws:
        (record,) = ws.runs.list_runs()
        assert (record.name, record.status, record.params) == (
            "notebook_like",
            "completed",
            {"alpha": 0.5},
        )
        assert ws.runs.latest_metrics([record.id]) == {record.id: {"score": 0.75}}
