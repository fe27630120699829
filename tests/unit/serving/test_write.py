"""A batch of the prediction log as a Parquet file: encodings and values."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from rung.serving import read_predictions
from rung.serving._api import IDS
from rung.serving._inputs import MatrixColumns, matrix_of
from rung.serving._model import Outputs
from rung.serving._write import (
    DATA_FILE,
    BatchOrigin,
    Entry,
    predictions_table,
    write_batch,
)

if TYPE_CHECKING:
    from pathlib import Path

    from rung.workspace import Workspace


def test_batches_keep_dictionaries_for_repeating_columns_only(
    workspace: Workspace,
) -> None:
    rng = np.random.default_rng(0)
    origin = BatchOrigin("m", 1)
    entries = [
        Entry(
            origin,
            float(at),
            IDS.take(500),
            {"x": rng.normal(size=500), "plan": np.array(["a", "b"] * 250, object)},
            Outputs(rng.integers(0, 2, 500), rng.random((500, 2)), (0, 1)),
        )
        for at in range(3)
    ]
    table = predictions_table(entries)

    batch = write_batch(
        workspace, table, origin, kind="predictions", first_at=0.0, last_at=2.0
    )

    path = workspace.artifacts.open_folder(batch.uri) / DATA_FILE
    chunks = pq.ParquetFile(path).metadata.row_group(0)
    encoded = {
        chunks.column(i).path_in_schema: chunks.column(i).has_dictionary_page
        for i in range(chunks.num_columns)
    }
    assert encoded == {
        "prediction_id": False,
        "timestamp": False,
        "model": True,
        "version": True,
        "x": False,
        "plan": True,
        "prediction": True,
        "proba_0": False,
        "proba_1": False,
    }
    logged = read_predictions(workspace, "m", with_labels=False)
    assert logged["x"].to_numpy().tobytes() == table["x"].to_numpy().tobytes()
    assert logged["plan"].tolist() == ["a", "b"] * 750


def staging_area(workspace: Workspace) -> Path:
    """The folder a local store stages its writes in (left empty)."""
    probe = workspace.artifacts.staging_folder()  # type: ignore[attr-defined]
    shutil.rmtree(probe)
    return probe.parent


def test_a_batch_leaves_nothing_behind_written_or_not(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    area = staging_area(workspace)
    table = pa.table({"prediction_id": ["a"], "x": [1.0]})
    origin = BatchOrigin("m", 1)
    batch = write_batch(
        workspace, table, origin, kind="predictions", first_at=0.0, last_at=0.0
    )
    assert workspace.artifacts.exists(batch.uri)
    assert list(area.iterdir()) == []

    def broken(key: str, source: Path) -> bool:
        raise OSError("disk full")

    monkeypatch.setattr(workspace.artifacts, "put", broken)
    with pytest.raises(OSError, match="disk full"):
        write_batch(
            workspace, table, origin, kind="predictions", first_at=0.0, last_at=0.0
        )
    assert list(area.iterdir()) == []


def test_requests_parsed_as_one_matrix_log_the_same_table() -> None:
    # The all-float paths keep each request's matrix (MatrixColumns); the log
    # joins those as matrices, pieces of matrices and of plain columns alike.
    rng = np.random.default_rng(1)
    names = ("x0", "x1", "x2")
    as_matrices, as_columns = [], []
    for size in [1, 3, 1, 2] * 700:  # more than one piece of calls
        matrix = rng.normal(size=(size, len(names)))
        ids = IDS.take(size)
        proba = rng.random((size, 2))
        out = Outputs(proba.argmax(axis=1), proba, (0, 1))
        origin = BatchOrigin("m", 1)
        plain = {n: matrix[:, i].copy() for i, n in enumerate(names)}
        as_matrices.append(Entry(origin, 1.0, ids, MatrixColumns(names, matrix), out))
        as_columns.append(Entry(origin, 1.0, ids, plain, out))

    expected = predictions_table(as_columns)
    mixed = as_matrices[:1500] + as_columns[1500:]

    assert predictions_table(as_matrices).equals(expected)
    assert predictions_table(mixed).equals(expected)
    assert expected.column("x1").to_numpy()[:1] == pytest.approx(
        as_columns[0].columns["x1"]
    )


def test_a_matrix_of_other_columns_is_not_taken_for_the_signature() -> None:
    matrix = np.arange(6.0).reshape(3, 2)

    assert matrix_of(MatrixColumns(("a", "b"), matrix), ("a", "b")) is matrix
    assert matrix_of(MatrixColumns(("a", "b"), matrix), ("b", "a")) is None
    assert matrix_of({"a": matrix[:, 0], "b": matrix[:, 1]}, ("a", "b")) is None


def test_large_matrix_requests_log_the_same_table_column_by_column() -> None:
    rng = np.random.default_rng(2)
    names = ("a", "b")
    as_matrices, as_columns = [], []
    for size in (100, 300, 200):  # large calls: joined column by column
        matrix = rng.normal(size=(size, 2))
        ids = IDS.take(size)
        out = Outputs(rng.integers(0, 2, size))
        origin = BatchOrigin("m", 1)
        plain = {n: matrix[:, i].copy() for i, n in enumerate(names)}
        as_matrices.append(Entry(origin, 2.0, ids, MatrixColumns(names, matrix), out))
        as_columns.append(Entry(origin, 2.0, ids, plain, out))

    assert predictions_table(as_matrices).equals(predictions_table(as_columns))
