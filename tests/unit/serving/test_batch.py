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
    score_frame,
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
    result = predict_file(workspace, "churn@production", source, target)
    assert len(result.scored) == 25 and result.bad_rows.empty
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


def with_gaps(rows: int = 6) -> pd.DataFrame:
    """Churn rows with a missing ``spend`` in rows 1 and 4."""
    frame = churn_frame(rows)[FEATURES]
    frame.loc[[1, 4], "spend"] = float("nan")
    return frame


def test_a_missing_value_fails_the_whole_table_by_default(
    workspace: Workspace, churn: list[ModelVersionRecord]
) -> None:
    with pytest.raises(InvalidInputError, match="null or NaN in a non-nullable"):
        predict_frame(workspace, "churn@production", with_gaps())
    assert workspace.deployments.list_prediction_batches() == []


def test_skip_leaves_bad_rows_out_and_says_which_and_why(
    workspace: Workspace, churn: list[ModelVersionRecord]
) -> None:
    frame = with_gaps()
    result = score_frame(workspace, "churn@production", frame, on_bad_rows="skip")
    assert result.scored.index.tolist() == [0, 2, 3, 5]
    assert result.bad_rows["row"].tolist() == [1, 4]
    assert set(result.bad_rows["reason"]) == {
        "column 'spend': null or NaN in a non-nullable column"
    }
    logged = read_predictions(workspace, "churn")
    assert sorted(logged["prediction_id"]) == sorted(result.scored["prediction_id"])
    kept = predict_frame(workspace, "churn/1", frame, on_bad_rows="skip")
    assert len(kept) == 4


def test_skip_finds_problems_hidden_behind_others_and_keeps_every_reason(
    workspace: Workspace, churn: list[ModelVersionRecord]
) -> None:
    frame = pd.DataFrame(
        {
            "tenure": ["a", 0.5, None, 0.1],  # a string hides the null at first
            "spend": [float("nan"), 1.0, 1.0, 2.0],
            "calls": [1, 2, 3, 4],
        }
    )
    result = score_frame(workspace, "churn/1", frame, on_bad_rows="skip")
    assert result.scored.index.tolist() == [1, 3]
    reasons = dict(zip(result.bad_rows["row"], result.bad_rows["reason"], strict=True))
    assert reasons[0] == (
        "column 'tenure': expected float (float64), got str; "
        "column 'spend': null or NaN in a non-nullable column"
    )
    assert reasons[2] == "column 'tenure': null in a non-nullable column"


def test_route_writes_bad_rows_apart_with_the_reason(
    workspace: Workspace, churn: list[ModelVersionRecord], tmp_path: Path
) -> None:
    source = tmp_path / "in.csv"
    with_gaps().to_csv(source, index=False)
    result = predict_file(
        workspace,
        "churn@production",
        source,
        tmp_path / "out.parquet",
        on_bad_rows="route",
        bad_rows_output=tmp_path / "bad.csv",
    )
    assert len(pd.read_parquet(tmp_path / "out.parquet")) == len(result.scored) == 4
    bad = pd.read_csv(tmp_path / "bad.csv")
    assert list(bad.columns) == ["row", *FEATURES, "reason"]
    assert bad["row"].tolist() == [1, 4]
    assert bad["reason"].str.contains("null or NaN").all()


def test_bad_rows_never_hide_a_problem_of_the_whole_table(
    workspace: Workspace, churn: list[ModelVersionRecord], tmp_path: Path
) -> None:
    frame = with_gaps().drop(columns=["calls"])
    with pytest.raises(InvalidInputError, match="'calls': missing column"):
        score_frame(workspace, "churn/1", frame, on_bad_rows="skip")
    source = tmp_path / "in.parquet"
    with_gaps().to_parquet(source)
    with pytest.raises(ServingError, match="Use one of: fail, skip, route"):
        predict_file(workspace, "churn/1", source, tmp_path / "o.csv", on_bad_rows="x")
    with pytest.raises(ServingError, match="Routing bad rows needs a file"):
        predict_file(
            workspace, "churn/1", source, tmp_path / "o.csv", on_bad_rows="route"
        )
    with pytest.raises(ServingError, match="Routing bad rows needs a file"):
        predict_file(
            workspace, "churn/1", source, tmp_path / "o.csv", bad_rows_output=source
        )


def test_every_row_bad_scores_nothing(
    workspace: Workspace, churn: list[ModelVersionRecord]
) -> None:
    frame = with_gaps().iloc[[1, 4]]
    result = score_frame(workspace, "churn/1", frame, on_bad_rows="skip")
    assert result.scored.empty and "prediction_id" in result.scored.columns
    assert result.bad_rows["row"].tolist() == [0, 1]
    assert workspace.deployments.list_prediction_batches() == []


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
