"""The ``Orchestrator`` protocol: where step tasks execute.

The run engine decides what runs when; an orchestrator only executes a
submitted callable somewhere (a local thread, a Ray worker) and returns a
future. A new backend is one class with these three members.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any, Protocol, TypeVar, runtime_checkable

__all__ = ["Orchestrator"]

T = TypeVar("T")


@runtime_checkable
class Orchestrator(Protocol):
    """Executes step tasks and hands back futures.

    An orchestrator whose steps run in the engine's own process may also set
    ``runs_lone_steps_inline = True``: the engine then runs a step that is
    the only one ready while none runs (a chain's steps) on its own thread.
    """

    name: str

    def submit(
        self,
        fn: Callable[..., T],
        /,
        *args: Any,
        resources: Mapping[str, float] | None = None,
    ) -> Future[T]:
        """Start ``fn(*args)`` with the given resources (cpus, gpus, memory)."""
        ...

    def shutdown(self, *, cancel_pending: bool = False) -> None:
        """Stop accepting work and wait for running tasks to end."""
        ...
