"""Writing one Parquet micro-batch of the log and indexing it.

A batch is a folder holding ``data.parquet`` under
``predictions/<model>/v<version>/<batch id>`` (or ``feedback/<model>/<id>``,
``quarantine/<model>/<id>`` for rows that could not be stored) in the
artifact store, put there atomically by the store; then one
:class:`~rung.metadata.PredictionBatchRecord` indexes it. A reader that finds
the record always finds the whole file.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rung._internal.ids import new_id
from rung._internal.timeutil import now
from rung.serving._ids import ids_to_arrow
from rung.serving.records import PredictionBatchRecord

if TYPE_CHECKING:
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


def predictions_table(entries: list[Entry]) -> pa.Table:
    """One Arrow table from entries of one model version."""
    import pyarrow as pa

    first = entries[0]
    sizes = [len(e.ids) for e in entries]
    data: dict[str, Any] = {
        "prediction_id": ids_to_arrow([e.ids for e in entries]),
        "timestamp": np.repeat([e.timestamp for e in entries], sizes),
        "model": pa.repeat(pa.scalar(first.origin.model, pa.string()), sum(sizes)),
        "version": np.full(sum(sizes), first.origin.version or 0, dtype=np.int64),
    }
    for name in first.columns:
        data[feature_column(name)] = _arrow(
            np.concatenate([e.columns[name] for e in entries])
        )
    data["prediction"] = _arrow(
        np.concatenate([e.outputs.predictions for e in entries])
    )
    classes = first.outputs.classes
    if classes is not None and first.outputs.probabilities is not None:
        proba = np.concatenate(
            [
                e.outputs.probabilities
                for e in entries
                if e.outputs.probabilities is not None
            ]
        )
        for k, label in enumerate(classes):
            data[f"proba_{label}"] = proba[:, k]
    return pa.table(data)


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
    folder = _staging_folder(workspace)
    try:
        path = folder / DATA_FILE
        pq.write_table(
            table, path, compression="zstd", use_dictionary=_repeating(table)
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


def _staging_folder(workspace: Workspace) -> Path:
    """A new folder to write a batch in: the store's own when it has one.

    A local store renames its staging folder into place where another folder
    would be copied (the whole file written twice, then removed).
    """
    make = getattr(workspace.artifacts, "staging_folder", None)
    if callable(make):
        folder: Path = make()
        return folder
    return Path(tempfile.mkdtemp(prefix="rung-log-"))


def _repeating(table: pa.Table) -> list[str]:
    """The columns worth a Parquet dictionary: those whose values repeat.

    Not floats (features, probabilities, times) nor the ids, which are
    unique: dictionaries of values that hardly repeat took three quarters of
    a batch's write and made the file a fifth larger than zstd over the plain
    values.
    """
    import pyarrow as pa

    return [
        field.name
        for field in table.schema
        if field.name != "prediction_id" and not pa.types.is_floating(field.type)
    ]


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


def _arrow(values: np.ndarray[Any, Any]) -> pa.Array:
    import pyarrow as pa

    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        # Mixed Python objects: keep them as text rather than lose the batch.
        return pa.array([None if v is None else str(v) for v in values], pa.string())
