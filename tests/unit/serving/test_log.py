"""The prediction log: buffering, flushing, reading back with DuckDB."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest

from rung.cli._hints import with_hint
from rung.errors import InvalidInputError, PredictionLogError, ServingError
from rung.serving import (
    PredictionLog,
    log_feedback,
    log_predictions,
    prediction_relation,
    query_predictions,
    read_predictions,
)
from rung.serving._api import IDS
from rung.serving._feedback import FeedbackEntry, new_feedback
from rung.serving._model import Outputs
from rung.serving._write import BatchOrigin, Entry
from tests.unit.serving.models import FEATURES, churn_frame

if TYPE_CHECKING:
    from rung.registry.records import ModelVersionRecord
    from rung.serving.records import PredictionBatchRecord
    from rung.workspace import Workspace


def entry(version: int, rows: int, at: float) -> Entry:
    columns = {"x": np.arange(rows, dtype=np.float64)}
    outputs = Outputs(np.zeros(rows, dtype=np.int64))
    return Entry(BatchOrigin("m", version), at, IDS.take(rows), columns, outputs)


def test_log_flushes_by_size_in_the_background(workspace: Workspace) -> None:
    with PredictionLog(workspace, max_rows=10, max_age=60) as log:
        log.start()
        log.append(entry(1, 4, 1.0))
        assert log.pending_rows == 4
        log.append(entry(1, 6, 2.0))
        for _ in range(100):
            if log.pending_rows == 0 and log.flushed_rows == 10:
                break
            time.sleep(0.02)
        assert log.flushed_rows == 10
    [batch] = workspace.deployments.list_prediction_batches()
    assert (batch.model, batch.version, batch.row_count) == ("m", 1, 10)
    assert (batch.first_at, batch.last_at) == (1.0, 2.0)


def test_log_flushes_by_age_and_on_close(workspace: Workspace) -> None:
    log = PredictionLog(workspace, max_rows=1000, max_age=0.05)
    log.start()
    log.append(entry(1, 3, 1.0))
    for _ in range(100):
        if log.flushed_rows == 3:
            break
        time.sleep(0.02)
    assert log.flushed_rows == 3
    log.append(entry(2, 2, 5.0))
    log.close()
    versions = [b.version for b in workspace.deployments.list_prediction_batches()]
    assert versions == [1, 2]


def test_a_failed_write_keeps_the_rows_for_the_next_flush(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = PredictionLog(workspace)
    log.append(entry(1, 3, 1.0))
    original = workspace.deployments.add_prediction_batches

    def broken(batches: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(workspace.deployments, "add_prediction_batches", broken)
    with pytest.raises(OSError, match="disk full"):
        log.flush()
    assert (log.pending_rows, log.failed_flushes) == (3, 1)
    monkeypatch.setattr(workspace.deployments, "add_prediction_batches", original)
    log.close()
    assert len(read_predictions(workspace, "m")) == 3


def test_read_predictions_filters_and_joins_the_newest_label(
    workspace: Workspace, churn: list[ModelVersionRecord]
) -> None:
    data = churn_frame(6)
    X = data[FEATURES]
    old = log_predictions(workspace, "churn/1", X, np.zeros(6), timestamp=100.0)
    new = log_predictions(workspace, churn[1], X, np.ones(6), timestamp=200.0)
    log_feedback(workspace, "churn", {old[0]: 1, new[0]: 0}, received_at=300.0)
    log_feedback(workspace, "churn", {old[0]: 0}, received_at=400.0, overwrite=True)
    frame = read_predictions(workspace, "churn")
    assert len(frame) == 12
    assert list(frame.columns[:4]) == ["prediction_id", "timestamp", "model", "version"]
    assert frame["prediction_id"].tolist() == old + new
    labels = dict(zip(frame["prediction_id"], frame["label"], strict=True))
    assert (labels[old[0]], labels[new[0]]) == (0, 0)
    assert pd.isna(labels[old[1]])
    assert read_predictions(workspace, "churn", version=2)[
        "version"
    ].unique().tolist() == [2]
    assert len(read_predictions(workspace, since=150.0)) == 6
    assert len(read_predictions(workspace, until=150.0)) == 6
    assert read_predictions(workspace, last_n=2)["prediction_id"].tolist() == new[-2:]
    assert "label" not in read_predictions(workspace, with_labels=False).columns
    assert read_predictions(workspace, "other").empty


def test_prediction_relation_aggregates_in_duckdb(
    workspace: Workspace, churn: list[ModelVersionRecord]
) -> None:
    X = churn_frame(4)[FEATURES]
    log_predictions(workspace, "churn/1", X, {"prediction": [1, 1, 0, 1]})
    rel = prediction_relation(workspace, "churn")
    assert rel.aggregate("count(*), sum(prediction)").fetchall() == [(4, 3)]
    frame = query_predictions(
        workspace, "SELECT version, count(*) AS n FROM predictions GROUP BY version"
    )
    assert frame.to_dict("records") == [{"version": 1, "n": 4}]
    with pytest.raises(PredictionLogError, match="The query failed"):
        query_predictions(workspace, "SELECT nope FROM predictions")


def test_log_predictions_checks_row_counts(
    workspace: Workspace, churn: list[ModelVersionRecord]
) -> None:
    with pytest.raises(ServingError, match="3 input rows but 2 predictions"):
        log_predictions(workspace, "churn/1", churn_frame(3)[FEATURES], [1, 0])


def test_feature_names_that_clash_with_log_columns_get_a_prefix(
    workspace: Workspace, churn: list[ModelVersionRecord]
) -> None:
    frame = pd.DataFrame({"version": [7.0], "proba_x": [1.0]})
    log_predictions(workspace, "churn/1", frame, [1])
    row = read_predictions(workspace, "churn").iloc[0]
    assert (row["version"], row["input_version"], row["input_proba_x"]) == (1, 7.0, 1.0)


def labels(pairs: dict[str, Any], at: float = 1.0) -> FeedbackEntry:
    return new_feedback("m", list(pairs), list(pairs.values()), received_at=at)


def test_a_row_the_log_cannot_store_is_quarantined_and_the_rest_written(
    workspace: Workspace,
) -> None:
    log = PredictionLog(workspace)
    log.append(entry(1, 2, 1.0))
    log.append_feedback(labels({"a": 1, "huge": 1180591620717411303424, "b": 0}))
    log.append_feedback(labels({"c": 1}, at=2.0))
    log.flush()  # no error: the bad row does not block the others
    assert (log.pending_rows, log.quarantined_rows, log.flushed_rows) == (0, 1, 5)
    stored = query_predictions(
        workspace, "SELECT prediction_id, label FROM feedback ORDER BY prediction_id"
    )
    assert stored.values.tolist() == [["a", 1], ["b", 0], ["c", 1]]
    [batch] = workspace.deployments.list_prediction_batches(kind="quarantine")
    path = workspace.artifacts.open_folder(batch.uri) / "data.parquet"
    [row] = pd.read_parquet(path).to_dict("records")
    assert (row["prediction_id"], row["log"]) == ("huge", "feedback")
    assert "too large" in row["reason"] and "1180591620717411303424" in row["row"]
    log.append_feedback(labels({"d": 0}, at=3.0))
    log.close()  # shutdown writes what is buffered
    assert len(query_predictions(workspace, "SELECT * FROM feedback")) == 4


def test_a_prediction_row_the_log_cannot_store_is_quarantined_too(
    workspace: Workspace,
) -> None:
    log = PredictionLog(workspace)
    good = entry(1, 2, 1.0)
    columns = {"x": np.array([1.0, 2.0])}
    outputs = Outputs(np.array([0, 2**70], dtype=object))  # no Arrow type holds both
    bad = Entry(BatchOrigin("m", 1), 2.0, IDS.take(2), columns, outputs)
    log.append(good)
    log.append(bad)
    log.close()
    assert (log.quarantined_rows, log.flushed_rows) == (1, 3)
    assert len(read_predictions(workspace, "m", with_labels=False)) == 3


def test_a_failing_prediction_write_does_not_drop_buffered_labels(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = PredictionLog(workspace)
    log.append(entry(1, 3, 1.0))
    log.append_feedback(labels({"a": 1}))
    original = workspace.deployments.add_prediction_batches

    def predictions_down(batches: Sequence[PredictionBatchRecord]) -> None:
        if batches[0].kind == "predictions":
            raise OSError("disk full")
        original(batches)

    monkeypatch.setattr(
        workspace.deployments, "add_prediction_batches", predictions_down
    )
    with pytest.raises(OSError, match="disk full"):
        log.flush()
    assert log.pending_rows == 3  # the predictions wait; the label was written
    assert len(query_predictions(workspace, "SELECT * FROM feedback")) == 1
    monkeypatch.setattr(workspace.deployments, "add_prediction_batches", original)
    log.close()
    assert len(read_predictions(workspace, "m")) == 3


def test_log_feedback_is_all_or_nothing_and_overwrites_only_when_asked(
    workspace: Workspace, churn: list[ModelVersionRecord]
) -> None:
    ids = log_predictions(workspace, "churn/1", churn_frame(3)[FEATURES], [0, 1, 0])
    with pytest.raises(InvalidInputError, match="2 label") as info:
        log_feedback(workspace, "churn", {ids[0]: 1, ids[1]: float("nan"), "x": 1})
    reasons = {p["prediction_id"]: str(p["problem"]) for p in info.value.problems}
    assert "finite number" in reasons[ids[1]]
    assert reasons["x"].startswith("unknown prediction id")
    assert query_predictions(workspace, "SELECT * FROM feedback").empty
    log_feedback(workspace, "churn", {ids[0]: 1, ids[1]: 0})
    with pytest.raises(InvalidInputError, match=r"already labelled \(1\)") as info:
        log_feedback(workspace, "churn", {ids[0]: 0})
    assert with_hint(info.value).endswith(
        "Replace labels already given with "
        "`rung predictions label MODEL FILE --overwrite`."
    )
    log_feedback(workspace, "churn", {ids[0]: 0}, overwrite=True, user="ana")
    history = query_predictions(
        workspace,
        "SELECT prediction_id, label, user, coalesce(previous_label, '-') AS previous "
        "FROM feedback_history ORDER BY received_at, seq",
    )
    rows = history[history["prediction_id"] == ids[0]]
    assert rows[["label", "user", "previous"]].values.tolist() == [
        [1, "tester", "-"],
        [0, "ana", "1"],
    ]


def test_labels_of_one_model_keep_one_type(
    workspace: Workspace, churn: list[ModelVersionRecord]
) -> None:
    ids = log_predictions(workspace, "churn/1", churn_frame(2)[FEATURES], [0, 1])
    with pytest.raises(InvalidInputError, match="send one type"):
        log_feedback(workspace, "churn", {ids[0]: 1, ids[1]: "yes"})


def test_a_backdated_label_still_counts_as_given(
    workspace: Workspace, churn: list[ModelVersionRecord]
) -> None:
    ids = log_predictions(
        workspace, "churn/1", churn_frame(1)[FEATURES], [1], timestamp=5000.0
    )
    log_feedback(workspace, "churn", {ids[0]: 1}, received_at=10.0)  # a backfill
    with pytest.raises(InvalidInputError, match="already labelled"):
        log_feedback(workspace, "churn", {ids[0]: 0})


def test_a_large_flush_is_built_in_pieces_into_one_batch(workspace: Workspace) -> None:
    from rung.serving import _write

    log = PredictionLog(workspace)
    count = 2 * _write._PIECE + 5
    for i in range(count):
        log.append(entry(1, 2, float(i)))
    # Integer predictions in the first pieces, floats in the last: the pieces
    # differ in type, and the batch still holds one common type, as before.
    columns = {"x": np.array([0.5, 1.5])}
    outputs = Outputs(np.array([0.5, 2.0]))
    log.append(Entry(BatchOrigin("m", 1), 9e3, IDS.take(2), columns, outputs))
    log.close()
    [batch] = workspace.deployments.list_prediction_batches()
    assert (batch.row_count, batch.first_at, batch.last_at) == (
        2 * count + 2,
        0.0,
        9e3,
    )
    frame = read_predictions(workspace, "m", with_labels=False)
    assert frame["prediction"].tolist()[-2:] == [0.5, 2.0]
    assert frame["x"].tolist()[:2] == [0.0, 1.0]


def mixed_entry(origin: BatchOrigin, i: int, rows: int = 1) -> Entry:
    """Rows of one call with an int, a float, a text and a bool input."""
    n = np.arange(i, i + rows)
    columns = {
        "count": n.astype(np.int64),
        "score": n * 0.5,
        "city": np.array([f"c{k % 3}" for k in n], dtype=object),
        "flag": n % 2 == 0,
    }
    proba = np.column_stack([1 - n / 1e4, n / 1e4])
    outputs = Outputs(n % 2, proba, (0, 1))
    return Entry(origin, 100.0 + i, IDS.take(rows), columns, outputs)


def stored_batch(workspace: Workspace, batch: PredictionBatchRecord) -> pd.DataFrame:
    import pyarrow.parquet as pq

    path = workspace.artifacts.open_folder(batch.uri) / "data.parquet"
    return pq.read_table(path).to_pandas()


def test_a_flush_of_many_one_row_calls_stores_what_one_large_call_stores(
    workspace: Workspace,
) -> None:
    import pyarrow.parquet as pq

    from rung.serving import _write

    origin = BatchOrigin("m", 3, "dep-1")
    count = 2 * _write._PIECE + 7  # more calls than one piece of a column join
    small = [mixed_entry(origin, i) for i in range(count)]
    with PredictionLog(workspace) as log:
        for one in small:
            log.append(one)
        [batch] = log.flush()
    large = mixed_entry(origin, 0, rows=count)
    expected = _write.predictions_table([large]).to_pandas()
    expected["prediction_id"] = [one.ids.tolist()[0] for one in small]
    expected["timestamp"] = [one.timestamp for one in small]
    assert (batch.row_count, batch.first_at, batch.last_at) == (
        count,
        100.0,
        100.0 + count - 1,
    )
    stored = stored_batch(workspace, batch)
    pd.testing.assert_frame_equal(stored, expected)
    path = workspace.artifacts.open_folder(batch.uri) / "data.parquet"
    types = {f.name: str(f.type) for f in pq.read_schema(path)}
    assert types == {
        "prediction_id": "string",
        "timestamp": "double",
        "model": "string",
        "version": "int64",
        "count": "int64",
        "score": "double",
        "city": "string",
        "flag": "bool",
        "prediction": "int64",
        "proba_0": "double",
        "proba_1": "double",
    }
    frame = read_predictions(workspace, "m", with_labels=False)
    assert frame["city"].tolist()[:4] == ["c0", "c1", "c2", "c0"]


def test_calls_of_several_origins_are_written_one_batch_per_origin_in_order(
    workspace: Workspace,
) -> None:
    log = PredictionLog(workspace)
    for i in range(600):
        # A new but equal origin object now and then (a restarted server
        # logs the same version): still one batch for that version.
        log.append(mixed_entry(BatchOrigin("m", 2 if i % 3 else 1, "d"), i))
    log.append(mixed_entry(BatchOrigin("other", 1), 900))
    written = log.flush()
    assert [(b.model, b.version, b.row_count) for b in written] == [
        ("m", 1, 200),
        ("m", 2, 400),
        ("other", 1, 1),
    ]
    assert (written[0].first_at, written[0].last_at) == (100.0, 100.0 + 597)
    v2 = stored_batch(workspace, written[1])
    assert v2["count"].tolist() == [i for i in range(600) if i % 3]
    assert v2["timestamp"].tolist() == [100.0 + i for i in range(600) if i % 3]


def test_a_bad_row_among_many_one_row_calls_is_quarantined_alone(
    workspace: Workspace,
) -> None:
    from rung.serving import _write

    origin = BatchOrigin("m", 1)
    count = _write._PIECE + 50
    log = PredictionLog(workspace)
    for i in range(count):
        one = mixed_entry(origin, i)
        if i == count - 10:  # no Arrow type holds this next to int64 predictions
            one = Entry(
                origin,
                one.timestamp,
                one.ids,
                one.columns,
                Outputs(np.array([2**70], dtype=object)),
            )
            bad_id = one.ids.tolist()[0]
        log.append(one)
    log.close()
    assert (log.quarantined_rows, log.flushed_rows, log.pending_rows) == (
        1,
        count - 1,
        0,
    )
    [quarantined] = workspace.deployments.list_prediction_batches(kind="quarantine")
    [row] = stored_batch(workspace, quarantined).to_dict("records")
    assert row["prediction_id"] == bad_id and "1180591620717411303424" in row["row"]
    frame = read_predictions(workspace, "m", with_labels=False)
    assert len(frame) == count - 1 and bad_id not in set(frame["prediction_id"])
    assert frame["count"].tolist()[-3:] == [count - 3, count - 2, count - 1]


def test_a_flush_of_many_one_label_calls_keeps_every_label_field(
    workspace: Workspace,
) -> None:
    import pyarrow.parquet as pq

    log = PredictionLog(workspace)
    calls = [
        new_feedback(
            "m",
            [f"p{i}"] if i % 4 else [f"p{i}", f"q{i}"],
            [i % 2] if i % 4 else [1, 0],
            received_at=10.0 + i,
            user=f"u{i % 3}",
            previous=None if i % 2 else ["1"] * (1 if i % 4 else 2),
        )
        for i in range(300)
    ]
    for call in calls:
        log.append_feedback(call)
    [batch] = log.flush()
    path = workspace.artifacts.open_folder(batch.uri) / "data.parquet"
    stored = pq.read_table(path).to_pydict()
    expected: dict[str, list[Any]] = {
        "prediction_id": [],
        "label": [],
        "received_at": [],
        "seq": [],
        "user": [],
        "previous_label": [],
    }
    for call in calls:
        for k, (pid, label) in enumerate(zip(call.ids, call.labels, strict=True)):
            expected["prediction_id"].append(pid)
            expected["label"].append(label)
            expected["received_at"].append(call.received_at)
            expected["seq"].append(call.first_seq + k)
            expected["user"].append(call.user)
            expected["previous_label"].append(call.previous[k])
    assert stored == expected
    assert (batch.kind, batch.row_count, batch.first_at, batch.last_at) == (
        "feedback",
        375,
        10.0,
        309.0,
    )
