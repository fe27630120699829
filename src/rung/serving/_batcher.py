"""Adaptive batching: concurrent requests share one model call.

A model call has a fixed cost (input checks inside scikit-learn take about a
millisecond whatever the row count), so predicting eight one-row requests
together is nearly eight times cheaper than one by one. Requests that arrive
while the event loop is busy are queued; the queue is predicted at the next
loop turn, in one call per model version, and each request gets its own
slice back. Under no load a request waits for nothing; under load, batches
grow by themselves. Large requests skip the queue and run in a worker thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rung.serving._api import IDS
from rung.serving._model import concat_columns

if TYPE_CHECKING:
    from rung.serving._ids import IdRange
    from rung.serving._inputs import Columns
    from rung.serving._model import Outputs, ServedModel

Answer = tuple["Outputs", "IdRange"]
OnBatch = Callable[["ServedModel", "Columns", "Outputs", "IdRange"], None]

__all__ = ["Batcher"]


@dataclass(slots=True)
class _Job:
    model: ServedModel
    columns: Columns
    rows: int
    future: asyncio.Future[Answer]


class Batcher:
    """Groups concurrent predictions of the same model into one call.

    Args:
        max_rows: requests with at least this many rows run alone, in a
            thread; queued requests are joined up to this many rows.
        on_batch: called once per model call with its model, joined inputs,
            outputs and ids (the prediction log: one entry per call).
    """

    def __init__(self, max_rows: int = 2048, on_batch: OnBatch | None = None) -> None:
        self.max_rows = max_rows
        self.on_batch = on_batch
        self._pending: list[_Job] = []
        self._scheduled = False
        self.calls = 0

    async def predict(self, model: ServedModel, columns: Columns, rows: int) -> Answer:
        """Predict ``columns`` with ``model``, batched with concurrent requests.

        Returns:
            The outputs of these rows and their prediction ids.
        """
        if rows >= self.max_rows:
            self.calls += 1
            outputs = await asyncio.to_thread(model.predict, columns)
            ids = IDS.take(rows)
            if self.on_batch is not None:
                self.on_batch(model, columns, outputs, ids)
            return outputs, ids
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Answer] = loop.create_future()
        self._pending.append(_Job(model, columns, rows, future))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        self._scheduled = False
        jobs, self._pending = self._pending, []
        group: list[_Job] = []
        size = 0
        for job in jobs:
            if group and (
                job.model is not group[0].model or size + job.rows > self.max_rows
            ):
                self._run(group)
                group, size = [], 0
            group.append(job)
            size += job.rows
        if group:
            self._run(group)

    def _run(self, group: list[_Job]) -> None:
        self.calls += 1
        columns = concat_columns([j.columns for j in group])
        try:
            outputs = group[0].model.predict(columns)
        except Exception as exc:
            if len(group) > 1:  # find the request(s) the model refused
                for job in group:
                    self._run([job])
            elif not group[0].future.done():
                group[0].future.set_exception(exc)
            return
        ids = IDS.take(len(outputs))
        start = 0
        for job in group:
            if not job.future.done():
                part = outputs.slice(start, start + job.rows)
                job.future.set_result((part, ids.part(start, job.rows)))
            start += job.rows
        if self.on_batch is not None:
            self.on_batch(group[0].model, columns, outputs, ids)
