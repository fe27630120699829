"""Extension points other domains plug into, without pipelines importing them.

- **Input resolvers**: an object passed as a step argument inside a pipeline
  that has ``rung_fingerprint``, ``rung_resolve`` and ``rung_describe`` methods
  (for example a catalog dataset reference) is resolved when the step runs,
  instead of being stored as a constant.
- **Plan checks**: callables run on every plan before anything is recorded
  (for example residency policies); raising a ``RungError`` refuses the run.
- **Run listeners**: callables told when a run starts and when it finishes
  (for example OpenLineage emitters); they never fail a run.
- **Step input checks**: callables run in a step after its inputs are loaded
  and before its code runs (for example egress policies); raising a
  ``RungError`` stops the step, which is recorded as failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from rung._internal.hooks import HookList, resolve

if TYPE_CHECKING:
    from rung.metadata import ArtifactRecord, RunRecord
    from rung.pipelines._dag import Node
    from rung.pipelines._engine import ExecutionPlan
    from rung.workspace import Workspace

__all__ = [
    "InputResolver",
    "PlanCheck",
    "RunListener",
    "StepContext",
    "StepInputCheck",
    "StepInputs",
    "add_plan_check",
    "add_run_listener",
    "add_step_input_check",
    "is_resolver",
    "notify_run_listeners",
    "plan_checks",
    "remove_plan_check",
    "remove_run_listener",
    "remove_step_input_check",
    "step_input_checks",
]


@dataclass(frozen=True, slots=True)
class StepContext:
    """Where a step input is being resolved.

    Attributes:
        workspace: the run's workspace.
        run_id: the run.
        step: the node's name in the pipeline.
        labels: the step's labels (e.g. ``{"region": "CA"}``).
        step_run_id: the step run (None while computing cache keys).
    """

    workspace: Workspace
    run_id: str
    step: str
    labels: Mapping[str, str] = field(default_factory=dict)
    step_run_id: str | None = None


@runtime_checkable
class InputResolver(Protocol):
    """A step argument whose value is produced when the step runs."""

    def rung_fingerprint(self, context: StepContext) -> str:
        """A string that changes whenever the resolved value would (cache key)."""
        ...

    def rung_resolve(self, context: StepContext) -> Any:
        """The value to pass to the step (may record lineage)."""
        ...

    def rung_describe(self) -> dict[str, Any]:
        """A JSON-able description (stored with the run, read by policy checks)."""
        ...


def is_resolver(value: Any) -> bool:
    """True when ``value`` implements :class:`InputResolver`."""
    return not isinstance(value, type) and isinstance(value, InputResolver)


PlanCheck = Callable[["Workspace", "ExecutionPlan"], None]

_plan_checks: HookList[PlanCheck] = HookList("rung.plan_checks")


def add_plan_check(check: PlanCheck | str) -> None:
    """Run ``check(workspace, plan)`` before every run (``"module:function"`` is
    imported on first use). Adding the same check twice has no effect."""
    _plan_checks.add(check)


def remove_plan_check(check: PlanCheck | str) -> None:
    """Stop running ``check``."""
    _plan_checks.remove(check)


def plan_checks() -> list[PlanCheck]:
    """The registered checks, imported."""
    return _plan_checks.resolved()


RunListener = Callable[["Workspace", "RunRecord", str], None]
"""``listener(workspace, run, status)``: status is ``running`` at the start,
then the final one (``completed``, ``failed``, ``cancelled``)."""

_logger = logging.getLogger("rung.pipelines")
_listeners: HookList[RunListener] = HookList("rung.run_listeners")


def add_run_listener(listener: RunListener | str) -> None:
    """Call ``listener(workspace, run, status)`` when a run starts and finishes.

    ``"module:function"`` is imported on first use. Adding the same listener
    twice has no effect. A listener that raises is logged, never fatal.

    Example:
        >>> add_run_listener("rung.catalog:openlineage_listener")  # doctest: +SKIP
    """
    _listeners.add(listener)


def remove_run_listener(listener: RunListener | str) -> None:
    """Stop calling ``listener``."""
    _listeners.remove(listener)


def notify_run_listeners(workspace: Workspace, run: RunRecord, status: str) -> None:
    """Call every run listener; log (and swallow) whatever they raise."""
    for entry in _listeners.entries():
        try:
            listener = resolve(entry) if isinstance(entry, str) else entry
            listener(workspace, run, status)  # type: ignore[operator]
        except Exception:  # a listener must never fail the run
            _logger.warning(
                "Run listener %r failed for run %s", entry, run.id, exc_info=True
            )


@dataclass(frozen=True, slots=True)
class StepInputs:
    """What a step is about to receive, for step input checks.

    Attributes:
        context: the step, its run, labels and step run.
        node: the DAG node (its resolvers describe their inputs).
        artifacts: argument name -> the artifact it was loaded from.
        values: argument name -> the loaded or resolved value.
    """

    context: StepContext
    node: Node
    artifacts: Mapping[str, ArtifactRecord]
    values: Mapping[str, Any]


StepInputCheck = Callable[[StepInputs], None]

_input_checks: HookList[StepInputCheck] = HookList("rung.step_input_checks")


def add_step_input_check(check: StepInputCheck | str) -> None:
    """Run ``check(inputs)`` in every step before its code runs.

    ``"module:function"`` is imported on first use. Adding the same check twice
    has no effect. A check raises a ``RungError`` to stop the step. Cached steps
    run no code, so they are not checked.

    Example:
        >>> add_step_input_check("rung.governance:check_step_inputs")  # doctest: +SKIP
    """
    _input_checks.add(check)


def remove_step_input_check(check: StepInputCheck | str) -> None:
    """Stop running ``check``."""
    _input_checks.remove(check)


def step_input_checks() -> list[StepInputCheck]:
    """The registered step input checks, imported."""
    return _input_checks.resolved()
