"""Which run (and step run) the current code logs into."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rung.workspace import Workspace

__all__ = ["RunScope", "current_scope", "scoped"]


@dataclass(frozen=True, slots=True)
class RunScope:
    """The run a ``log_*`` call writes to, and the step if inside a step.

    Attributes:
        workspace: where records go.
        run_id: the run.
        step_run_id: the step run, inside a pipeline step.
        step: the step's name in the pipeline, inside a step.
        labels: the step's labels (e.g. its region), inside a step.
    """

    workspace: Workspace
    run_id: str
    step_run_id: str | None = None
    step: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)


_scope: contextvars.ContextVar[RunScope | None] = contextvars.ContextVar(
    "rung_run_scope", default=None
)


def current_scope() -> RunScope | None:
    """Return the active scope, or None outside any run."""
    return _scope.get()


@contextmanager
def scoped(scope: RunScope) -> Iterator[RunScope]:
    """Make ``scope`` the active one inside the ``with`` block."""
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)
