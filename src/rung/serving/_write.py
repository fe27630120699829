"""Writing one Parquet micro-batch of the log and indexing it.

A batch is a folder holding ``data.parquet`` under
``predictions/<model>/v<version>/<batch id>`` (or ``feedback/<model>/<id>``,
``quarantine/<model>/<id>`` for rows that could not be stored) in the
artifact store, put there atomically by the store; then one
:class:`~rung.metadata.PredictionBatchRecord` indexes it. A reader that finds
the record always finds the whole file.
"""

from __future__ import annotations

import itertools
import re
import shutil
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, Any

import numpy as np

from rung._internal.ids import new_id
from rung._internal.timeutil import now
from rung.artifacts import staging_folder
from rung.serving._ids import ids_to_arrow
from rung.serving._inputs import MatrixColumns
from rung.serving.records import PredictionBatchRecord

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import pyarrow as pa

    from rung.serving._ids import IdRange
    from rung.serving._inputs import Columns
    from rung.serving._model import Outputs
    from rung.workspace import Workspace

__all__ = [
    "BASE_COLUMNS",
    "DATA_FILE",
    "BatchOrigin",
    "Entry",
    "describe_entry",
    "feature_column",
    "predictions_table",
    "split_entry",
    "write_batch",
    "write_quarantine",
]

DATA_FILE = "data.parquet"
BASE_COLUMNS = ("prediction_id", "timestamp", "model", "version")
_RESERVED = frozenset({*BASE_COLUMNS, "prediction", "label"})
_KEY_PART = re.compile(r"[^A-Za-z0-9._-]")
# Arrays joined per NumPy call when a table is built (about 0.1 ms of
# one-row arrays): the pause between two such calls is where requests run.
_PIECE = 1024
# Model calls of up to this many rows on average are joined as matrices.
_SMALL_CALL_ROWS = 64
_IDS = attrgetter("ids")
_COUNT = attrgetter("count")
_TIMESTAMP = attrgetter("timestamp")
_COLUMNS = attrgetter("columns")
_OUTPUTS = attrgetter("outputs")
_PREDICTIONS = attrgetter("predictions")
_PROBABILITIES = attrgetter("probabilities")


@dataclass(frozen=True, slots=True)
class BatchOrigin:
    """Who logged rows: the model version and the deployment or step run."""

    model: str
    version: int | None
    deployment_id: str | None = None
    run_id: str | None = None
    step_run_id: str | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    """Rows predicted in one model call, waiting in the log's buffer."""

    origin: BatchOrigin
    timestamp: float
    ids: IdRange
    columns: Columns
    outputs: Outputs


def feature_column(name: str) -> str:
    """The log's column for input ``name`` (names the log uses get ``input_``)."""
    if name in _RESERVED or name.startswith("proba_"):
        return f"input_{name}"
    return name


def predictions_table(
    entries: list[Entry], *, pause: Callable[[], None] | None = None
) -> pa.Table:
    """One Arrow table from entries of one model version.

    Each column is joined from every entry's array in a few NumPy calls: the
    Python work is per column, not per entry, so a flush of thousands of
    one-row entries costs little more than one of a few large ones.

    Args:
        entries: model calls of one version (the first one's columns are used).
        pause: called between steps of a large table (the log hands the GIL
            to requests there).
    """
    import pyarrow as pa

    wait = pause or _no_pause
    first = entries[0]
    ids = list(map(_IDS, entries))
    sizes = np.fromiter(map(_COUNT, ids), np.int64, len(ids))
    total = int(sizes.sum())
    wait()
    data: dict[str, Any] = {"prediction_id": ids_to_arrow(ids)}
    wait()
    data["timestamp"] = np.repeat(np.asarray(list(map(_TIMESTAMP, entries))), sizes)
    data["model"] = pa.repeat(pa.scalar(first.origin.model, pa.string()), total)
    data["version"] = np.full(total, first.origin.version or 0, dtype=np.int64)
    wait()
    inputs = list(map(_COLUMNS, entries))
    for name, values in _input_columns(inputs, list(first.columns), wait):
        data[feature_column(name)] = _arrow(values)
        wait()  # each column joined and converted: up to 0.1 ms of 10,000 rows
    outputs = list(map(_OUTPUTS, entries))
    data["prediction"] = _arrow(_concat(outputs, _PREDICTIONS, wait))
    classes = first.outputs.classes
    if classes is not None and first.outputs.probabilities is not None:
        proba = _concat(outputs, _PROBABILITIES, wait)
        for k, label in enumerate(classes):
            data[f"proba_{label}"] = proba[:, k]
    return pa.table(data)


def _input_columns(
    inputs: list[Columns], names: list[str], pause: Callable[[], None]
) -> Iterator[tuple[str, np.ndarray[Any, Any]]]:
    """Each input column joined over all calls (a missing one: KeyError).

    The arrays of ``_PIECE`` calls are gathered in one pass over their
    mappings (each read once, while in cache), then joined column by column;
    calls whose inputs are one float matrix each (the all-float paths) are
    joined as matrices, in one NumPy call per piece.
    """
    width = len(names)
    # Requests of one server share their signature's names: compared by
    # identity first.
    first = inputs[0] if inputs else None
    key = first.names if type(first) is MatrixColumns else tuple(names)
    pieces: list[list[np.ndarray[Any, Any]]] = [[] for _ in names]
    for start in range(0, len(inputs), _PIECE):
        part = inputs[start : start + _PIECE]
        matrices = [
            c.matrix
            for c in part
            if type(c) is MatrixColumns and (c.names is key or c.names == key)
        ]
        if len(matrices) == len(part) and _small_calls(matrices):
            # Small requests parsed into one matrix each: one NumPy call
            # joins the piece's rows; each column is a view of that block.
            # (Large ones join as fast column by column, which a live server
            # measured faster: 1,000-row requests lost 15% of their
            # throughput the matrix way, with the same CPU per flush.)
            block = np.concatenate(matrices)
            for k in range(width):
                pieces[k].append(block[:, k])
            pause()
            continue
        if width == 1:
            flat = list(map(itemgetter(names[0]), part))
        else:
            flat = list(itertools.chain.from_iterable(map(itemgetter(*names), part)))
        for k in range(width):
            pieces[k].append(np.concatenate(flat[k::width]))
            pause()
    for name, parts in zip(names, pieces, strict=True):
        column = itemgetter(name)
        # The lambda runs inside _joined, before the loop moves on.
        yield name, _joined(parts, lambda: list(map(column, inputs)))  # noqa: B023


def _small_calls(matrices: list[np.ndarray[Any, Any]]) -> bool:
    """Whether these model calls average at most ``_SMALL_CALL_ROWS`` rows."""
    rows: int = sum(len(matrix) for matrix in matrices)
    return rows <= _SMALL_CALL_ROWS * len(matrices)


def _concat(
    items: list[Any],
    get: Callable[[Any], np.ndarray[Any, Any] | None],
    pause: Callable[[], None],
) -> np.ndarray[Any, Any]:
    """The arrays ``get`` finds in ``items`` (None: none) joined, as above."""
    pieces = []
    for start in range(0, len(items), _PIECE):
        part = [a for a in map(get, items[start : start + _PIECE]) if a is not None]
        if part:
            pieces.append(np.concatenate(part))
        pause()
    return _joined(pieces, lambda: [a for a in map(get, items) if a is not None])


def _joined(
    pieces: list[np.ndarray[Any, Any]],
    every_array: Callable[[], list[np.ndarray[Any, Any]]],
) -> np.ndarray[Any, Any]:
    """The pieces as one array; pieces of different types are joined again
    from ``every_array()`` in one go, which finds the common type of all."""
    if len({piece.dtype for piece in pieces}) > 1:
        return np.concatenate(every_array())
    return pieces[0] if len(pieces) == 1 else np.concatenate(pieces)


def write_batch(
    workspace: Workspace,
    table: pa.Table,
    origin: BatchOrigin,
    *,
    kind: str,
    first_at: float,
    last_at: float,
) -> PredictionBatchRecord:
    """Write ``table`` as one Parquet batch and index it; return its record."""
    import pyarrow.parquet as pq

    batch_id = new_id()
    model = _KEY_PART.sub("-", origin.model) or "model"
    key = (
        f"predictions/{model}/v{origin.version}/{batch_id}"
        if kind == "predictions"
        else f"{kind}/{model}/{batch_id}"
    )
    folder = staging_folder(workspace.artifacts, prefix="rung-log-")
    try:
        path = folder / DATA_FILE
        pq.write_table(
            table, path, compression="zstd", use_dictionary=_dictionary_columns(table)
        )
        size = path.stat().st_size
        workspace.artifacts.put(key, folder)
    finally:  # a local store moved the folder into place: nothing is left
        shutil.rmtree(folder, ignore_errors=True)
    record = PredictionBatchRecord(
        id=batch_id,
        project=workspace.project,
        kind=kind,
        model=origin.model,
        version=origin.version,
        uri=key,
        row_count=table.num_rows,
        first_at=first_at,
        last_at=last_at,
        created_at=now(),
        size_bytes=size,
        deployment_id=origin.deployment_id,
        run_id=origin.run_id,
        step_run_id=origin.step_run_id,
    )
    workspace.deployments.add_prediction_batches([record])
    return record


def split_entry(entry: Entry) -> list[Entry]:
    """One entry per row of ``entry`` (to find the row a table cannot hold)."""
    out = entry.outputs
    return [
        Entry(
            entry.origin,
            entry.timestamp,
            entry.ids.part(i, 1),
            {name: values[i : i + 1] for name, values in entry.columns.items()},
            out.slice(i, i + 1),
        )
        for i in range(len(entry.ids))
    ]


def describe_entry(entry: Entry) -> dict[str, Any]:
    """A one-row entry as a JSON-able mapping (for the quarantine)."""
    return {
        "prediction_id": entry.ids.tolist()[0],
        "timestamp": entry.timestamp,
        "version": entry.origin.version,
        **{name: _plain(values[0]) for name, values in entry.columns.items()},
        "prediction": _plain(entry.outputs.predictions[0]),
    }


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def write_quarantine(
    workspace: Workspace, origin: BatchOrigin, rows: list[dict[str, Any]]
) -> PredictionBatchRecord:
    """Write rows that could not be stored, as text, with why (``reason``).

    Columns: ``prediction_id``, ``log`` (predictions or feedback), ``reason``,
    ``row`` (the row's values as JSON) and ``quarantined_at``.
    """
    import json

    import pyarrow as pa

    at = now()
    table = pa.table(
        {
            "prediction_id": pa.array([str(r["prediction_id"]) for r in rows]),
            "log": pa.array([r["log"] for r in rows], pa.string()),
            "reason": pa.array([r["reason"] for r in rows], pa.string()),
            "row": pa.array(
                [
                    json.dumps(
                        {k: v for k, v in r.items() if k not in ("log", "reason")},
                        default=repr,
                    )
                    for r in rows
                ],
                pa.string(),
            ),
            "quarantined_at": np.full(len(rows), at),
        }
    )
    return write_batch(
        workspace,
        table,
        BatchOrigin(origin.model, None, origin.deployment_id),
        kind="quarantine",
        first_at=at,
        last_at=at,
    )


def _dictionary_columns(table: pa.Table) -> list[str]:
    """Columns worth dictionary-encoding: all but floats and unique ids.

    Parquet tries a dictionary first for every column and falls back to plain
    values once it grows too large; for measured floats (nearly all distinct)
    and prediction ids (all distinct) that try is most of the encoding time
    and gives a larger file. Readers see the same values and types.
    """
    import pyarrow.types as pt

    return [
        field.name
        for field in table.schema
        if field.name != "prediction_id" and not pt.is_floating(field.type)
    ]


def _no_pause() -> None:
    return None


def _arrow(values: np.ndarray[Any, Any]) -> pa.Array:
    import pyarrow as pa

    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        # Mixed Python objects: keep them as text rather than lose the batch.
        return pa.array([None if v is None else str(v) for v in values], pa.string())
