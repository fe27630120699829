"""The local orchestrator: a thread pool in the current process."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["LocalOrchestrator"]

T = TypeVar("T")

# Pools outlive a run: starting threads for every run would cost more than a
# small pipeline's steps. One pool per size, created on first use.
_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _pool(size: int) -> ThreadPoolExecutor:
    with _pools_lock:
        pool = _pools.get(size)
        if pool is None:
            pool = _pools[size] = ThreadPoolExecutor(
                max_workers=size, thread_name_prefix=f"rung-step-{size}"
            )
        return pool


class LocalOrchestrator:
    """Runs independent steps in parallel on a pool of threads.

    Threads suit ML steps well: NumPy, pandas, Arrow and scikit-learn release
    the GIL in their heavy loops, and threads cost microseconds to hand work
    to, where processes would copy every input.

    A step that is the only one ready while none runs (each step of a chain)
    runs on the engine's own thread instead (:attr:`runs_lone_steps_inline`):
    handing it to a pool thread and waiting for it to come back costs a
    thread wake-up each way, more than a small step itself.

    Args:
        max_workers: how many steps may run at once.

    Example:
        >>> orch = LocalOrchestrator(max_workers=2)
        >>> orch.submit(sum, [1, 2]).result()
        3
        >>> orch.shutdown()
    """

    name = "local"
    #: The engine may run a lone step on its own thread (see above).
    runs_lone_steps_inline = True

    def __init__(self, max_workers: int = 4) -> None:
        self.max_workers = max_workers
        self._futures: list[Future[Any]] = []

    def submit(
        self,
        fn: Callable[..., T],
        /,
        *args: Any,
        resources: Mapping[str, float] | None = None,
    ) -> Future[T]:
        """Run ``fn(*args)`` on a pool thread with the caller's context vars."""
        context = contextvars.copy_context()
        future = _pool(self.max_workers).submit(context.run, fn, *args)
        self._futures.append(future)
        return future

    def shutdown(self, *, cancel_pending: bool = False) -> None:
        """Wait for this orchestrator's running steps; drop queued ones when
        ``cancel_pending`` (the shared threads stay for the next run)."""
        futures, self._futures = self._futures, []
        if cancel_pending:
            for future in futures:
                future.cancel()
        for future in futures:
            if not future.cancelled():
                future.exception()
