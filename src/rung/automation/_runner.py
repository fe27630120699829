"""Starting the run of a fired dispatch, exactly once.

The ledger entry is written (claiming its event) before the run starts, and
the run carries the entry's id as a tag. A run that failed to start marks the
entry ``error`` with the reason. If the agent is killed between the two, the
next leader finds the entry without a run: it looks for a run tagged with the
entry (started, but not yet linked) and starts one only if there is none.
A trigger with a ``retune`` policy whose runs keep losing to the champion
starts a round of re-tuning instead of its run (``_retune_policy``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from rung.automation._events import Event
from rung.automation._guards import RESTARTED, run_tags
from rung.errors import RungError

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from rung.automation.records import DispatchRecord, TriggerRecord
    from rung.pipelines import PipelineEvent
    from rung.workspace import Workspace

__all__ = ["recover_dispatch", "start_dispatch"]

_log = logging.getLogger("rung.automation")
_DISPATCH_TAG = "rung.trigger.dispatch"


def start_dispatch(
    workspace: Workspace,
    trigger: TriggerRecord,
    dispatch: DispatchRecord,
    event: Event,
    executor: Executor | None = None,
) -> None:
    """Start the dispatch's run (in ``executor``, or here and now)."""
    if executor is None:
        _run(workspace, trigger, dispatch, event)
    else:
        executor.submit(_run, workspace, trigger, dispatch, event)


def recover_dispatch(
    workspace: Workspace,
    dispatch: DispatchRecord,
    holder: str,
    executor: Executor | None = None,
) -> None:
    """Finish a firing a killed agent left without a run."""
    store = workspace.triggers
    found = _tagged_run(workspace, dispatch)
    if found is not None:
        store.update_dispatch(dispatch.id, {"run_id": found, "holder": holder})
        return
    try:
        trigger = store.get_trigger(workspace.project, dispatch.trigger)
    except LookupError:
        store.update_dispatch(
            dispatch.id, {"outcome": "error", "reason": "trigger deleted"}
        )
        return
    # The new holder on the entry tells the old one's executor, if it is
    # still alive after all, not to start it too (``_run``).
    claimed = store.update_dispatch(
        dispatch.id, {"holder": holder, "reason": RESTARTED}
    )
    chain = tuple(t for t in str(dispatch.evidence.get("_chain", "")).split(",") if t)
    start_dispatch(
        workspace,
        trigger,
        claimed,
        Event(dispatch.event_key or "", chain=chain),
        executor,
    )


def _run(
    workspace: Workspace,
    trigger: TriggerRecord,
    dispatch: DispatchRecord,
    event: Event,
) -> None:
    from rung.automation._retune_policy import retune_reason, run_retune
    from rung.pipelines import load_pipeline

    store = workspace.triggers
    current = _current(workspace, dispatch)
    if (
        current is None
        or current.outcome != "fired"
        or current.run_id is not None
        or current.holder != dispatch.holder
    ):
        # Deleted, started already, or taken over by another agent while
        # this one waited for a worker: it is not this agent's to start.
        return

    def link(progress: PipelineEvent) -> None:
        if progress.kind == "run_started":
            store.update_dispatch(dispatch.id, {"run_id": progress.run_id})

    try:
        reason = retune_reason(workspace, trigger)
        if reason is not None:
            run_retune(workspace, trigger, dispatch, event, reason)
            return
        pipeline = load_pipeline(trigger.pipeline)
        pipeline.run(
            params=dict(dispatch.params),
            workspace=workspace,
            tags=run_tags(trigger, dispatch.id, event),
            trigger=f"trigger:{trigger.name}",
            on_event=link,
        )
    except RungError as exc:
        _failed(workspace, dispatch, exc)
    except Exception as exc:  # the agent outlives any pipeline
        _log.warning("Run of trigger %s failed", trigger.name, exc_info=True)
        _failed(workspace, dispatch, exc)


def _failed(workspace: Workspace, dispatch: DispatchRecord, exc: BaseException) -> None:
    current = _current(workspace, dispatch)
    reason = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
    if current is not None and current.run_id is not None:
        # The run started and failed: the run records why; the ledger says so.
        workspace.triggers.update_dispatch(
            dispatch.id, {"reason": f"run failed: {reason}"}
        )
    else:
        workspace.triggers.update_dispatch(
            dispatch.id, {"outcome": "error", "reason": f"could not start: {reason}"}
        )


def _current(workspace: Workspace, dispatch: DispatchRecord) -> DispatchRecord | None:
    try:
        return workspace.triggers.get_dispatch(workspace.project, dispatch.id)
    except LookupError:
        return None


def _tagged_run(workspace: Workspace, dispatch: DispatchRecord) -> Any:
    for run in workspace.runs.list_runs(project=workspace.project, limit=500):
        if run.tags.get(_DISPATCH_TAG) == str(dispatch.id):
            return run.id
    return None
