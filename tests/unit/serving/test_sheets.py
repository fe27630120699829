"""Labelling sheets: sampling the log for people to label, importing them back."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from rung.cli._hints import with_hint
from rung.errors import DeploymentNotFoundError, InvalidInputError, ServingError
from rung.serving import (
    import_feedback,
    log_feedback,
    log_predictions,
    read_predictions,
    sample_predictions,
)
from rung.serving.records import DeploymentRecord
from tests.unit.serving.models import FEATURES, churn_frame

if TYPE_CHECKING:
    from pathlib import Path

    from rung.registry.records import ModelVersionRecord
    from rung.workspace import Workspace


def logged(workspace: Workspace, rows: int = 300, **options: object) -> list[str]:
    """``rows`` predictions of churn v1: 2/3 predicted 0, 1/3 predicted 1."""
    frame = churn_frame(rows)[FEATURES]
    predicted = (np.arange(rows) % 3 == 0).astype(int)
    return log_predictions(workspace, "churn/1", frame, predicted, **options)  # type: ignore[arg-type]


def deployment(workspace: Workspace, deployment_id: str, name: str) -> None:
    workspace.deployments.add_deployment(
        DeploymentRecord(
            id=deployment_id,
            project=workspace.project,
            name=name,
            model="churn",
            alias="production",
            version=1,
            host="127.0.0.1",
            port=8000,
            status="stopped",
            user="tester",
            started_at=1.0,
            updated_at=1.0,
        )
    )


def test_a_sheet_holds_ids_inputs_outputs_and_an_empty_label(
    workspace: Workspace, churn: list[ModelVersionRecord]
) -> None:
    ids = logged(workspace, timestamp=1_800_000_000.0)
    sheet = sample_predictions(workspace, "churn", n=30, seed=7)
    assert list(sheet.columns) == [
        "prediction_id",
        "timestamp",
        "model",
        "version",
        *FEATURES,
        "prediction",
        "label",
    ]
    assert len(sheet) == 30 and sheet["label"].isna().all()
    assert set(sheet["prediction_id"]) <= set(ids)
    assert sheet["timestamp"].iloc[0] == "2027-01-15T08:00:00.000000Z"
    again = sample_predictions(workspace, "churn", n=30, seed=7)
    assert again["prediction_id"].tolist() == sheet["prediction_id"].tolist()
    other = sample_predictions(workspace, "churn", n=30, seed=8)
    assert other["prediction_id"].tolist() != sheet["prediction_id"].tolist()
    assert len(sample_predictions(workspace, "churn", n=10_000)) == 300


def test_stratified_samples_keep_each_strata_share(
    workspace: Workspace, churn: list[ModelVersionRecord]
) -> None:
    logged(workspace)
    by_prediction = sample_predictions(workspace, "churn", n=30, stratify="prediction")
    assert by_prediction["prediction"].value_counts().to_dict() == {0: 20, 1: 10}
    by_calls = sample_predictions(
        workspace, "churn", n=40, stratify="feature", feature="calls"
    )
    log = read_predictions(workspace, "churn")
    shares = log["calls"].value_counts(normalize=True)
    counts = by_calls["calls"].value_counts()
    assert set(counts.index) == set(shares.index)
    for value, share in shares.items():
        assert abs(counts[value] - 40 * share) <= 1
    by_tenure = sample_predictions(
        workspace, "churn", n=50, stratify="feature", feature="tenure"
    )
    bins = pd.qcut(log["tenure"], 5, labels=False)
    drawn = bins[log["prediction_id"].isin(by_tenure["prediction_id"])]
    assert drawn.value_counts().tolist() == [10] * 5


def test_sampling_skips_labelled_rows_and_reads_deployments(
    workspace: Workspace, churn: list[ModelVersionRecord]
) -> None:
    deployment(workspace, "d" * 32, "churn-api")
    served = logged(workspace, 20, deployment_id="d" * 32, timestamp=100.0)
    logged(workspace, 20, timestamp=200.0)  # batch scoring, no deployment
    log_feedback(workspace, "churn", dict.fromkeys(served[:15], 1))
    for given in ("d" * 32, "dddd", "churn-api"):
        sheet = sample_predictions(workspace, given, n=100)
        assert sorted(sheet["prediction_id"]) == sorted(served[15:])
    assert len(sample_predictions(workspace, "churn-api", include_labelled=True)) == 20
    assert len(sample_predictions(workspace, "churn", n=100)) == 25
    assert len(sample_predictions(workspace, "churn", since=150.0)) == 20
    with pytest.raises(ServingError, match="no unlabelled predictions to sample in"):
        sample_predictions(workspace, "churn", since=1e12)


@pytest.mark.parametrize(
    ("given", "options", "error", "message"),
    [
        ("nope", {}, DeploymentNotFoundError, "no model is named 'nope'"),
        ("churn", {"n": 0}, ServingError, "n must be a whole number >= 1, got 0"),
        ("churn", {"stratify": "label"}, ServingError, "Unknown stratify 'label'"),
        ("churn", {"stratify": "feature"}, ServingError, "needs the feature's name"),
        (
            "churn",
            {"stratify": "feature", "feature": "age"},
            ServingError,
            "no input feature 'age'. Their inputs: tenure, spend, calls",
        ),
        (
            "churn",
            {"stratify": "feature", "feature": "spend"},
            None,
            "",
        ),
    ],
)
@pytest.mark.usefixtures("churn")
def test_sampling_options_are_checked(
    workspace: Workspace,
    given: str,
    options: dict[str, object],
    error: type[Exception] | None,
    message: str,
) -> None:
    logged(workspace, 60)
    if error is None:
        assert len(sample_predictions(workspace, given, **options)) == 60  # type: ignore[arg-type]
        return
    with pytest.raises(error, match=message):
        sample_predictions(workspace, given, **options)  # type: ignore[arg-type]


def test_a_filled_sheet_imports_once_and_skips_empty_labels(
    workspace: Workspace, churn: list[ModelVersionRecord], tmp_path: Path
) -> None:
    logged(workspace, 40)
    sheet = sample_predictions(workspace, "churn", n=10)
    sheet.loc[:5, "label"] = ["1", "0", "1", "1", "0", "1"]
    path = tmp_path / "labels.csv"
    sheet.to_csv(path, index=False)
    done = import_feedback(workspace, path, user="ana")
    assert (done.written, done.empty, done.unchanged) == ({"churn": 6}, 4, 0)
    log = read_predictions(workspace, "churn").set_index("prediction_id")
    labels = log.loc[sheet["prediction_id"][:6], "label"].tolist()
    assert labels == [1, 0, 1, 1, 0, 1]  # integers, as the model's predictions
    again = import_feedback(workspace, path)
    assert (again.total, again.empty, again.unchanged) == (0, 4, 6)
    assert again.batches == []
    history = workspace.deployments.list_prediction_batches(kind="feedback")
    assert len(history) == 1


def test_a_bad_sheet_writes_nothing_and_names_its_rows(
    workspace: Workspace, churn: list[ModelVersionRecord], tmp_path: Path
) -> None:
    logged(workspace, 40)
    sheet = sample_predictions(workspace, "churn", n=6)
    sheet["label"] = ["1", "maybe", "", "0", "1.5", "1"]
    sheet.loc[3, "prediction_id"] = "f" * 28
    sheet.loc[5, "prediction_id"] = sheet.loc[0, "prediction_id"]
    path = tmp_path / "labels.csv"
    sheet.to_csv(path, index=False)
    with pytest.raises(InvalidInputError) as caught:
        import_feedback(workspace, path)
    text = str(caught.value)
    assert text.startswith("4 row(s) of the sheet refused; nothing was imported")
    assert "line 7: prediction id" in text and "is on line 2 too" in text
    assert "line 3 (" in text and "the model's labels are integers, got 'maybe'" in text
    assert (
        "line 6 (" in text and "the model's labels are integers, got float 1.5" in text
    )
    assert f"line 5 ({'f' * 28}): unknown prediction id" in text
    assert workspace.deployments.list_prediction_batches(kind="feedback") == []


def test_a_different_label_needs_overwrite(
    workspace: Workspace, churn: list[ModelVersionRecord], tmp_path: Path
) -> None:
    ids = logged(workspace, 10)
    log_feedback(workspace, "churn", {ids[0]: 1})
    sheet = pd.DataFrame({"prediction_id": ids[:2], "label": [0, 1]})
    with pytest.raises(
        InvalidInputError, match=r"row 0 .*already labelled 1"
    ) as caught:
        import_feedback(workspace, sheet, model="churn")
    assert "rung feedback import FILE --overwrite" in with_hint(caught.value)
    done = import_feedback(workspace, sheet, model="churn", overwrite=True)
    assert done.written == {"churn": 2}
    log = read_predictions(workspace, "churn").set_index("prediction_id")
    assert log.loc[ids[0], "label"] == 0
    path = tmp_path / "labels.parquet"
    sheet.to_parquet(path)
    assert import_feedback(workspace, path, model="churn").unchanged == 2


@pytest.mark.parametrize(
    ("sheet", "model", "message"),
    [
        (pd.DataFrame({"prediction_id": ["a"]}), "churn", "no label column"),
        (pd.DataFrame({"prediction_id": ["a"], "label": [1]}), None, "no model column"),
        (
            pd.DataFrame({"prediction_id": ["a"], "label": [1], "model": ["other"]}),
            "churn",
            "row 0: model 'other', but the import is for 'churn'",
        ),
    ],
)
def test_sheets_without_what_an_import_needs_are_refused(
    workspace: Workspace,
    churn: list[ModelVersionRecord],
    sheet: pd.DataFrame,
    model: str | None,
    message: str,
) -> None:
    with pytest.raises(ServingError, match=message):
        import_feedback(workspace, sheet, model=model)


def test_an_unreadable_sheet_is_a_clear_error(
    workspace: Workspace, tmp_path: Path
) -> None:
    with pytest.raises(ServingError, match="Cannot read"):
        import_feedback(workspace, tmp_path / "missing.csv")
    with pytest.raises(ServingError, match=r"use a \.parquet or \.csv file"):
        import_feedback(workspace, tmp_path / "labels.xlsx")
