"""The ``estimated_performance`` check: CBPE / DLE in a monitor, before labels."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from rung.monitoring import (
    build_report,
    create_monitor,
    list_alerts,
    render_html,
    run_monitor,
)
from rung.serving import log_feedback, log_predictions
from tests.unit.monitoring.conftest import production, scored

if TYPE_CHECKING:
    from rung.registry.records import ModelVersionRecord
    from rung.workspace import Workspace

CHECK = "estimated_performance"


def regression(rows: int, *, low: float, seed: int) -> pd.DataFrame:
    """A regressor whose error grows with ``x`` (uniform in [low, 1])."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(low, 1.0, rows)
    truth = 3.0 * x + rng.normal(0.0, 0.2 + x, rows)
    return pd.DataFrame({"x": x, "label": truth, "prediction": 3.0 * x})


def test_cbpe_passes_a_calm_window_and_breaches_an_uncertain_one(
    workspace: Workspace,
) -> None:
    reference = scored(5000, 2, 2, seed=0)
    create_monitor(
        workspace,
        "calm",
        reference=reference,
        current=scored(1000, 2, 2, seed=1).drop(columns="label"),
        checks=[CHECK],
    )
    calm = run_monitor(workspace, "calm", now=100.0)
    outcome = calm.outcomes[CHECK]
    assert outcome.status == "passed", outcome.summary
    summary = outcome.summary
    assert (summary["method"], summary["task"], summary["rows"]) == (
        "cbpe",
        "binary",
        1000,
    )
    realised = float(np.mean(reference["label"] == reference["prediction"]))
    assert summary["reference"]["accuracy"] == pytest.approx(realised)
    low, high = summary["confidence"]["accuracy"]
    assert low < summary["metrics"]["accuracy"] < high
    assert summary["metrics"]["accuracy"] == pytest.approx(realised, abs=0.03)

    create_monitor(
        workspace,
        "uncertain",
        reference=reference,
        current=scored(1000, 30, 30, seed=2).drop(columns="label"),
        checks=[CHECK],
        thresholds={"accuracy_drop": 0.05},
    )
    bad = run_monitor(workspace, "uncertain", now=200.0)
    outcome = bad.outcomes[CHECK]
    assert outcome.status == "breached" and "accuracy" in outcome.summary["degraded"]
    assert outcome.summary["metrics"]["accuracy"] < 0.6
    [alert] = list_alerts(workspace, "uncertain", status="open")
    assert alert.check == CHECK and alert.severity == "critical"
    assert alert.evidence["method"] == "cbpe"
    assert alert.evidence["thresholds"]["accuracy_drop"] == 0.05
    assert alert.evidence["reference_values"]["accuracy"] == pytest.approx(realised)
    assert (
        alert.evidence["estimated"]["accuracy"]
        == outcome.summary["metrics"]["accuracy"]
    )
    assert alert.message.startswith("estimated accuracy 0.")
    values = workspace.monitors.list_check_values(
        workspace.project, "uncertain", check=CHECK
    )
    by_metric = {v.metric: v for v in values}
    assert by_metric["accuracy"].breached is True
    assert by_metric["accuracy"].threshold == 0.05
    assert by_metric["accuracy_reference"].value == pytest.approx(realised)
    assert by_metric["accuracy_lower"].value == pytest.approx(
        outcome.summary["confidence"]["accuracy"][0]
    )
    assert by_metric["rows"].value == 1000.0


def test_dle_estimates_a_regressor_and_breaches_when_the_error_grows(
    workspace: Workspace,
) -> None:
    reference = regression(4000, low=0.0, seed=0)
    current = regression(800, low=0.8, seed=1)
    create_monitor(
        workspace,
        "prices",
        reference=reference,
        current=current.drop(columns="label"),
        checks=[CHECK],
        thresholds={"mae_drop": 0.2},
    )
    result = run_monitor(workspace, "prices", now=10.0)
    outcome = result.outcomes[CHECK]
    assert (
        outcome.summary["method"] == "dle" and outcome.summary["task"] == "regression"
    )
    mae = float(np.mean(np.abs(reference["label"] - reference["prediction"])))
    assert outcome.summary["reference"]["mae"] == pytest.approx(mae)
    assert outcome.status == "breached" and "mae" in outcome.summary["degraded"]
    actual = float(np.mean(np.abs(current["label"] - current["prediction"])))
    assert outcome.summary["metrics"]["mae"] == pytest.approx(actual, abs=0.1)
    assert outcome.summary["degradation"]["mae"] > 0.2


@pytest.mark.parametrize(
    ("reference", "current", "reason"),
    [
        (
            scored(2000, 2, 2, seed=0).drop(columns="label"),
            scored(500, 2, 2, seed=1),
            "the reference has no label column",
        ),
        (
            scored(2000, 2, 2, seed=0).drop(columns=["proba_0", "proba_1"]),
            scored(500, 2, 2, seed=1).drop(columns=["proba_0", "proba_1"]),
            "the model gives no probabilities",
        ),
        (
            scored(2000, 2, 2, seed=0),
            scored(500, 2, 2, seed=1).drop(columns=["proba_0", "proba_1"]),
            "the current rows have no probabilities (proba_0, proba_1)",
        ),
        (
            scored(2000, 2, 2, seed=0),
            scored(30, 2, 2, seed=1),
            "the window has 30 rows, fewer than the 50 an estimate needs",
        ),
        (
            scored(40, 2, 2, seed=0),
            scored(500, 2, 2, seed=1),
            "The reference has 40 rows, fewer than the minimum of 50",
        ),
        (
            scored(2000, 2, 2, seed=0).assign(label=1),
            scored(500, 2, 2, seed=1),
            "one class",
        ),
    ],
)
def test_an_estimate_that_cannot_be_trusted_is_not_computable(
    workspace: Workspace,
    reference: pd.DataFrame,
    current: pd.DataFrame,
    reason: str,
) -> None:
    create_monitor(workspace, "m", reference=reference, current=current, checks=[CHECK])
    result = run_monitor(workspace, "m")
    outcome = result.outcomes[CHECK]
    assert outcome.status == "not_computable"
    assert reason in outcome.summary["reason"]
    assert "metrics" not in outcome.summary and outcome.values == []
    assert list_alerts(workspace) == []


def test_the_threshold_min_chunk_rows_lowers_the_floor_knowingly(
    workspace: Workspace,
) -> None:
    create_monitor(
        workspace,
        "small",
        reference=scored(2000, 2, 2, seed=0),
        current=scored(30, 2, 2, seed=1).drop(columns="label"),
        checks=[CHECK],
        thresholds={"min_chunk_rows": 20},
    )
    outcome = run_monitor(workspace, "small").outcomes[CHECK]
    assert outcome.status == "passed" and outcome.summary["rows"] == 30


def test_the_prediction_log_and_the_models_own_probabilities(
    workspace: Workspace, churn: ModelVersionRecord
) -> None:
    from rung.registry import load_model

    model = load_model(workspace, "churn@production")
    validation = production(2000, seed=11)
    create_monitor(
        workspace,
        "churn",
        model="churn@production",
        reference=validation,
        checks=["performance", CHECK],
    )
    rows = production(400, seed=12, labels=False)
    ids = log_predictions(workspace, "churn/1", rows, model.predict(rows))
    result = run_monitor(workspace, "churn")
    # Logged without probabilities: the model gives them for the estimate.
    outcome = result.outcomes[CHECK]
    assert outcome.status in ("passed", "breached"), outcome.summary
    assert outcome.summary["method"] == "cbpe" and outcome.summary["rows"] == 400
    assert result.outcomes["performance"].status == "not_computable"

    truth = (rows["visits"] < 4).astype(int)
    log_feedback(workspace, "churn", dict(zip(ids, truth.tolist(), strict=True)))
    report = build_report(workspace, "churn")
    [entry] = report["estimated_vs_realised"]
    assert entry["labelled_rows"] == 400 and entry["rows"] == 400
    accuracy = entry["metrics"]["accuracy"]
    actual = float(np.mean(model.predict(rows) == truth))
    assert accuracy["realised"] == pytest.approx(actual)
    assert accuracy["estimated"] == outcome.summary["metrics"]["accuracy"]
    low, high = accuracy["interval"]
    assert low < actual < high
    page = render_html(report)
    assert "Estimated and realised performance" in page
    assert "accuracy estimated" in page and "accuracy realised" in page


def test_estimated_performance_is_asked_for_not_a_default(
    workspace: Workspace, churn: ModelVersionRecord
) -> None:
    record = create_monitor(workspace, "churn", model="churn@production")
    assert CHECK not in record.checks and "performance" in record.checks
