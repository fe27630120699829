"""Production windows from the prediction log (DuckDB over Parquet)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import rung.serving
from rung.errors import MonitorDataError
from rung.monitoring import create_monitor, run_monitor
from rung.monitoring._window import read_window, window_text
from rung.registry import load_model
from rung.serving import log_feedback, log_predictions
from tests.unit.monitoring.conftest import production

if TYPE_CHECKING:
    from pathlib import Path

    import duckdb

    from rung.registry.records import ModelVersionRecord
    from rung.workspace import Workspace

NOW = 1_800_000_000.0


def log(workspace: Workspace, rows: int, *, at: float, shift: float = 0.0) -> list[str]:
    """Score production rows with churn v1 and log them (with probabilities)."""
    model = load_model(workspace, "churn@production")
    frame = production(rows, seed=int(at) % 97, shift=shift, labels=False)
    outputs = {
        "prediction": model.predict(frame),
        "probabilities": model.predict_proba(frame),
        "classes": list(model.classes_),
    }
    return log_predictions(workspace, "churn/1", frame, outputs, timestamp=at)


def test_time_and_row_windows_read_the_log_with_labels(
    workspace: Workspace, churn: ModelVersionRecord
) -> None:
    log(workspace, 120, at=NOW - 7200)
    recent = log(workspace, 150, at=NOW - 600)
    log_feedback(workspace, "churn", {i: 1 for i in recent[:40]}, received_at=NOW - 500)
    hour = read_window(workspace, "churn", {"seconds": 3600}, now=NOW)
    assert hour.rows == 150 and hour.info["versions"] == [1]
    assert (hour.info["since"], hour.info["until"]) == (NOW - 3600, NOW)
    assert hour.info["start"] == hour.info["end"] == NOW - 600
    assert hour.columns["age"].dtype == np.float64
    assert {"prediction", "proba_0", "proba_1", "label"} <= set(hour.columns)
    assert int(np.sum(~np.isnan(hour.columns["label"]))) == 40
    newest = read_window(workspace, "churn", {"rows": 100}, now=NOW)
    assert newest.rows == 100 and newest.info["limit"] == 100
    assert read_window(workspace, "churn", {}, now=NOW).rows == 270


def test_a_monitor_evaluates_the_log_window_with_labels(
    workspace: Workspace, churn: ModelVersionRecord
) -> None:
    ids = log(workspace, 300, at=NOW - 60, shift=1.5)
    log_feedback(workspace, "churn", {i: 0 for i in ids}, received_at=NOW - 30)
    create_monitor(workspace, "churn", model="churn@production", window="1h")
    result = run_monitor(workspace, "churn", now=NOW)
    assert result.evaluation.current_rows == 300
    assert result.evaluation.window["source"] == "prediction log of churn, last 1h"
    assert result.outcomes["drift"].status == "breached"
    assert result.outcomes["prediction_drift"].status in ("passed", "breached")
    assert result.outcomes["target_drift"].status == "breached"  # all labels 0
    assert result.outcomes["performance"].result.rows == 300
    empty = run_monitor(workspace, "churn", now=NOW + 7200)
    assert empty.status == "not_computable"
    assert "the window has no rows (prediction log of churn" in str(
        empty.outcomes["drift"].summary["reason"]
    )


def test_the_reader_contract_with_a_fake_parquet_log(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "log"
    folder.mkdir()
    for part, start in enumerate((NOW - 5000, NOW - 100)):
        table = pa.table(
            {
                "prediction_id": [f"p{part}-{i}" for i in range(50)],
                "timestamp": [start + i for i in range(50)],
                "model": ["churn"] * 50,
                "version": [2] * 50,
                "x": np.arange(50, dtype=np.float64),
                "prediction": [1] * 50,
            }
        )
        pq.write_table(table, folder / f"part-{part}.parquet")
    calls: list[dict[str, Any]] = []

    def fake(
        ws: Workspace,
        model: str | None = None,
        version: int | None = None,
        since: float | None = None,
        until: float | None = None,
        *,
        with_labels: bool = True,
        connection: duckdb.DuckDBPyConnection,
        name: str = "predictions",
    ) -> duckdb.DuckDBPyRelation:
        calls.append({"model": model, "since": since, "until": until})
        where = f"timestamp >= {since or 0} AND timestamp < {until}"
        sql = f"SELECT * FROM read_parquet('{folder}/*.parquet') WHERE {where}"  # noqa: S608
        connection.execute(f"CREATE TEMP VIEW {name} AS {sql}")
        return connection.table(name)

    monkeypatch.setattr(rung.serving, "prediction_relation", fake)
    window = read_window(workspace, "churn", {"seconds": 600}, now=NOW)
    assert window.rows == 50 and window.info["start"] == NOW - 100
    assert calls == [{"model": "churn", "since": NOW - 600, "until": NOW}]
    assert read_window(workspace, "churn", {"rows": 7}, now=NOW).rows == 7
    monkeypatch.setattr(rung.serving, "prediction_relation", None)
    with pytest.raises(MonitorDataError, match="has no prediction log reader"):
        read_window(workspace, "churn", {}, now=NOW)


def test_window_text() -> None:
    assert window_text({"seconds": 3600}) == "last 1h"
    assert window_text({"seconds": 90}) == "last 90s"
    assert window_text({"rows": 10_000}) == "last 10,000 rows"
    assert window_text({}) == "all rows"
