"""Late labels end to end: estimate, sample, label by hand, import, compare."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from tests.e2e.conftest import Cli


def rows(count: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x": rng.normal(0, 1, count), "n": rng.integers(0, 5, count)})
    frame["y"] = (frame["x"] + rng.normal(0, 0.7, count) > 0).astype(int)
    return frame


@pytest.fixture
def served(cli: Cli, project: Path) -> list[str]:
    """churn@production, a labelled validation dataset, 400 unlabelled predictions."""
    from sklearn.linear_model import LogisticRegression

    import rung
    from rung.catalog import register_dataset
    from rung.registry import promote_model, register_model
    from rung.serving import log_predictions

    assert cli("init")[0] == 0
    ws = rung.open_workspace(project)
    train = rows(2000, 0)
    model = LogisticRegression().fit(train[["x", "n"]], train["y"])
    register_model(ws, model, name="churn", signature=train[["x", "n"]])
    promote_model(ws, "churn", 1, "production")
    rows(2000, 1).to_csv(project / "validation.csv", index=False)
    register_dataset(ws, "validation", str(project / "validation.csv"))
    live = rows(400, 2)
    outputs = {
        "prediction": model.predict(live[["x", "n"]]),
        "probabilities": model.predict_proba(live[["x", "n"]]),
        "classes": list(model.classes_),
    }
    ids = log_predictions(ws, "churn/1", live[["x", "n"]], outputs)
    live.assign(prediction_id=ids).to_csv(project / "truth.csv", index=False)
    return ids


def as_json(cli: Cli, *args: str) -> Any:
    code, out = cli(*args, "--json")
    assert code == 0, out
    return json.loads(out)


def test_estimate_then_label_a_sample_and_compare(
    cli: Cli, served: list[str], project: Path
) -> None:
    created = as_json(
        cli,
        "monitor",
        "create",
        "churn",
        "--model",
        "churn@production",
        "--reference",
        "dataset:validation",
        "--label",
        "y",
        "--checks",
        "performance,estimated_performance",
        "--threshold",
        "accuracy_drop=0.05",
    )
    assert created["checks"] == ["performance", "estimated_performance"]
    code, out = cli("monitor", "run", "churn")
    assert code == 0 and "estimated_performance: passed accuracy~0." in out, out
    assert "performance: not_computable - no labels have arrived" in out

    code, out = cli(
        "predictions", "sample", "churn", "--n", "60", "--stratify", "prediction",
        "--seed", "1", "-o", "labels.csv",
    )  # fmt: skip
    assert code == 0 and "Wrote 60 predictions to label" in out, out
    sheet = pd.read_csv(project / "labels.csv")
    assert sheet["label"].isna().all() and set(sheet["prediction_id"]) <= set(served)
    truth = pd.read_csv(project / "truth.csv").set_index("prediction_id")["y"]
    sheet["label"] = truth.loc[sheet["prediction_id"]].to_numpy()
    sheet.loc[:9, "label"] = None  # not labelled yet
    sheet.to_csv(project / "labels.csv", index=False)

    code, out = cli("feedback", "import", "labels.csv")
    assert code == 0 and "Imported 50 label(s) (50 for churn); skipped 10" in out
    again = as_json(cli, "feedback", "import", "labels.csv")
    assert (again["written"], again["empty"], again["unchanged"]) == ({}, 10, 50)

    assert cli("monitor", "run", "churn")[0] == 0
    code, out = cli("monitor", "status", "churn")
    flat = " ".join(out.split())
    assert code == 0 and "(50 labelled rows, 95% CI)" in flat, flat
    assert "estimated_performance: passed accuracy~" in flat
    code, out = cli("monitor", "report", "churn", "--format", "json")
    report = json.loads(out)
    first = report["estimated_vs_realised"][-1]
    assert first["rows"] == 400 and first["labelled_rows"] == 50
    low, high = first["metrics"]["accuracy"]["interval"]
    assert low < first["metrics"]["accuracy"]["realised"] < high


def test_bad_sheets_and_unknown_deployments_are_one_clear_error(
    cli: Cli, served: list[str], project: Path
) -> None:
    pd.DataFrame(
        {"prediction_id": [served[0], "nope", served[1]], "model": "churn",
         "label": ["1", "0", "yes"]}
    ).to_csv(project / "bad.csv", index=False)  # fmt: skip
    done = cli.process("feedback", "import", "bad.csv")
    said = " ".join(done.stderr.split())
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "2 row(s) of the sheet refused; nothing was imported" in said
    assert "line 3 (nope): unknown prediction id" in said
    assert "line 4 (" in said and "the model's labels are integers, got 'yes'" in said
    assert as_json(cli, "predictions", "batches", "--feedback") == []

    missing = cli.process("feedback", "import", "missing.csv")
    assert missing.returncode == 1 and "No file 'missing.csv'" in missing.stderr
    unknown = cli.process("predictions", "sample", "nope", "-o", "x.csv")
    said = " ".join(unknown.stderr.split())
    assert unknown.returncode == 1 and "no model is named 'nope'" in said
    assert "rung predictions deployments" in said
    wrong = cli.process(
        "predictions", "sample", "churn", "--since", "soon", "-o", "x.csv"
    )
    assert wrong.returncode == 1 and "Cannot read --since 'soon'" in wrong.stderr
