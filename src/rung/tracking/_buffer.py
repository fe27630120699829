"""Batched metric writes.

``log_metric`` appends to an in-memory buffer; a background thread writes the
buffer to the metadata store every ``flush_interval`` seconds (1 s by
default), and it is flushed when a step or a run ends, on ``rung.flush()`` and
at interpreter exit. A hard crash (``kill -9``, power loss) therefore loses at
most the values logged in the last ``flush_interval`` seconds.
"""

from __future__ import annotations

import atexit
import threading
import weakref
from typing import TYPE_CHECKING

from rung._internal.timeutil import now
from rung.errors import RunError

if TYPE_CHECKING:
    from rung.metadata import MetricBatch
    from rung.workspace import Workspace

__all__ = ["MetricBuffer", "buffer_for", "flush_all"]

# Buffers belong to their workspace (``ws.attach``); this weak set only lets
# the exit hook flush every one still alive in the process.
_live: weakref.WeakSet[MetricBuffer] = weakref.WeakSet()
_registry_lock = threading.Lock()


class MetricBuffer:
    """Collects metric values and writes them in batches.

    Args:
        workspace: where the values go.
        flush_interval: seconds between background flushes.
    """

    def __init__(self, workspace: Workspace, flush_interval: float = 1.0) -> None:
        self.workspace = workspace
        self.flush_interval = flush_interval
        # One MetricBatch per call, not one record per value: the store
        # writes a batch as one statement (see SqlRunStore.log_metric_batches).
        self._pending: list[MetricBatch] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._known_keys: set[str] = set()

    def add(
        self,
        run_id: str,
        key: str,
        value: float,
        step: int | None = None,
        step_run_id: str | None = None,
    ) -> None:
        """Queue one value (validated now, written on the next flush)."""
        from rung.metadata import MetricBatch

        values = {_check_key(key): _check_value(key, value)}
        self._queue(MetricBatch(run_id, values, now(), step, step_run_id))

    def add_many(
        self,
        run_id: str,
        values: dict[str, float],
        step: int | None = None,
        step_run_id: str | None = None,
    ) -> None:
        """Queue several values logged at the same moment (one batch)."""
        from rung.metadata import MetricBatch

        ts = now()
        known = self._known_keys
        if len(known) > 100_000:
            known.clear()
        new_keys = [k for k in values if k not in known]
        for key in new_keys:  # names repeat call after call: check each once
            known.add(_check_key(key))
        try:  # float() over all values in C; a loop only to name a bad one
            floats = dict(zip(values, map(float, values.values()), strict=True))
        except (TypeError, ValueError):
            floats = {k: _check_value(k, v) for k, v in values.items()}
        self._queue(MetricBatch(run_id, floats, ts, step, step_run_id))

    def _queue(self, batch: MetricBatch) -> None:
        with self._lock:
            self._pending.append(batch)
        if self._thread is None:
            self._start()

    def flush(self) -> int:
        """Write everything queued so far; return how many values were written."""
        with self._flush_lock:
            with self._lock:
                batches, self._pending = self._pending, []
            if batches:
                try:
                    self.workspace.runs.log_metric_batches(batches)
                except BaseException:
                    with self._lock:
                        self._pending[:0] = batches
                    raise
            return sum(len(batch.values) for batch in batches)

    def close(self) -> None:
        """Flush and stop the background thread."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        self.flush()

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(
                target=self._loop, name="rung-metric-flush", daemon=True
            )
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.flush_interval):
            try:
                self.flush()
            except Exception:  # noqa: S112 - retried on the next tick
                continue


def buffer_for(workspace: Workspace) -> MetricBuffer:
    """Return the workspace's metric buffer, creating it on first use."""

    def create() -> MetricBuffer:
        buffer = MetricBuffer(workspace, workspace.options.flush_interval)
        with _registry_lock:
            _live.add(buffer)
        return buffer

    # Closing the workspace closes (and so flushes) its buffer.
    return workspace.attach("tracking.metrics", create)


def flush_all() -> None:
    """Flush every buffer of this process."""
    with _registry_lock:
        buffers = list(_live)
    for buffer in buffers:
        buffer.flush()


def _check_key(key: str) -> str:
    if not isinstance(key, str) or not key.strip():
        raise RunError(f"A metric name must be a non-empty string. Got {key!r}.")
    return key


def _check_value(key: str, value: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RunError(
            f"Metric {key!r} must be a number. Got {value!r} of type "
            f"{type(value).__name__}; log numbers and keep other values as tags."
        ) from None
    return number


atexit.register(flush_all)
