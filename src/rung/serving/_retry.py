"""Model versions the service could not load, and when to try each again.

A version that failed to load (artifact missing, store unreachable, residency
refused) is tried again later, not on every poll and not never: the wait
doubles after each failure, from the poll interval up to a minute.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["LoadFailure", "LoadRetries"]

MAX_RETRY_DELAY = 60.0


@dataclass(frozen=True, slots=True)
class LoadFailure:
    """A model version that failed to load, as the service reports it.

    Attributes:
        version: the model version that could not be loaded.
        attempts: how many loads of it failed in a row.
        error: the last error, on one line.
        failed_at: when the last attempt failed (epoch seconds).
        retry_at: the earliest time of the next attempt (epoch seconds).
    """

    version: int
    attempts: int
    error: str
    failed_at: float
    retry_at: float

    def describe(self) -> dict[str, object]:
        """The failure as JSON-ready values (for ``/readyz``)."""
        return {
            "version": self.version,
            "attempts": self.attempts,
            "error": self.error,
            "failed_at": self.failed_at,
            "retry_at": self.retry_at,
        }


class LoadRetries:
    """Failed versions with exponential backoff: ``min(base * 2**(n-1), cap)``.

    Args:
        base: the wait after the first failure, in seconds (the poll interval).
        cap: the longest wait between two attempts, in seconds.
        clock: a monotonic clock (seconds).

    Example:
        >>> retries = LoadRetries(base=2.0)
        >>> failure = retries.failed(3, OSError("artifact missing"))
        >>> (failure.attempts, retries.is_due(3))
        (1, False)
    """

    def __init__(
        self,
        base: float,
        cap: float = MAX_RETRY_DELAY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base = base
        self.cap = max(cap, base)
        self.clock = clock
        self._failures: dict[int, tuple[LoadFailure, float]] = {}
        self._lock = threading.Lock()

    def is_due(self, version: int) -> bool:
        """True when ``version`` never failed or its wait is over."""
        with self._lock:
            entry = self._failures.get(version)
        return entry is None or self.clock() >= entry[1]

    def failed(self, version: int, exc: BaseException) -> LoadFailure:
        """Record one more failed load of ``version``; return the failure."""
        with self._lock:
            previous = self._failures.get(version)
            attempts = 1 if previous is None else previous[0].attempts + 1
            delay = min(self.base * 2 ** (attempts - 1), self.cap)
            failed_at = time.time()
            failure = LoadFailure(
                version, attempts, _one_line(exc), failed_at, failed_at + delay
            )
            self._failures[version] = (failure, self.clock() + delay)
        return failure

    def keep_only(self, version: int | None) -> None:
        """Forget every failure but ``version``'s (the one still wanted)."""
        with self._lock:
            for known in list(self._failures):
                if known != version:
                    del self._failures[known]

    def failures(self) -> list[LoadFailure]:
        """The current failures, by version."""
        with self._lock:
            return [self._failures[v][0] for v in sorted(self._failures)]


def _one_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return " ".join(line.strip() for line in text.splitlines() if line.strip())
