"""Feedback: ground-truth labels attached to prediction ids, late and repeated.

Labels are logged like predictions: buffered, then written as Parquet
micro-batches (``kind="feedback"``) with the time they were received and a
sequence number. Readers keep, per prediction id, the label received last
(ties broken by the sequence), so a repeated label replaces the earlier one.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rung._internal.timeutil import now
from rung.errors import InvalidInputError
from rung.serving._inputs import Problems

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["FeedbackEntry", "feedback_table", "new_feedback", "parse_feedback"]

_MAX_ID = 128
_seq = itertools.count()
_seq_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class FeedbackEntry:
    """Labels received in one call."""

    model: str
    ids: list[str]
    labels: list[Any]
    received_at: float
    first_seq: int
    deployment_id: str | None = None


def new_feedback(
    model: str,
    ids: list[str],
    labels: list[Any],
    *,
    received_at: float | None = None,
    deployment_id: str | None = None,
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
    )


def parse_feedback(payload: Any) -> tuple[list[str], list[Any]]:
    """Read ``{"feedback": [{"prediction_id": ..., "label": ...}]}`` or
    ``{"labels": {prediction_id: label}}``.

    Raises:
        InvalidInputError: the shape, an id or a label is wrong (every problem).
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
    return _check_pairs(pairs, problems)


def feedback_table(entries: list[FeedbackEntry]) -> pa.Table:
    """One Arrow table (prediction_id, label, received_at, seq) from entries."""
    import numpy as np
    import pyarrow as pa

    sizes = [len(e.ids) for e in entries]
    labels = [label for e in entries for label in e.labels]
    return pa.table(
        {
            "prediction_id": pa.array([i for e in entries for i in e.ids], pa.string()),
            "label": _label_array(labels),
            "received_at": np.repeat([e.received_at for e in entries], sizes),
            "seq": np.concatenate(
                [
                    np.arange(e.first_seq, e.first_seq + n)
                    for e, n in zip(entries, sizes, strict=True)
                ]
            ).astype(np.int64),
        }
    )


def _check_pairs(
    pairs: Sequence[tuple[Any, Any]], problems: Problems
) -> tuple[list[str], list[Any]]:
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
    kinds = {_label_kind(label) for _, label in pairs}
    bad_labels = [i for i, (_, label) in enumerate(pairs) if _label_kind(label) is None]
    if bad_labels:
        problems.add("label", "must be a number, a string or a boolean", bad_labels)
    elif len(kinds - {"int", "float"}) > 1 or (
        kinds - {"int", "float"} and kinds & {"int", "float"}
    ):
        problems.add(
            "label",
            f"labels mix types ({', '.join(sorted(k for k in kinds if k))}): "
            "send one type",
        )
    problems.raise_if_any("feedback")
    return [str(p) for p, _ in pairs], [label for _, label in pairs]


def _label_kind(label: Any) -> str | None:
    if isinstance(label, bool):
        return "bool"
    if isinstance(label, int):
        return "int"
    if isinstance(label, float):
        return "float"
    if isinstance(label, str):
        return "str"
    return None


def _label_array(labels: list[Any]) -> pa.Array:
    import pyarrow as pa

    kinds = {_label_kind(label) for label in labels}
    if kinds == {"int", "float"}:
        return pa.array([float(label) for label in labels], pa.float64())
    try:
        return pa.array(labels)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise InvalidInputError(
            f"Cannot store these labels together: {exc}",
            [{"column": "label", "problem": "labels mix types"}],
        ) from exc
