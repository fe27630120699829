"""Run lifecycle: create, heartbeat, finish, and detect runs whose process died."""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rung._internal.ids import new_id
from rung._internal.timeutil import now
from rung.tracking._provenance import host_name

if TYPE_CHECKING:
    from rung.metadata import RunRecord
    from rung.workspace import Workspace

__all__ = [
    "ABANDONED_STEP",
    "abandon_step_runs",
    "begin_run",
    "end_run",
    "heartbeats",
    "is_alive",
    "process_alive",
    "reap_stale_runs",
]


# Why a step run that was still ``running`` when its run ended is failed.
ABANDONED_STEP = "abandoned: the run's process ended before the step finished"


def begin_run(
    workspace: Workspace,
    *,
    name: str | None = None,
    pipeline: str | None = None,
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, str] | None = None,
    source: str | None = None,
    config: Mapping[str, Any] | None = None,
    source_hash: str | None = None,
    orchestrator: str = "local",
    trigger: str = "manual",
) -> RunRecord:
    """Insert a new running run and start its heartbeat."""
    from rung.metadata import RunRecord

    run_id = new_id()
    started = now()
    record = RunRecord(
        id=run_id,
        name=name or f"{pipeline or 'run'}-{run_id[:8]}",
        project=workspace.project,
        user=workspace.user,
        status="running",
        started_at=started,
        heartbeat_at=started,
        pipeline=pipeline,
        params=dict(params or {}),
        tags=dict(tags or {}),
        source=source,
        config=dict(config or {}),
        source_hash=source_hash,
        host=host_name(),
        pid=os.getpid(),
        orchestrator=orchestrator,
        trigger=trigger,
    )
    workspace.runs.create_run(record)
    heartbeats.add(workspace, run_id)
    return record


def end_run(
    workspace: Workspace,
    run_id: str,
    status: str,
    error: str | None = None,
    extra: Mapping[str, Any] | None = None,
    *,
    abandon: bool = True,
) -> RunRecord:
    """Flush the run's metrics, stop its heartbeat and store its final status.

    With ``abandon`` (the default), step runs still ``running`` are failed
    first (:func:`abandon_step_runs`); a caller that knows none can be (the
    engine ending a first attempt that completed) passes False.
    """
    from rung.tracking._buffer import buffer_for

    heartbeats.discard(workspace, run_id)
    buffer_for(workspace).flush()
    ended = now()
    if abandon:
        abandon_step_runs(workspace, run_id, ended)
    changes: dict[str, Any] = {"status": status, "ended_at": ended, "error": error}
    changes.update(extra or {})
    return workspace.runs.update_run(run_id, changes)


def abandon_step_runs(workspace: Workspace, run_id: str, ended_at: float) -> list[str]:
    """Fail the run's step runs still ``running``; return their ids.

    Called when a run ends: a step run still running then belongs to an
    attempt whose process died (killed, crashed) before the step finished, and
    would otherwise stay ``running`` forever, even after a resume completes.
    """
    abandoned: list[str] = []
    for step_run in workspace.runs.list_step_runs(run_id, status="running"):
        changes = {"status": "failed", "ended_at": ended_at, "error": ABANDONED_STEP}
        workspace.runs.finish_step_run(step_run.id, changes)
        abandoned.append(step_run.id)
    return abandoned


class _WorkspaceHeartbeat:
    """One daemon thread that stamps ``heartbeat_at`` on a workspace's live runs.

    Attached to its workspace (``ws.attach``): closing the workspace stops it.
    """

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._runs: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, run_id: str) -> None:
        with self._lock:
            self._runs.add(run_id)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="rung-heartbeat", daemon=True
                )
                self._thread.start()

    def discard(self, run_id: str) -> None:
        with self._lock:
            self._runs.discard(run_id)

    def __contains__(self, run_id: object) -> bool:
        with self._lock:
            return run_id in self._runs

    def close(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(self.workspace.options.heartbeat_interval):
            with self._lock:
                runs = list(self._runs)
            for run_id in runs:
                if run_id not in self:
                    continue
                try:
                    self.workspace.runs.update_run(run_id, {"heartbeat_at": now()})
                except Exception:  # noqa: S112 - a missed beat is retried
                    continue


class _Heartbeats:
    """Which runs this process keeps alive, whatever their workspace.

    The beating itself belongs to each workspace; this index only answers
    "is that run ours?" for liveness checks.
    """

    def __init__(self) -> None:
        self._beating: weakref.WeakSet[_WorkspaceHeartbeat] = weakref.WeakSet()
        self._lock = threading.Lock()

    def _of(self, workspace: Workspace) -> _WorkspaceHeartbeat:
        beat = workspace.attach(
            "tracking.heartbeat", lambda: _WorkspaceHeartbeat(workspace)
        )
        with self._lock:
            self._beating.add(beat)
        return beat

    def add(self, workspace: Workspace, run_id: str) -> None:
        self._of(workspace).add(run_id)

    def discard(self, workspace: Workspace, run_id: str) -> None:
        self._of(workspace).discard(run_id)

    def is_local(self, run_id: str) -> bool:
        with self._lock:
            beats = list(self._beating)
        return any(run_id in beat for beat in beats)


heartbeats = _Heartbeats()


def is_alive(run: RunRecord, stale_after: float) -> bool:
    """Decide whether a ``running`` run's process still lives.

    On this host the process id is checked (and its start time, against pid
    reuse); elsewhere the heartbeat must be younger than ``stale_after``.
    """
    if heartbeats.is_local(run.id):
        return True
    if run.host == host_name() and run.pid:
        return process_alive(run.pid, run.started_at)
    last = run.heartbeat_at or run.started_at
    return now() - last < stale_after


def reap_stale_runs(workspace: Workspace) -> list[str]:
    """Mark ``running`` runs whose process is gone as failed; return their ids."""
    reaped: list[str] = []
    for run in workspace.runs.list_runs(project=None, status="running", limit=None):
        if is_alive(run, workspace.options.stale_after):
            continue
        where = f"process {run.pid} on {run.host}" if run.pid else run.host
        reason = (
            f"The run's process ({where}) stopped without finishing the run "
            f"(killed or crashed). Resume it with `rung run --resume {run.id[:12]}`."
        )
        ended = run.heartbeat_at or run.started_at
        abandon_step_runs(workspace, run.id, ended)
        workspace.runs.update_run(
            run.id, {"status": "failed", "ended_at": ended, "error": reason}
        )
        reaped.append(run.id)
    return reaped


def process_alive(pid: int, started_at: float) -> bool:
    """True when process ``pid`` on this machine runs and predates ``started_at``
    (a newer process with the same id is a reused id, not the original)."""
    import psutil

    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        created = process.create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False
    return created <= started_at + 1.0
