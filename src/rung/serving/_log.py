"""The prediction log: rows buffered in memory, flushed as Parquet micro-batches.

A request only appends references to arrays it already has to a list, under
a lock; a background thread writes a batch when the buffer holds
``max_rows`` rows or its oldest row is ``max_age`` seconds old, and
:meth:`PredictionLog.close` writes whatever is left (the server calls it on
shutdown, SIGTERM included), so a prediction that was answered is on disk
once the process exits cleanly. A batch that fails to write goes back to the
buffer and is retried at the next flush. A batch whose table cannot be built
(a value Parquet cannot hold) is written row by row instead: the rows that
fail alone are quarantined (``kind="quarantine"``, with the reason) and the
others are written, so one bad row never blocks the rest.

The flusher never holds up a request. A background thread that runs Python
for milliseconds makes every other thread wait up to the interpreter's switch
interval (5 ms) each time it wants the GIL back, and a request wants it back
after every socket read and write: that was the whole tail latency of a
logging server. So a flush does little Python per row: each column of a
batch is joined from all its model calls by a few NumPy calls (one entry per
request costs about a microsecond, not a Python table each), and the flusher
hands the GIL over between those calls (a tenth of a millisecond each) and
between the steps of a write; Parquet encoding and compression run in Arrow
without the GIL, and cost little CPU with dictionaries only where values
repeat.

The buffer is bounded (``max_pending_rows``): when the store cannot keep up,
:attr:`PredictionLog.is_behind` turns true and the server refuses new
predictions (503, counted in :attr:`PredictionLog.refused_requests`) until
the log has caught up. A prediction that was answered is never dropped.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from rung.errors import PredictionLogError
from rung.serving._feedback import (
    FeedbackEntry,
    describe_feedback,
    feedback_table,
    split_feedback,
)
from rung.serving._write import (
    BatchOrigin,
    Entry,
    describe_entry,
    predictions_table,
    split_entry,
    write_batch,
    write_quarantine,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    import pyarrow as pa

    from rung.serving.records import PredictionBatchRecord
    from rung.workspace import Workspace

__all__ = ["PredictionLog"]

_log = logging.getLogger("rung.serving")
_TICK_S = 0.25
_CLOSE_TRIES = 3
_ORIGIN = attrgetter("origin")


def _let_requests_run() -> None:
    """Hand the GIL to a thread that waits for it (the server's event loop)."""
    time.sleep(0)


class PredictionLog:
    """Buffered, background-flushed prediction and feedback log of a workspace.

    Args:
        workspace: where batches go (artifact store + metadata index).
        max_rows: flush when this many rows wait.
        max_age: flush when the oldest waiting row is this old (seconds).
        kind: the batch kind its prediction rows are written as
            (``predictions``, or ``shadow`` for a challenger's mirrored rows).
        max_pending_rows: past this many waiting rows the log is behind
            (:attr:`is_behind`): the server refuses new predictions until the
            flusher has caught up. Rows are always accepted by :meth:`append`.

    Example:
        >>> log = PredictionLog(ws, max_rows=10_000, max_age=5.0)  # doctest: +SKIP
        >>> log.start()  # doctest: +SKIP
        >>> log.close()  # doctest: +SKIP
    """

    def __init__(
        self,
        workspace: Workspace,
        *,
        max_rows: int = 10_000,
        max_age: float = 5.0,
        kind: str = "predictions",
        max_pending_rows: int = 1_000_000,
    ) -> None:
        self.workspace = workspace
        # "shadow": a challenger's predictions of mirrored requests, kept apart
        # from the answered ones (monitoring reads "predictions" only).
        self._predictions = (
            _PREDICTIONS if kind == "predictions" else replace(_PREDICTIONS, kind=kind)
        )
        self.max_rows = max_rows
        self.max_age = max_age
        self.max_pending_rows = max_pending_rows
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
        self.quarantined_rows = 0
        self.refused_requests = 0

    @property
    def pending_rows(self) -> int:
        """Rows (predictions and labels) waiting to be written."""
        return self._rows

    @property
    def is_behind(self) -> bool:
        """True when ``max_pending_rows`` or more rows wait to be written."""
        return self._rows >= self.max_pending_rows

    def refuse(self) -> None:
        """Count a request refused because the log is behind."""
        with self._lock:
            self.refused_requests += 1

    def describe(self) -> dict[str, Any]:
        """The log's state, for ``/readyz``: backlog, limit, refusals, writes."""
        return {
            "pending_rows": self._rows,
            "max_pending_rows": self.max_pending_rows,
            "behind": self.is_behind,
            "refused_requests": self.refused_requests,
            "flushed_rows": self.flushed_rows,
            "failed_flushes": self.failed_flushes,
            "quarantined_rows": self.quarantined_rows,
        }

    def append(self, entry: Entry) -> None:
        """Buffer the rows of one model call (cheap: no copy, no I/O)."""
        self._add(entry, len(entry.ids), self._entries)

    def append_feedback(self, entry: FeedbackEntry) -> None:
        """Buffer labels received for prediction ids."""
        self._add(entry, len(entry.ids), self._feedback)

    def start(self) -> None:
        """Start the background flusher (idempotent).

        A table is written to memory here first, so that every module a
        write needs (Arrow's pandas shim, the Parquet writer: a second or so
        of imports) is loaded before requests come, not by the first flush
        in the middle of the traffic, which would hold the interpreter.
        """
        if self._thread is None:
            _load_writer()

            self._thread = threading.Thread(
                target=self._run, name="rung-prediction-log", daemon=True
            )
            self._thread.start()

    def flush(self) -> list[PredictionBatchRecord]:
        """Write every buffered row now; return the batch records written.

        A row whose values cannot be stored is quarantined (written apart,
        with the reason) and the others are written. Rows that failed to be
        written (the store is down) go back to the buffer, and the first such
        error is raised once everything else was tried.
        """
        with self._flush_lock:
            with self._lock:
                entries, self._entries = self._entries, []
                feedback, self._feedback = self._feedback, []
                self._rows, self._oldest = 0, None
            written, error = self._write_predictions(entries)
            labels, feedback_error = self._write_feedback(feedback)
            error = error or feedback_error
            if error is not None:
                raise error
            return written + labels

    def close(self) -> None:
        """Stop the flusher and write what is left. Idempotent.

        Raises:
            PredictionLogError: rows could still not be written after a few
                tries (the store is down); they are lost.
        """
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        for attempt in range(_CLOSE_TRIES):
            try:
                self.flush()
                return
            except Exception as exc:
                if attempt + 1 == _CLOSE_TRIES:
                    raise PredictionLogError(
                        f"{self.pending_rows} row(s) of the prediction log could "
                        f"not be written before closing: {exc}"
                    ) from exc
                _log.warning("Writing the prediction log failed; retrying: %s", exc)
                time.sleep(0.2 * (attempt + 1))

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

    def _write_predictions(
        self, entries: list[Entry]
    ) -> tuple[list[PredictionBatchRecord], Exception | None]:
        # Consecutive entries of one server share their origin object: a run
        # of them is compared by identity, in C, and hashed once.
        groups: dict[BatchOrigin, list[Entry]] = {}
        for origin, run in itertools.groupby(entries, _ORIGIN):
            groups.setdefault(origin, []).extend(run)
        return self._write_groups(groups.items(), self._predictions)

    def _write_feedback(
        self, entries: list[FeedbackEntry]
    ) -> tuple[list[PredictionBatchRecord], Exception | None]:
        # One label type per file: a batch never mixes numbers and strings.
        groups: dict[Any, list[FeedbackEntry]] = defaultdict(list)
        for entry in entries:
            origin = BatchOrigin(entry.model, None, entry.deployment_id)
            groups[origin, entry.kind].append(entry)
        return self._write_groups(
            ((key[0], group) for key, group in groups.items()), _FEEDBACK
        )

    def _write_groups(
        self, groups: Iterable[tuple[BatchOrigin, list[Any]]], rows: _Rows
    ) -> tuple[list[PredictionBatchRecord], Exception | None]:
        written: list[PredictionBatchRecord] = []
        error: Exception | None = None
        for origin, group in groups:
            try:
                written += self._write_group(origin, group, rows)
            except _PutBackError as exc:  # part of the group went back already
                error = exc.__cause__ if isinstance(exc.__cause__, Exception) else exc
            except Exception as exc:  # the others still get written
                self._put_back(rows, group)
                error = exc
        return written, error

    def _write_group(
        self, origin: BatchOrigin, group: list[Any], rows: _Rows
    ) -> list[PredictionBatchRecord]:
        _let_requests_run()
        try:
            table = rows.table(group, _let_requests_run)
        except Exception as exc:  # a value the table cannot hold: find its row
            _log.warning("Isolating a bad row of the %s log: %s", rows.kind, exc)
            return self._write_isolated(origin, group, rows)
        written = [self._write_table(origin, table, group, rows)]
        self.flushed_rows += table.num_rows
        return written

    def _write_isolated(
        self, origin: BatchOrigin, group: list[Any], rows: _Rows
    ) -> list[PredictionBatchRecord]:
        """Write the rows that can be written; quarantine the others, with why."""
        good: list[Any] = []
        bad: list[dict[str, Any]] = []
        for one in (row for entry in group for row in rows.split(entry)):
            try:
                rows.table([one], None)
            except Exception as exc:
                bad.append(
                    {
                        **rows.describe(one),
                        "log": rows.kind,
                        "reason": f"{type(exc).__name__}: {exc}",
                    }
                )
            else:
                good.append(one)
        written = []
        if bad:  # first: if it fails, nothing of the group is written yet
            written.append(write_quarantine(self.workspace, origin, bad))
            self.quarantined_rows += len(bad)
            _log.error(
                "Quarantined %d row(s) of the %s log that cannot be stored "
                "(`rung predictions batches --quarantine`): %s",
                len(bad),
                rows.kind,
                bad[0]["reason"],
            )
        parts = _tables(good, rows)
        for k, (table, part) in enumerate(parts):
            try:
                written.append(self._write_table(origin, table, part, rows))
            except Exception as exc:
                self._put_back(rows, [one for _, rest in parts[k:] for one in rest])
                raise _PutBackError from exc
            self.flushed_rows += len(part)
        return written

    def _write_table(
        self, origin: BatchOrigin, table: pa.Table, group: list[Any], rows: _Rows
    ) -> PredictionBatchRecord:
        first_at, last_at = min(map(rows.time, group)), max(map(rows.time, group))
        _let_requests_run()
        record = write_batch(
            self.workspace,
            table,
            origin,
            kind=rows.kind,
            first_at=first_at,
            last_at=last_at,
        )
        _let_requests_run()
        return record

    def _put_back(self, rows: _Rows, group: list[Any]) -> None:
        self.failed_flushes += 1
        with self._lock:
            target = self._feedback if rows.kind == "feedback" else self._entries
            target[:0] = group
            self._rows += sum(len(e.ids) for e in group)
            if self._oldest is None:
                self._oldest = time.monotonic()


def _load_writer() -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pa.table({"x": np.zeros(1), "s": pc.utf8_lpad(pa.array(["1"]), 2, "0")})
    pq.write_table(table, pa.BufferOutputStream(), compression="zstd")


def _tables(good: list[Any], rows: _Rows) -> list[tuple[pa.Table, list[Any]]]:
    if not good:
        return []
    try:
        return [(rows.table(good, None), good)]
    except Exception:  # rows that cannot share a file: one file each
        return [(rows.table([one], None), [one]) for one in good]


class _PutBackError(Exception):
    """The rows of a group that were not written are back in the buffer."""


@dataclass(frozen=True, slots=True)
class _Rows:
    """How one log's entries become a table, rows, and quarantine records."""

    kind: str
    table: Callable[[list[Any], Callable[[], None] | None], pa.Table]
    split: Callable[[Any], list[Any]]
    describe: Callable[[Any], dict[str, Any]]
    time: Callable[[Any], float]


def _predictions_table(
    entries: list[Entry], pause: Callable[[], None] | None
) -> pa.Table:
    return predictions_table(entries, pause=pause)


def _feedback_table(
    entries: list[FeedbackEntry], pause: Callable[[], None] | None
) -> pa.Table:
    return feedback_table(entries)


_PREDICTIONS = _Rows(
    "predictions",
    _predictions_table,
    split_entry,
    describe_entry,
    attrgetter("timestamp"),
)
_FEEDBACK = _Rows(
    "feedback",
    _feedback_table,
    split_feedback,
    describe_feedback,
    attrgetter("received_at"),
)
