"""Feedback: ground-truth labels attached to prediction ids, late and repeated.

Labels are logged like predictions: buffered, then written as Parquet
micro-batches (``kind="feedback"``) with the time they were received, who
sent them, the label they replaced (if any) and a sequence number. Readers
keep, per prediction id, the label received last (ties broken by the
sequence). Which labels are accepted is decided before they are buffered
(see ``rung.serving._intake``).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from rung._internal.timeutil import now
from rung.errors import MalformedPayloadError
from rung.serving._inputs import Problems

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "FeedbackEntry",
    "FeedbackRequest",
    "describe_feedback",
    "feedback_table",
    "new_feedback",
    "parse_feedback",
    "split_feedback",
]

_MAX_ID = 128
_IDS = attrgetter("ids")
_LABELS = attrgetter("labels")
_RECEIVED_AT = attrgetter("received_at")
_FIRST_SEQ = attrgetter("first_seq")
_USER = attrgetter("user")
_seq = itertools.count()
_seq_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class FeedbackEntry:
    """Labels accepted in one call.

    Attributes:
        previous: per row, the label it replaced as JSON text (None: none).
        user: who sent them (``http:<address>`` for the server).
    """

    model: str
    ids: list[str]
    labels: list[Any]
    received_at: float
    first_seq: int
    deployment_id: str | None = None
    user: str = ""
    previous: list[str | None] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """The Python type of the labels (one per entry): int, float, str, bool."""
        return type(self.labels[0]).__name__ if self.labels else ""


@dataclass(frozen=True, slots=True)
class FeedbackRequest:
    """A parsed feedback body: ids and labels in order, and the overwrite flag."""

    ids: list[str]
    labels: list[Any]
    overwrite: bool = False


def new_feedback(
    model: str,
    ids: list[str],
    labels: list[Any],
    *,
    received_at: float | None = None,
    deployment_id: str | None = None,
    user: str = "",
    previous: list[str | None] | None = None,
) -> FeedbackEntry:
    """A feedback entry stamped now, with sequence numbers reserved for its rows."""
    with _seq_lock:
        first = next(_seq)
        for _ in range(len(ids) - 1):
            next(_seq)
    return FeedbackEntry(
        model,
        ids,
        labels,
        now() if received_at is None else received_at,
        first,
        deployment_id,
        user,
        list(previous) if previous is not None else [None] * len(ids),
    )


def parse_feedback(payload: Any) -> FeedbackRequest:
    """Read ``{"feedback": [{"prediction_id": ..., "label": ...}]}`` or
    ``{"labels": {prediction_id: label}}``, with ``"overwrite": true`` to
    replace labels already given.

    Labels are checked later, one by one; here only the shape and the ids.

    Raises:
        InvalidInputError: the shape or an id is wrong (every problem).
        MalformedPayloadError: ``overwrite`` is not a boolean.
    """
    problems = Problems()
    if isinstance(payload, Mapping) and isinstance(payload.get("labels"), Mapping):
        pairs = list(payload["labels"].items())
    elif isinstance(payload, Mapping) and isinstance(payload.get("feedback"), list):
        pairs = []
        for i, item in enumerate(payload["feedback"]):
            if isinstance(item, Mapping) and {"prediction_id", "label"} <= set(item):
                pairs.append((item["prediction_id"], item["label"]))
            else:
                problems.add(None, "items need 'prediction_id' and 'label'", [i])
    else:
        problems.add(
            None,
            'send {"feedback": [{"prediction_id": "...", "label": ...}]} or '
            '{"labels": {"<prediction_id>": label}}',
        )
    problems.raise_if_any("feedback")
    overwrite = payload.get("overwrite", False)
    if not isinstance(overwrite, bool):
        raise MalformedPayloadError(
            f"'overwrite' must be true or false, got {overwrite!r}."
        )
    _check_ids(pairs, problems)
    return FeedbackRequest(
        [p for p, _ in pairs], [label for _, label in pairs], overwrite
    )


def feedback_table(entries: list[FeedbackEntry]) -> pa.Table:
    """One Arrow table from entries whose labels share one type.

    Columns: prediction_id, label, received_at, seq, user, previous_label.

    Raises:
        pyarrow.ArrowInvalid / ArrowTypeError / OverflowError: a label the
            table cannot hold (the log isolates such rows).
    """
    import numpy as np
    import pyarrow as pa

    flat = itertools.chain.from_iterable
    sizes = np.fromiter(map(len, map(_IDS, entries)), np.int64, len(entries))
    starts = np.asarray(list(map(_FIRST_SEQ, entries)), dtype=np.int64)
    offsets = np.cumsum(sizes) - sizes
    seq = np.arange(int(sizes.sum()), dtype=np.int64)
    seq += np.repeat(starts - offsets, sizes)
    users = np.repeat(np.array(list(map(_USER, entries)), dtype=object), sizes)
    return pa.table(
        {
            "prediction_id": pa.array(list(flat(map(_IDS, entries))), pa.string()),
            "label": _label_array(list(flat(map(_LABELS, entries)))),
            "received_at": np.repeat(list(map(_RECEIVED_AT, entries)), sizes),
            "seq": seq,
            "user": pa.array(users, pa.string()),
            "previous_label": pa.array(
                list(flat(map(_previous, entries))), pa.string()
            ),
        }
    )


def split_feedback(entry: FeedbackEntry) -> list[FeedbackEntry]:
    """One entry per row of ``entry`` (to find the row a table cannot hold)."""
    previous = _previous(entry)
    return [
        FeedbackEntry(
            entry.model,
            [pid],
            [label],
            entry.received_at,
            entry.first_seq + i,
            entry.deployment_id,
            entry.user,
            [previous[i]],
        )
        for i, (pid, label) in enumerate(zip(entry.ids, entry.labels, strict=True))
    ]


def describe_feedback(entry: FeedbackEntry) -> dict[str, Any]:
    """A one-row entry as a JSON-able mapping (for the quarantine)."""
    return {
        "prediction_id": entry.ids[0],
        "label": entry.labels[0],
        "received_at": entry.received_at,
        "user": entry.user,
    }


def _previous(entry: FeedbackEntry) -> list[str | None]:
    return entry.previous or [None] * len(entry.ids)


def _check_ids(pairs: Sequence[tuple[Any, Any]], problems: Problems) -> None:
    if not pairs:
        problems.add(None, "no labels: send at least one")
    bad_ids = [
        i
        for i, (pid, _) in enumerate(pairs)
        if not isinstance(pid, str) or not pid or len(pid) > _MAX_ID
    ]
    if bad_ids:
        problems.add(
            "prediction_id",
            f"must be a non-empty string of at most {_MAX_ID} characters",
            bad_ids,
        )
    problems.raise_if_any("feedback")


def _label_array(labels: list[Any]) -> pa.Array:
    import pyarrow as pa

    kinds = {type(label) for label in labels}
    if kinds == {int, float}:
        return pa.array([float(label) for label in labels], pa.float64())
    return pa.array(labels)
