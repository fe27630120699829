"""The local orchestrator: a thread pool in the current process."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["LocalOrchestrator"]

T = TypeVar("T")


class LocalOrchestrator:
    """Runs independent steps in parallel on a pool of threads.

    Threads suit ML steps well: NumPy, pandas, Arrow and scikit-learn release
    the GIL in their heavy loops, and threads cost microseconds to hand work
    to, where processes would copy every input.

    Args:
        max_workers: how many steps may run at once.

    Example:
        >>> orch = LocalOrchestrator(max_workers=2)
        >>> orch.submit(sum, [1, 2]).result()
        3
        >>> orch.shutdown()
    """

    name = "local"

    def __init__(self, max_workers: int = 4) -> None:
        self.max_workers = max_workers
        self._pool: ThreadPoolExecutor | None = None

    def submit(
        self,
        fn: Callable[..., T],
        /,
        *args: Any,
        resources: Mapping[str, float] | None = None,
    ) -> Future[T]:
        """Run ``fn(*args)`` on a pool thread with the caller's context vars."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                max_workers=self.max_workers, thread_name_prefix="rung-step"
            )
        context = contextvars.copy_context()
        return self._pool.submit(context.run, fn, *args)

    def shutdown(self, *, cancel_pending: bool = False) -> None:
        """Wait for running steps; drop queued ones when ``cancel_pending``."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=cancel_pending)
            self._pool = None
