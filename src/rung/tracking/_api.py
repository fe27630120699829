"""``log_metric`` and friends, inside a step, a ``start_run`` block, or anywhere.

Outside any run (a notebook or a script), the first ``log_*`` call opens an
ad-hoc run in the default workspace; it completes when the process exits.
"""

from __future__ import annotations

import atexit
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from rung._internal import defaults
from rung.tracking._buffer import buffer_for, flush_all
from rung.tracking._context import RunScope, current_scope, scoped
from rung.tracking._lifecycle import begin_run, end_run
from rung.tracking._run import Run

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from rung.workspace import Workspace

__all__ = [
    "ActiveRun",
    "flush",
    "log_metric",
    "log_metrics",
    "log_params",
    "set_tags",
    "start_run",
]

_implicit_lock = threading.Lock()
_implicit: ActiveRun | None = None


class ActiveRun(Run):
    """A run opened by :func:`start_run`; a context manager that ends it.

    Leaving the block normally completes the run; an exception fails it
    (KeyboardInterrupt cancels it) and propagates.
    """

    def __init__(self, workspace: Workspace, run_id: str) -> None:
        super().__init__(workspace, run_id)
        self._scope_cm: AbstractContextManager[RunScope] | None = None
        self._ended = False

    def __enter__(self) -> ActiveRun:
        self._scope_cm = scoped(RunScope(self.workspace, self.id))
        self._scope_cm.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._scope_cm is not None:
            self._scope_cm.__exit__(exc_type, exc, tb)
            self._scope_cm = None
        if exc_type is None:
            self.end("completed")
        elif issubclass(exc_type, KeyboardInterrupt):
            self.end("cancelled", "Interrupted by the user.")
        else:
            self.end("failed", f"{exc_type.__name__}: {exc}")

    def end(self, status: str = "completed", error: str | None = None) -> None:
        """End the run now (idempotent)."""
        if self._ended:
            return
        self._ended = True
        self._record = end_run(self.workspace, self.id, status, error)


def start_run(
    workspace: Workspace,
    name: str | None = None,
    *,
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, str] | None = None,
) -> ActiveRun:
    """Open an ad-hoc tracked run (no pipeline): use it as a context manager.

    ``rung.start_run(name)`` does the same in the default workspace.

    Args:
        workspace: where to record.
        name: a name for the run (default: ``run-<id>``).
        params: parameters to record at once.
        tags: tags to record at once.

    Returns:
        The run; ``log_*`` calls inside the ``with`` block write to it.

    Example:
        >>> import rung
        >>> with start_run(ws, "baseline", params={"C": 1.0}) as run:  # doctest: +SKIP
        ...     rung.log_metric("accuracy", 0.91)
    """
    record = begin_run(workspace, name=name, params=params, tags=tags)
    return ActiveRun(workspace, record.id)


def log_metric(key: str, value: float, step: int | None = None) -> None:
    """Log one metric value (durable at the end of the step/run or on flush).

    Args:
        key: the metric's name.
        value: a number.
        step: an optional iteration (epoch, batch) for curves.

    Example:
        >>> rung.log_metric("loss", 0.25, step=3)  # doctest: +SKIP
    """
    scope = _scope()
    buffer_for(scope.workspace).add(scope.run_id, key, value, step, scope.step_run_id)


def log_metrics(metrics: Mapping[str, float], step: int | None = None) -> None:
    """Log several metric values at once (one batch).

    Example:
        >>> rung.log_metrics({"accuracy": 0.93, "f1": 0.9})  # doctest: +SKIP
    """
    scope = _scope()
    buffer_for(scope.workspace).add_many(
        scope.run_id, dict(metrics), step, scope.step_run_id
    )


def log_params(params: Mapping[str, Any]) -> None:
    """Record parameters on the current run (merged with existing ones).

    Example:
        >>> rung.log_params({"C": 0.5, "penalty": "l2"})  # doctest: +SKIP
    """
    scope = _scope()
    scope.workspace.runs.update_run(scope.run_id, {"params": dict(params)})


def set_tags(tags: Mapping[str, Any]) -> None:
    """Set tags on the current run (values become strings).

    Example:
        >>> rung.set_tags({"team": "churn"})  # doctest: +SKIP
    """
    scope = _scope()
    as_text = {str(k): str(v) for k, v in tags.items()}
    scope.workspace.runs.update_run(scope.run_id, {"tags": as_text})


def flush() -> None:
    """Write every buffered metric value now."""
    flush_all()


def _scope() -> RunScope:
    scope = current_scope()
    if scope is not None:
        return scope
    return _implicit_run_scope()


def _implicit_run_scope() -> RunScope:
    global _implicit  # noqa: PLW0603 - one ad-hoc run per process
    with _implicit_lock:
        if _implicit is None:
            workspace = defaults.current_workspace()
            script = Path(sys.argv[0]).stem if sys.argv and sys.argv[0] else ""
            _implicit = start_run(workspace, script or "notebook")
            atexit.register(_end_implicit)
        return RunScope(_implicit.workspace, _implicit.id)


def _end_implicit() -> None:
    global _implicit
    with _implicit_lock:
        run, _implicit = _implicit, None
    if run is not None:
        run.end("completed")
