"""Batch scoring: files, DataFrames and the built-in pipeline step, all logged."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest

from rung import pipeline, step
from rung.catalog import lineage_graph
from rung.errors import InvalidInputError, ServingError
from rung.serving import (
    batch_predict_step,
    predict_file,
    predict_frame,
    read_predictions,
)
from tests.unit.serving.models import FEATURES, churn_frame

if TYPE_CHECKING:
    from rung.registry.records import ModelVersionRecord
    from rung.workspace import Workspace


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_predict_file_scores_and_logs_every_row(
    workspace: Workspace, churn: list[ModelVersionRecord], tmp_path: Path, suffix: str
) -> None:
    source = tmp_path / f"in{suffix}"
    frame = churn_frame(25)[FEATURES]
    frame.to_csv(source, index=False) if suffix == ".csv" else frame.to_parquet(source)
    target = tmp_path / "out" / f"scored{suffix}"
    assert predict_file(workspace, "churn@production", source, target) == 25
    scored = pd.read_csv(target) if suffix == ".csv" else pd.read_parquet(target)
    assert list(scored.columns) == [
        *FEATURES,
        "prediction_id",
        "prediction",
        "proba_0",
        "proba_1",
    ]
    logged = read_predictions(workspace, "churn")
    assert sorted(logged["prediction_id"]) == sorted(scored["prediction_id"])
    [batch] = workspace.deployments.list_prediction_batches()
    assert (batch.deployment_id, batch.version) == (None, 1)


def test_predict_frame_chunks_into_several_batches(
    workspace: Workspace, churn: list[ModelVersionRecord]
) -> None:
    scored = predict_frame(workspace, "churn/2", churn_frame(10), chunk_rows=4)
    assert len(scored) == 10 and "churned" in scored.columns
    assert [b.row_count for b in workspace.deployments.list_prediction_batches()] == [
        4,
        4,
        2,
    ]


def test_batch_scoring_reports_every_input_problem(
    workspace: Workspace, churn: list[ModelVersionRecord]
) -> None:
    frame = pd.DataFrame({"tenure": ["a"], "calls": [1.5]})
    with pytest.raises(InvalidInputError, match=r"(?s)'spend': missing column") as info:
        predict_frame(workspace, "churn@production", frame)
    assert {p["column"] for p in info.value.problems} == {"tenure", "spend", "calls"}
    frame = pd.DataFrame({"tenure": ["a"], "spend": [float("nan")], "calls": [1.5]})
    with pytest.raises(InvalidInputError, match="3 problem") as info:
        predict_frame(workspace, "churn@production", frame)
    assert {p["column"] for p in info.value.problems} == {"tenure", "spend", "calls"}


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("rows.txt", b"x", "use a .parquet or .csv file"),
        ("missing.parquet", None, "Cannot read"),
        ("broken.parquet", b"not parquet", "Cannot read"),
    ],
)
def test_unreadable_inputs_are_clear_errors(  # noqa: PLR0917 - fixtures
    workspace: Workspace,
    churn: list[ModelVersionRecord],
    tmp_path: Path,
    name: str,
    content: bytes | None,
    words: str,
) -> None:
    source = tmp_path / name
    if content is not None:
        source.write_bytes(content)
    with pytest.raises(ServingError, match=words):
        predict_file(workspace, "churn@production", source, tmp_path / "o.parquet")


@step
def customers() -> pd.DataFrame:
    return churn_frame(8)[FEATURES]


@pipeline
def scoring() -> None:
    batch_predict_step(customers(), model="churn@production")


def test_batch_predict_step_logs_with_lineage(
    workspace: Workspace, churn: list[ModelVersionRecord]
) -> None:
    run = scoring()
    [batch] = workspace.deployments.list_prediction_batches()
    assert batch.run_id == run.id and batch.step_run_id is not None
    graph = lineage_graph(workspace, f"prediction_batch:{batch.id}", "upstream")
    kinds = {n.kind for n in graph.nodes.values()}
    assert {"prediction_batch", "model_version", "step_run"} <= kinds
    again = scoring()
    assert again.steps["batch_predict"].status == "completed"  # never cached
