"""Resume a failed, cancelled or killed run: re-run only what did not complete."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rung.errors import RunError
from rung.pipelines._engine import execute_plan
from rung.pipelines._hooks import notify_run_listeners
from rung.pipelines._loader import load_pipeline
from rung.tracking import reap_stale_runs

if TYPE_CHECKING:
    from rung.pipelines._events import EventHook
    from rung.tracking import Run
    from rung.workspace import Workspace

__all__ = ["end_dead_runs", "resume_run"]


def end_dead_runs(workspace: Workspace) -> list[str]:
    """Mark ``running`` runs whose process died as failed; tell the run listeners.

    A killed or crashed process never reports its run's end: the listeners
    (e.g. OpenLineage, which then sends the FAIL event) hear of it here.

    Returns:
        The ids of the runs it ended.
    """
    ended = reap_stale_runs(workspace)
    for run_id in ended:
        notify_run_listeners(workspace, workspace.runs.get_run(run_id), "failed")
    return ended


def resume_run(
    workspace: Workspace, run_id: str, *, on_event: EventHook | None = None
) -> Run:
    """Continue a run that did not complete, in place (same run id).

    Steps that completed keep their outputs; the others run again with the
    run's original parameters. The run's ``attempt`` counter goes up by one.
    ``rung.resume_run(run_id)`` does the same in the default workspace.

    Raises:
        RunError: the run completed, is still running, or has no pipeline source.
    """
    end_dead_runs(workspace)
    record = workspace.runs.get_run(run_id)
    if record.status == "completed":
        raise RunError(
            f"Run {record.id[:12]} already completed; there is nothing to resume."
        )
    if record.status == "running":
        raise RunError(
            f"Run {record.id[:12]} is still running (process {record.pid} on "
            f"{record.host}). Wait for it, or stop it first."
        )
    if record.pipeline is None or not record.source:
        raise RunError(
            f"Run {record.id[:12]} cannot be resumed: it was not started from a "
            "pipeline defined in a file (ad-hoc and notebook runs have no source)."
        )
    pipeline = load_pipeline(record.source)
    config = dict(record.config)
    plan = pipeline.plan(
        params=config.get("parameters", {}),
        enable_cache=config.get("enable_cache", True),
        run_name=record.name,
        source=record.source,
        trigger=record.trigger,
    )
    return execute_plan(workspace, plan, on_event=on_event, resume=record)
