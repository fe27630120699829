"""Extension points other domains plug into, without pipelines importing them.

- **Input resolvers**: an object passed as a step argument inside a pipeline
  that has ``rung_fingerprint``, ``rung_resolve`` and ``rung_describe`` methods
  (for example a catalog dataset reference) is resolved when the step runs,
  instead of being stored as a constant.
- **Plan checks**: callables run on every plan before anything is recorded
  (for example residency policies); raising a ``RungError`` refuses the run.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from rung.pipelines._engine import ExecutionPlan
    from rung.workspace import Workspace

__all__ = [
    "InputResolver",
    "PlanCheck",
    "StepContext",
    "add_plan_check",
    "is_resolver",
    "plan_checks",
    "remove_plan_check",
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

_lock = threading.Lock()
_checks: list[PlanCheck | str] = []


def add_plan_check(check: PlanCheck | str) -> None:
    """Run ``check(workspace, plan)`` before every run (``"module:function"`` is
    imported on first use). Adding the same check twice has no effect."""
    with _lock:
        if check not in _checks:
            _checks.append(check)


def remove_plan_check(check: PlanCheck | str) -> None:
    """Stop running ``check``."""
    with _lock:
        if check in _checks:
            _checks.remove(check)


def plan_checks() -> list[PlanCheck]:
    """The registered checks, imported."""
    with _lock:
        registered = list(_checks)
    resolved: list[PlanCheck] = []
    for check in registered:
        if isinstance(check, str):
            module, _, attr = check.partition(":")
            resolved.append(getattr(importlib.import_module(module), attr))
        else:
            resolved.append(check)
    return resolved
