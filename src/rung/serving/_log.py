"""The prediction log: rows buffered in memory, flushed as Parquet micro-batches.

A request only appends references to arrays it already has to a list, under
a lock; a background thread writes a batch when the buffer holds
``max_rows`` rows or its oldest row is ``max_age`` seconds old, and
:meth:`PredictionLog.close` writes whatever is left (the server calls it on
shutdown, SIGTERM included), so a prediction that was answered is on disk
once the process exits cleanly. A batch that fails to write goes back to the
buffer and is retried at the next flush.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from rung.serving._feedback import FeedbackEntry, feedback_table
from rung.serving._write import BatchOrigin, Entry, predictions_table, write_batch

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from rung.serving.records import PredictionBatchRecord
    from rung.workspace import Workspace

__all__ = ["PredictionLog"]

_log = logging.getLogger("rung.serving")
_TICK_S = 0.25


class PredictionLog:
    """Buffered, background-flushed prediction and feedback log of a workspace.

    Args:
        workspace: where batches go (artifact store + metadata index).
        max_rows: flush when this many rows wait.
        max_age: flush when the oldest waiting row is this old (seconds).

    Example:
        >>> log = PredictionLog(ws, max_rows=10_000, max_age=5.0)  # doctest: +SKIP
        >>> log.start()  # doctest: +SKIP
        >>> log.close()  # doctest: +SKIP
    """

    def __init__(
        self, workspace: Workspace, *, max_rows: int = 10_000, max_age: float = 5.0
    ) -> None:
        self.workspace = workspace
        self.max_rows = max_rows
        self.max_age = max_age
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._entries: list[Entry] = []
        self._feedback: list[FeedbackEntry] = []
        self._rows = 0
        self._oldest: float | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.flushed_rows = 0
        self.failed_flushes = 0

    @property
    def pending_rows(self) -> int:
        """Rows (predictions and labels) waiting to be written."""
        return self._rows

    def append(self, entry: Entry) -> None:
        """Buffer the rows of one model call (cheap: no copy, no I/O)."""
        self._add(entry, len(entry.ids), self._entries)

    def append_feedback(self, entry: FeedbackEntry) -> None:
        """Buffer labels received for prediction ids."""
        self._add(entry, len(entry.ids), self._feedback)

    def start(self) -> None:
        """Start the background flusher (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="rung-prediction-log", daemon=True
            )
            self._thread.start()

    def flush(self) -> list[PredictionBatchRecord]:
        """Write every buffered row now; return the batch records written."""
        with self._flush_lock:
            with self._lock:
                entries, self._entries = self._entries, []
                feedback, self._feedback = self._feedback, []
                self._rows, self._oldest = 0, None
            written = self._write_predictions(entries)
            written += self._write_feedback(feedback)
            return written

    def close(self) -> None:
        """Stop the flusher and write what is left. Idempotent."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.flush()

    def __enter__(self) -> PredictionLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _add(self, entry: Any, rows: int, target: list[Any]) -> None:
        with self._lock:
            target.append(entry)
            self._rows += rows
            if self._oldest is None:
                self._oldest = time.monotonic()
            full = self._rows >= self.max_rows
        if full:
            self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(min(_TICK_S, self.max_age))
            self._wake.clear()
            if self._stop.is_set():
                return
            if self._is_due():
                try:
                    self.flush()
                except Exception:  # keep serving; the rows went back to the buffer
                    _log.exception("Writing the prediction log failed; will retry.")

    def _is_due(self) -> bool:
        with self._lock:
            oldest = self._oldest
            rows = self._rows
        if oldest is None:
            return False
        return rows >= self.max_rows or time.monotonic() - oldest >= self.max_age

    def _write_predictions(self, entries: list[Entry]) -> list[PredictionBatchRecord]:
        groups: dict[BatchOrigin, list[Entry]] = defaultdict(list)
        for entry in entries:
            groups[entry.origin].append(entry)
        return self._write_groups(
            groups.items(),
            lambda origin, group: write_batch(
                self.workspace,
                predictions_table(group),
                origin,
                kind="predictions",
                first_at=min(e.timestamp for e in group),
                last_at=max(e.timestamp for e in group),
            ),
            lambda group: self._put_back(group, []),
        )

    def _write_feedback(
        self, entries: list[FeedbackEntry]
    ) -> list[PredictionBatchRecord]:
        groups: dict[BatchOrigin, list[FeedbackEntry]] = defaultdict(list)
        for entry in entries:
            groups[BatchOrigin(entry.model, None, entry.deployment_id)].append(entry)
        return self._write_groups(
            groups.items(),
            lambda origin, group: write_batch(
                self.workspace,
                feedback_table(group),
                origin,
                kind="feedback",
                first_at=min(e.received_at for e in group),
                last_at=max(e.received_at for e in group),
            ),
            lambda group: self._put_back([], group),
        )

    def _write_groups(
        self,
        groups: Iterable[tuple[BatchOrigin, list[Any]]],
        write: Callable[[BatchOrigin, list[Any]], PredictionBatchRecord],
        put_back: Callable[[list[Any]], None],
    ) -> list[PredictionBatchRecord]:
        written, error = [], None
        for origin, group in groups:
            try:
                written.append(write(origin, group))
            except Exception as exc:  # the others still get written
                put_back(group)
                error = exc
                continue
            self.flushed_rows += sum(len(e.ids) for e in group)
        if error is not None:
            raise error
        return written

    def _put_back(self, entries: list[Entry], feedback: list[FeedbackEntry]) -> None:
        self.failed_flushes += 1
        with self._lock:
            self._entries[:0] = entries
            self._feedback[:0] = feedback
            self._rows += sum(len(e.ids) for e in entries)
            self._rows += sum(len(e.ids) for e in feedback)
            if self._oldest is None:
                self._oldest = time.monotonic()
