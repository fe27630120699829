"""Executing one DAG node: cache lookup, inputs, user code, outputs, records."""

from __future__ import annotations

import inspect
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from rung._internal.hashing import hash_json
from rung._internal.ids import new_id
from rung._internal.timeutil import now
from rung.errors import PipelineDefinitionError, RungError, StepFailedError
from rung.pipelines._capture import Captured, capture_step
from rung.pipelines._hooks import StepContext, StepInputs, step_input_checks
from rung.pipelines._paths import path_fingerprints
from rung.tracking import RunScope, buffer_for, scoped
from rung.workspace import ArtifactRead

if TYPE_CHECKING:
    from rung.metadata import ArtifactRecord, StepFinish, StepRunRecord
    from rung.pipelines._dag import Node
    from rung.workspace import Workspace

__all__ = [
    "NodeResult",
    "NodeTask",
    "cache_key",
    "execute_node",
    "find_cache_hit",
    "new_step_run",
    "task_cache_key",
]

_CACHE_SCHEME = 1


@dataclass(frozen=True, slots=True)
class NodeTask:
    """Everything needed to execute one node (self-contained, for any worker)."""

    run_id: str
    attempt: int
    node: Node
    inputs: Mapping[str, ArtifactRecord]
    use_cache: bool
    pickled_inputs: frozenset[str] = frozenset()
    cache_key: str | None = None
    #: Set when the engine already stored the ``running`` step run: it then
    #: also stores its end (the result's ``finish``), with its next write.
    step_run_id: str | None = None


@dataclass(frozen=True, slots=True)
class NodeResult:
    """What a node produced: output name -> artifact, and whether from cache.

    Attributes:
        outputs: output name -> artifact.
        cached_from: the run whose outputs were reused, for a cache hit.
        cache_hit: the ``cached`` step run to record, for a cache hit (the
            engine writes a run's cache hits together, in one transaction).
        finish: the end of the step run to record, when the engine stored
            its start (``NodeTask.step_run_id``); None when already recorded.
    """

    outputs: dict[str, ArtifactRecord]
    cached_from: str | None = None
    cache_hit: StepRunRecord | None = None
    finish: StepFinish | None = None


def cache_key(
    node: Node,
    inputs: Mapping[str, ArtifactRecord],
    resolved: Mapping[str, str] | None = None,
) -> str:
    """SHA-256 over the step's source, inputs, parameters and formats.

    ``resolved`` holds the fingerprints of inputs resolved at run time
    (dataset versions, the content of files named by path...), so a new
    version of such an input misses the cache.
    """
    return hash_json(
        {
            "scheme": _CACHE_SCHEME,
            "source": node.step.source_hash,
            "inputs": {name: record.id for name, record in sorted(inputs.items())},
            "resolved": dict(sorted((resolved or {}).items())),
            "params": node.params,
            "outputs": list(node.step.output_names),
            "materializers": node.step.materializers,
            "pickle": node.step.allow_pickle,
            "formats": _formats_fingerprint(),
        }
    )


def task_cache_key(workspace: Workspace, task: NodeTask) -> str:
    """The task's cache key (resolvers fingerprint their inputs first)."""
    if task.cache_key is not None:
        return task.cache_key
    context = StepContext(workspace, task.run_id, task.node.name, task.node.step.labels)
    fingerprints = {
        arg: resolver.rung_fingerprint(context)
        for arg, resolver in task.node.resolvers.items()
    }
    # Arguments naming local files or folders: their content, not just the name.
    fingerprints.update(path_fingerprints(workspace, task.node.params))
    return cache_key(task.node, task.inputs, fingerprints)


def find_cache_hit(workspace: Workspace, task: NodeTask) -> NodeResult | None:
    """The reusable outputs of an earlier run of the same task, if caching allows.

    Writes nothing: the result's ``cache_hit`` record is for the engine to store.
    """
    if not (task.use_cache and task.node.step.cache):
        return None
    return _from_cache(workspace, task, task_cache_key(workspace, task))


def execute_node(workspace: Workspace, task: NodeTask) -> NodeResult:
    """Run one node in the current thread and record it (no cache lookup:
    the engine calls :func:`find_cache_hit` first).

    Without ``task.step_run_id`` the step run is stored here, running, then
    finished. With it (the engine stored the running step run), its end is
    returned as the result's ``finish`` for the engine to store; a failure
    is still stored here, at once.

    Raises:
        StepFailedError: the user's code raised (chained with ``from``).
        RungError: Rung refused something (bad output, unknown artifact...).
    """
    from rung.metadata import StepFinish

    key = task_cache_key(workspace, task)
    context = StepContext(workspace, task.run_id, task.node.name, task.node.step.labels)
    step_run_id = task.step_run_id
    if step_run_id is None:
        step_run_id = new_id()
        workspace.runs.create_step_run(new_step_run(task, step_run_id, key))
    captured = Captured()
    try:
        values = _load_inputs(workspace, task)
        context = replace(context, step_run_id=step_run_id)
        for arg, resolver in task.node.resolvers.items():
            values[arg] = resolver.rung_resolve(context)
        for check in step_input_checks():  # e.g. egress policies; raise to stop
            check(StepInputs(context, task.node, task.inputs, values))
        scope = RunScope(
            workspace, task.run_id, step_run_id, task.node.name, task.node.step.labels
        )
        with scoped(scope), capture_step() as captured:
            result = _call_user_code(task, values, step_run_id)
        records = _store_outputs(workspace, task.node, result)
        buffer_for(workspace).flush()
    except BaseException as exc:
        _record_failure(workspace, step_run_id, captured, exc)
        raise
    finish = StepFinish(
        step_run_id,
        {
            "status": "completed",
            "ended_at": now(),
            "outputs": {name: r.id for name, r in records.items()},
            "cpu_seconds": captured.cpu_seconds,
            "peak_memory_bytes": captured.peak_memory_bytes,
            "stdout": captured.text("stdout"),
            "stderr": captured.text("stderr"),
        },
        tuple(records.values()),
    )
    if task.step_run_id is not None:
        return NodeResult(records, finish=finish)
    workspace.runs.finish_step_run(
        step_run_id, finish.changes, artifacts=list(finish.artifacts)
    )
    return NodeResult(records)


def new_step_run(
    task: NodeTask, step_run_id: str, key: str, **extra: Any
) -> StepRunRecord:
    """The step run record of ``task``: ``running`` now, unless ``extra`` says."""
    from rung.metadata import StepRunRecord

    fields: dict[str, Any] = {
        "id": step_run_id,
        "run_id": task.run_id,
        "name": task.node.name,
        "status": "running",
        "started_at": now(),
        "attempt": task.attempt,
        "cache_key": key,
        "source_hash": task.node.step.source_hash,
        "params": dict(task.node.params),
        "inputs": {name: record.id for name, record in task.inputs.items()},
    }
    fields.update(extra)
    return StepRunRecord(**fields)


def _from_cache(workspace: Workspace, task: NodeTask, key: str) -> NodeResult | None:
    started = now()
    source = workspace.runs.find_cached_step_run(key)
    if source is None or set(source.outputs) != set(task.node.step.output_names):
        return None
    records = {n: workspace.runs.get_artifact(a) for n, a in source.outputs.items()}
    if not all(workspace.has_content(r) for r in records.values()):
        return None
    # Recorded later with the run's other hits, metrics of the source included
    # (so a cached run still shows e.g. its accuracy).
    hit = new_step_run(
        task,
        new_id(),
        key,
        status="cached",
        cached_from=source.id,
        started_at=started,
        ended_at=now(),
        outputs={n: r.id for n, r in records.items()},
    )
    return NodeResult(records, cached_from=source.run_id, cache_hit=hit)


def _load_inputs(workspace: Workspace, task: NodeTask) -> dict[str, Any]:
    # Judged as a whole by the step input checks, before the step's code runs.
    read = ArtifactRead("step_input")
    values: dict[str, Any] = {}
    for name, record in task.inputs.items():
        trusted = task.node.step.allow_pickle or name in task.pickled_inputs
        values[name] = workspace.load_artifact(record, allow_pickle=trusted, read=read)
    return values


def _call_user_code(task: NodeTask, values: Mapping[str, Any], step_run_id: str) -> Any:
    node = task.node
    arguments = {**node.params, **node.values, **values}
    bound = inspect.BoundArguments(
        node.step.signature,
        {
            name: arguments[name]
            for name in node.step.signature.parameters
            if name in arguments
        },
    )
    try:
        return node.step.func(*bound.args, **bound.kwargs)
    except RungError:
        raise
    except Exception as exc:
        raise StepFailedError(
            node.name,
            task.run_id,
            f"Step {node.name!r} failed in run {task.run_id[:12]}: "
            f"{type(exc).__name__}: {exc}",
        ) from exc


def _store_outputs(
    workspace: Workspace, node: Node, result: Any
) -> dict[str, ArtifactRecord]:
    names = node.step.output_names
    if not names:
        return {}
    if len(names) == 1:
        values = {names[0]: result}
    else:
        if not isinstance(result, tuple) or len(result) != len(names):
            got = (
                f"a tuple of {len(result)}"
                if isinstance(result, tuple)
                else type(result).__name__
            )
            raise PipelineDefinitionError(
                f"Step {node.name!r} declares {len(names)} outputs {list(names)} but "
                f"returned {got}. Return a tuple with one value per output."
            )
        values = dict(zip(names, result, strict=True))
    return {
        name: workspace.store_value(
            value,
            allow_pickle=node.step.allow_pickle,
            materializer=node.step.materializers.get(name),
        )
        for name, value in values.items()
    }


def _record_failure(
    workspace: Workspace, step_run_id: str, captured: Captured, exc: BaseException
) -> None:
    cause = exc.__cause__ if isinstance(exc, StepFailedError) and exc.__cause__ else exc
    status = "failed"
    message = f"{type(cause).__name__}: {cause}"
    if isinstance(exc, KeyboardInterrupt):
        message = "Interrupted by the user."
    text = "".join(traceback.format_exception(cause))
    try:
        workspace.runs.finish_step_run(
            step_run_id,
            {
                "status": status,
                "ended_at": now(),
                "error": message,
                "traceback": text,
                "cpu_seconds": captured.cpu_seconds,
                "peak_memory_bytes": captured.peak_memory_bytes,
                "stdout": captured.text("stdout"),
                "stderr": captured.text("stderr"),
            },
        )
    except RungError:
        pass  # the run is marked failed by the engine either way


def _formats_fingerprint() -> str:
    from rung.artifacts import materializer_fingerprint

    return materializer_fingerprint()
