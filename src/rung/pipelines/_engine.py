"""The run engine: schedules a DAG's nodes on an orchestrator and records the run."""

from __future__ import annotations

import contextvars
import logging
import os
import queue
import threading
from collections.abc import Mapping
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rung._internal.hashing import hash_json
from rung._internal.ids import new_id
from rung._internal.timeutil import now
from rung.artifacts import value_handoff
from rung.errors import RungError, StepFailedError
from rung.orchestrators import open_orchestrator
from rung.pipelines._capture import install_capture
from rung.pipelines._events import EventHook, PipelineEvent
from rung.pipelines._hooks import notify_run_listeners, plan_checks
from rung.pipelines._node import (
    NodeResult,
    NodeTask,
    execute_node,
    find_cache_hit,
    new_step_run,
    task_cache_key,
)
from rung.tracking import (
    Run,
    begin_run,
    code_version,
    end_run,
    host_name,
    installed_packages,
    known_provenance,
)
from rung.tracking._lifecycle import heartbeats

if TYPE_CHECKING:
    from rung.metadata import ArtifactRecord, RunRecord, StepFinish, StepRunRecord
    from rung.orchestrators import Orchestrator
    from rung.pipelines._dag import Dag
    from rung.tracking import CodeVersion
    from rung.workspace import Workspace

__all__ = ["ExecutionPlan", "execute_plan"]

_logger = logging.getLogger("rung.pipelines")


@dataclass(frozen=True, slots=True)
class ExecutionPlan:
    """A traced pipeline plus everything decided before it runs."""

    pipeline: str
    dag: Dag
    params: Mapping[str, Any]
    enable_cache: bool = True
    step_cache: Mapping[str, bool] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    run_name: str | None = None
    source: str | None = None
    source_folder: Path | None = None
    trigger: str = "manual"

    def config(self) -> dict[str, Any]:
        """What is stored with the run so it can be resumed."""
        return {
            "parameters": dict(self.params),
            "enable_cache": self.enable_cache,
            "step_cache": dict(self.step_cache),
            "steps": self.dag.describe(),
        }


def execute_plan(
    workspace: Workspace,
    plan: ExecutionPlan,
    *,
    on_event: EventHook | None = None,
    resume: RunRecord | None = None,
) -> Run:
    """Run a plan (or resume a failed run of it) and return the finished run.

    Every registered plan check (``add_plan_check``) runs first; one that
    raises refuses the run before anything is recorded.

    Raises:
        StepFailedError: a step's code raised; the run is recorded as failed.
        RungError: a step was refused (bad output type, missing artifact...).
        KeyboardInterrupt: the run is recorded as cancelled first.
    """
    for check in plan_checks():
        check(workspace, plan)
    provenance = _Provenance(plan.source_folder or Path.cwd())
    record = _reopen(workspace, resume) if resume else _begin(workspace, plan)
    # From here on the run is recorded and beating: whatever happens, it ends.
    orchestrator: Orchestrator | None = None
    try:
        notify_run_listeners(workspace, record, "running")
        orchestrator = open_orchestrator(
            workspace.options.orchestrator, max_workers=workspace.options.max_workers
        )
        scheduler = _Scheduler(workspace, plan, record, orchestrator, on_event)
        with install_capture(), value_handoff():
            scheduler.run()
        orchestrator.shutdown()
        failure = scheduler.failure
        status = "failed" if failure else "completed"
        error = _one_line(failure) if failure else None
        final = _finish(workspace, record, status, error, provenance)
    except BaseException as exc:
        if orchestrator is not None:
            orchestrator.shutdown(cancel_pending=True)
        _finish_after(exc, workspace, record, provenance)
        _tag_run(exc, record.id)
        raise
    scheduler.emit("run_finished", detail=final.status)
    if failure is not None:
        _tag_run(failure, record.id)
        raise failure
    return Run(workspace, record.id, record=final)


class _Scheduler:
    """Submits ready nodes, collects results, stops submitting on failure."""

    def __init__(
        self,
        workspace: Workspace,
        plan: ExecutionPlan,
        record: RunRecord,
        orchestrator: Orchestrator,
        on_event: EventHook | None,
    ) -> None:
        self.workspace = workspace
        self.plan = plan
        self.record = record
        self.orchestrator = orchestrator
        self.on_event = on_event
        self.done: dict[str, dict[str, ArtifactRecord]] = {}
        self.cache_hits: list[StepRunRecord] = []
        # Ends of completed steps, stored with the next write of step runs.
        self.finished: list[StepFinish] = []
        self.failure: BaseException | None = None
        self.external = _store_constants(workspace, plan.dag)
        self._inline = bool(getattr(orchestrator, "runs_lone_steps_inline", False))
        self._upstream = {name: node.upstream for name, node in plan.dag.nodes.items()}

    def emit(
        self, kind: Any, step: str | None = None, detail: str | None = None
    ) -> None:
        if self.on_event is not None:
            event = PipelineEvent(
                kind,
                self.record.id,
                self.record.name,
                step,
                len(self.done),
                len(self.plan.dag),
                detail,
            )
            self.on_event(event)

    def run(self) -> None:
        dag = self.plan.dag
        self.done.update(_reusable(self.workspace, self.record, dag))
        self.emit("run_started")
        for name in self.done:
            self.emit("step_reused", name)
        pending = [name for name in dag.nodes if name not in self.done]
        running: dict[Future[NodeResult], str] = {}
        try:
            while pending or running:
                self._start_ready(pending, running)
                if not running:
                    break
                finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in finished:
                    self._collect(running.pop(future), future)
            self._store_finished(self.failure)
        except BaseException as exc:
            self._drain(running)
            self._store_finished(exc)
            self._record_cache_hits(exc)
            raise
        self._record_cache_hits(self.failure)
        for name in pending:
            self.emit("step_skipped", name)

    def _drain(self, running: dict[Future[NodeResult], str]) -> None:
        """After an interruption: drop queued steps, wait for running ones, and
        keep the ends of those that complete, so that they are stored as
        completed (a step that fails stores its failure itself)."""
        for future in running:
            future.cancel()
        for future in running:
            if future.cancelled():
                continue
            try:
                result = future.result()
            except Exception:  # noqa: S112 - recorded by the step itself
                continue
            if result.finish is not None:
                self.finished.append(result.finish)

    def _store_finished(self, original: BaseException | None = None) -> None:
        """Store the ends of completed steps not stored yet (scheduling ends).

        With ``original`` (scheduling was interrupted), a failure to store
        them is noted on it, never raised over it.
        """
        finished, self.finished = self.finished, []
        try:
            self.workspace.runs.advance_step_runs(finished, [])
        except Exception as exc:
            if original is None:
                raise
            _logger.warning(
                "Could not record completed steps of run %s after it failed",
                self.record.id,
                exc_info=True,
            )
            original.add_note(f"Recording completed steps failed too: {_one_line(exc)}")

    def _record_cache_hits(self, original: BaseException | None) -> None:
        """Record the run's cache hits; never let that hide an earlier error.

        Cache hits are recorded together: one transaction per run. A run
        killed before this point simply finds the same hits on resume.
        """
        try:
            self.workspace.runs.record_cache_hits(self.cache_hits)
        except Exception as exc:
            if original is None:
                raise
            _logger.warning(
                "Could not record the cache hits of run %s after it failed",
                self.record.id,
                exc_info=True,
            )
            original.add_note(f"Recording the cache hits failed too: {_one_line(exc)}")

    def _start_ready(
        self, pending: list[str], running: dict[Future[NodeResult], str]
    ) -> None:
        """Start every ready node: answer cache hits here, submit the rest.

        The ends of the steps that completed since the last pass are stored
        now, before any step starts: a completed step is on record before a
        step that reads its outputs runs (what ``resume`` relies on). When a
        single step starts and none is running (a chain), the engine stores
        its ``running`` step run in that same write, so the step costs one
        write less; otherwise each step stores its own start, when a worker
        picks it up (a step still queued when a run is interrupted leaves no
        record, as before).
        """
        starting: list[tuple[str, NodeTask]] = []
        ready = self._ready(pending)
        while ready and self.failure is None:
            for name in ready:
                pending.remove(name)
                task = self._task(name)
                self.emit("step_started", name)
                try:
                    # One key per task: fingerprints (datasets, files) cost I/O.
                    task = replace(task, cache_key=task_cache_key(self.workspace, task))
                    hit = find_cache_hit(self.workspace, task)
                except Exception as exc:
                    self._fail(name, exc)
                    break
                if hit is not None:
                    self._succeed(name, hit)
                else:
                    starting.append((name, task))
            ready = self._ready(pending)
        started: list[StepRunRecord] = []
        if len(starting) == 1 and not running:
            name, task = starting[0]
            task = replace(task, step_run_id=new_id())
            starting[0] = (name, task)
            started.append(
                new_step_run(task, str(task.step_run_id), str(task.cache_key))
            )
        finished, self.finished = self.finished, []
        try:
            if finished or started:
                self.workspace.runs.advance_step_runs(finished, started)
        except Exception as exc:
            # Nothing was stored: the ends are tried again when scheduling
            # ends; the steps that could not start fail the run.
            self.finished = finished + self.finished
            for name, _task in starting:
                self._fail(name, exc)
            return
        if len(starting) == 1 and not running and self._inline:
            name, task = starting[0]
            running[self._run_inline(task)] = name
            return
        for name, task in starting:
            running[self._submit(name, task)] = name

    def _ready(self, pending: list[str]) -> list[str]:
        """The pending nodes whose upstream nodes are all done."""
        done = self.done
        return [n for n in pending if all(u in done for u in self._upstream[n])]

    def _run_inline(self, task: NodeTask) -> Future[NodeResult]:
        """Run a lone step on this thread (orchestrators that allow it);
        its result or error comes back as a finished future, as from a pool.
        An interruption (KeyboardInterrupt) stops the step and propagates."""
        future: Future[NodeResult] = Future()
        context = contextvars.copy_context()  # as a pool thread would get
        try:
            future.set_result(context.run(execute_node, self.workspace, task))
        except Exception as exc:
            future.set_exception(exc)
        return future

    def _task(self, name: str) -> NodeTask:
        node = self.plan.dag.nodes[name]
        inputs = {
            arg: self.done[ref.node][ref.output] for arg, ref in node.inputs.items()
        }
        inputs.update(self.external.get(name, {}))
        pickled = frozenset(
            arg
            for arg, ref in node.inputs.items()
            if self.plan.dag.nodes[ref.node].step.allow_pickle
        )
        use_cache = self.plan.enable_cache and self.plan.step_cache.get(name, True)
        return NodeTask(
            self.record.id, self.record.attempt, node, inputs, use_cache, pickled
        )

    def _submit(self, name: str, task: NodeTask) -> Future[NodeResult]:
        return self.orchestrator.submit(
            execute_node, self.workspace, task, resources=task.node.step.resources
        )

    def _collect(self, name: str, future: Future[NodeResult]) -> None:
        try:
            result = future.result()
        except Exception as exc:
            self._fail(name, exc)
            return
        self._succeed(name, result)

    def _succeed(self, name: str, result: NodeResult) -> None:
        self.done[name] = result.outputs
        if result.finish is not None:
            self.finished.append(result.finish)
        if result.cache_hit is not None:
            self.cache_hits.append(result.cache_hit)
            self.emit("step_cached", name, result.cached_from)
        else:
            self.emit("step_completed", name)

    def _fail(self, name: str, exc: Exception) -> None:
        self.failure = self.failure or exc
        self.emit("step_failed", name, _one_line(exc))


def _store_constants(
    workspace: Workspace, dag: Dag
) -> dict[str, dict[str, ArtifactRecord]]:
    stored: dict[str, dict[str, ArtifactRecord]] = {}
    for name, node in dag.nodes.items():
        if node.values:
            records = {arg: workspace.put_artifact(v) for arg, v in node.values.items()}
            stored[name] = records
    return stored


def _reusable(
    workspace: Workspace, record: RunRecord, dag: Dag
) -> dict[str, dict[str, ArtifactRecord]]:
    if record.attempt <= 1:
        return {}
    latest = {sr.name: sr for sr in workspace.runs.list_step_runs(record.id)}
    reused: dict[str, dict[str, ArtifactRecord]] = {}
    for name, node in dag.nodes.items():
        step_run = latest.get(name)
        if step_run is None or step_run.status not in ("completed", "cached"):
            continue
        if not node.upstream <= set(reused):
            continue
        if set(step_run.outputs) != set(node.step.output_names):
            continue
        records = {
            o: workspace.runs.get_artifact(a) for o, a in step_run.outputs.items()
        }
        if all(workspace.has_content(r) for r in records.values()):
            reused[name] = records
    return reused


def _begin(workspace: Workspace, plan: ExecutionPlan) -> RunRecord:
    source_hash = hash_json(
        sorted({n.step.source_hash for n in plan.dag.nodes.values()})
    )
    return begin_run(
        workspace,
        name=plan.run_name,
        pipeline=plan.pipeline,
        params=plan.params,
        tags=plan.tags,
        source=plan.source,
        config=plan.config(),
        source_hash=source_hash,
        orchestrator=workspace.options.orchestrator,
        trigger=plan.trigger,
    )


def _reopen(workspace: Workspace, record: RunRecord) -> RunRecord:
    reopened = workspace.runs.update_run(
        record.id,
        {
            "status": "running",
            "attempt": record.attempt + 1,
            "ended_at": None,
            "error": None,
            "heartbeat_at": now(),
            "host": host_name(),
            "pid": os.getpid(),
        },
    )
    heartbeats.add(workspace, record.id)
    return reopened


class _Provenance:
    """Collects git state and the package lock in the background.

    Outside any git repository, once the packages were read, both are at
    hand and taken at once: waking a worker costs more than that (the woken
    thread takes the GIL from the run's own, a few hundred microseconds on a
    busy machine). Otherwise on long-lived daemon threads: starting a thread
    per run waits for the new thread to be scheduled, which on a busy machine
    cost more than a run of small steps. A run hands its request to an idle
    worker, or starts one when all are busy (concurrent runs each get theirs,
    up to a cap).
    """

    _MAX_WORKERS = 8
    _lock = threading.Lock()
    _queue: queue.SimpleQueue[_Provenance] | None = None
    _pid = 0  # a forked child inherits the queue, not the threads
    _idle = 0
    _workers = 0

    def __init__(self, folder: Path) -> None:
        self.result: dict[str, Any] = {}
        self._folder = folder
        self._done = threading.Event()
        known = known_provenance(folder)
        if known is not None:
            self._keep(*known)
            self._done.set()
            return
        cls = type(self)
        with cls._lock:
            if cls._queue is None or cls._pid != os.getpid():
                cls._queue, cls._pid = queue.SimpleQueue(), os.getpid()
                cls._idle = cls._workers = 0
            if cls._idle > 0:
                cls._idle -= 1  # that worker takes this request
            elif cls._workers < cls._MAX_WORKERS:
                cls._workers += 1
                threading.Thread(
                    target=cls._serve,
                    args=(cls._queue,),
                    name="rung-provenance",
                    daemon=True,
                ).start()
            cls._queue.put(self)

    @classmethod
    def _serve(cls, requests: queue.SimpleQueue[_Provenance]) -> None:
        while True:
            request = requests.get()
            try:
                request._collect(request._folder)
            except Exception:  # a run is never failed by its provenance
                _logger.debug("Could not collect provenance", exc_info=True)
            finally:
                request._done.set()
                with cls._lock:
                    if requests is cls._queue:
                        cls._idle += 1

    def _collect(self, folder: Path) -> None:
        self._keep(code_version(folder), *installed_packages())

    def _keep(
        self, version: CodeVersion, env_hash: str, packages: dict[str, str]
    ) -> None:
        self.result = {
            "git_commit": version.commit,
            "git_dirty": version.dirty,
            "environment_hash": env_hash,
            "_packages": packages,
        }

    def changes(self, workspace: Workspace) -> dict[str, Any]:
        self._done.wait(timeout=10)
        result = dict(self.result)
        packages = result.pop("_packages", None)
        # Which locks this workspace already holds: a set of its own, so two
        # workspaces (two in-memory ones included) never share the answer.
        stored: set[str] = workspace.attach("pipelines.stored_environments", set)
        env_hash = result.get("environment_hash")
        if packages is not None and env_hash and env_hash not in stored:
            workspace.runs.put_environment(env_hash, packages)
            stored.add(env_hash)
        return result


# (metadata URL, environment hash) pairs this process already stored.


def _finish(
    workspace: Workspace,
    record: RunRecord,
    status: str,
    error: str | None,
    provenance: _Provenance,
) -> RunRecord:
    # A first attempt that completed stored the end of every step it started;
    # otherwise steps of this or an earlier attempt may still read running.
    abandon = record.attempt > 1 or status != "completed"
    final = end_run(
        workspace,
        record.id,
        status,
        error,
        provenance.changes(workspace),
        abandon=abandon,
    )
    notify_run_listeners(workspace, final, final.status)
    return final


def _finish_after(
    exc: BaseException,
    workspace: Workspace,
    record: RunRecord,
    provenance: _Provenance,
) -> None:
    """End a run that ``exc`` interrupted; an error doing so never hides ``exc``."""
    if isinstance(exc, KeyboardInterrupt):
        status, error = "cancelled", "Interrupted by the user."
    else:
        status, error = "failed", _one_line(exc)
    try:
        _finish(workspace, record, status, error, provenance)
    except Exception as secondary:
        heartbeats.discard(workspace, record.id)
        _logger.warning(
            "Could not record run %s as %s", record.id, status, exc_info=True
        )
        exc.add_note(
            f"Recording the run as {status} failed too: {_one_line(secondary)}"
        )


def _tag_run(exc: BaseException, run_id: str) -> None:
    """Let callers find the run an error ended (``exc.run_id``)."""
    if getattr(exc, "run_id", None) is None:
        try:
            exc.run_id = run_id  # type: ignore[attr-defined]
        except AttributeError:
            pass


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, StepFailedError | RungError):
        text = str(exc)
    else:
        text = f"{type(exc).__name__}: {exc}"
    return " ".join(line.strip() for line in text.splitlines() if line.strip())
