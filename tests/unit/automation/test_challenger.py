"""compare_challenger: champion and challenger scored on one frozen window."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest

from rung import pipeline, registry, step
from rung.automation import (
    challenger_ledger,
    compare_challenger,
    get_comparison,
    holdout_mask,
)
from rung.automation.errors import ChallengerDataError, ChallengerError
from rung.errors import MonitorDefinitionError
from rung.monitoring import evaluate_performance
from rung.registry import archive_version, promote_model
from rung.serving import read_predictions
from tests.unit.automation.challenger_models import (
    churn_frame,
    fit,
    register,
    serve_and_label,
    specialist_and_generalist,
    weak_and_strong,
)

if TYPE_CHECKING:
    from rung.workspace import Workspace


@step
def load() -> pd.DataFrame:
    return churn_frame(600, seed=3)


@step
def train(data: pd.DataFrame, noise: float = 0.0) -> Any:
    """Train on the rows holdout_mask leaves in, so the held-out rows stay out."""
    return fit(data[~holdout_mask(data)], noise=noise)


@pipeline
def training(noise: float = 0.0) -> None:
    train(load(), noise=noise)


def _check(result: Any, kind: str) -> dict[str, Any]:
    [found] = [c for c in result.checks if c["check"] == kind]
    return dict(found)


def test_a_better_challenger_gets_a_promote_verdict_with_its_numbers(
    workspace: Workspace,
) -> None:
    weak, _ = weak_and_strong(workspace)
    serve_and_label(workspace, weak)
    result = compare_challenger(
        workspace, "churn", 2, slices=["region=CA"], latency_ceiling_ms=1e9
    )
    assert result.verdict == "promote"
    assert (result.champion_version, result.challenger_version) == (1, 2)
    assert (result.window["rows"], result.window["labelled_rows"]) == (300, 300)
    assert len(result.window["content_hash"]) == 64
    metric = _check(result, "metric")
    assert metric["passed"] and metric["improvement"] > 0.05
    assert metric["challenger"] == result.challenger_metrics["accuracy"]
    assert "needs better by >= 0.01" in metric["detail"]
    [ca] = result.slices
    assert ca["slice"] == "region=CA" and ca["checked"] and ca["rows"] > 50
    assert _check(result, "latency")["passed"]
    assert result.latency["rows_timed"] == 300
    assert result.latency["challenger_ms_per_1k"] > 0
    assert all(line.startswith("ok: ") for line in result.reasons)
    assert get_comparison(workspace, result.id[:8]) == result
    [entry] = challenger_ledger(workspace, "churn")
    assert (entry.action, entry.comparison_id) == ("compared", result.id)
    assert entry.reason == "promote: every check passed"


def test_the_champion_is_scored_on_the_inputs_production_logged(
    workspace: Workspace,
) -> None:
    weak, _ = weak_and_strong(workspace)
    serve_and_label(workspace, weak, labelled=0.5)
    result = compare_challenger(workspace, "churn", 2)
    logged = read_predictions(workspace, "churn")
    live = evaluate_performance(
        logged[["label", "prediction", "proba_0", "proba_1"]], task="classification"
    )
    assert result.window["labelled_rows"] == live.rows == 150
    assert result.champion_metrics == pytest.approx(dict(live.metrics))


def test_a_stored_window_replays_to_the_same_rows_and_hash(
    workspace: Workspace,
) -> None:
    weak, _ = weak_and_strong(workspace)
    serve_and_label(workspace, weak)
    first = compare_challenger(workspace, "churn", 2)
    serve_and_label(workspace, weak, seed=12)  # newer rows, outside the window
    window = (first.window["since"], first.window["until"])
    replay = compare_challenger(workspace, "churn", 2, window=window)
    assert replay.window["content_hash"] == first.window["content_hash"]
    assert replay.challenger_metrics == first.challenger_metrics
    wider = compare_challenger(workspace, "churn", 2)
    assert wider.window["labelled_rows"] == 600
    assert wider.window["content_hash"] != first.window["content_hash"]


def test_a_challenger_not_better_by_the_margin_keeps_the_champion(
    workspace: Workspace,
) -> None:
    weak, _ = weak_and_strong(workspace)
    serve_and_label(workspace, weak)
    result = compare_challenger(workspace, "churn", 2, margin=0.5)
    assert result.verdict == "keep"
    assert result.reasons[0].startswith("FAILED: accuracy")
    assert "needs better by >= 0.5" in result.reasons[0]


def test_a_slice_worse_beyond_its_tolerance_keeps_the_champion(
    workspace: Workspace,
) -> None:
    specialist, _ = specialist_and_generalist(workspace)
    serve_and_label(workspace, specialist)
    result = compare_challenger(workspace, "churn", 2, slices=["region=CA"])
    assert _check(result, "metric")["passed"]
    ca = _check(result, "slice")
    assert not ca["passed"] and ca["worse"] > 0.02
    assert "slice region=CA" in ca["detail"] and "worse by" in ca["detail"]
    assert result.verdict == "keep"
    tolerant = compare_challenger(workspace, "churn", 2, slices={"region=CA": 0.1})
    assert tolerant.verdict == "promote"


def test_a_slice_with_too_few_rows_is_noted_not_checked(workspace: Workspace) -> None:
    weak, _ = weak_and_strong(workspace)
    serve_and_label(workspace, weak)
    result = compare_challenger(
        workspace, "churn", 2, slices=["region=CA"], min_slice_rows=1000
    )
    assert result.verdict == "promote"
    assert [c["check"] for c in result.checks] == ["metric"]
    assert any("slice region=CA not checked" in n for n in result.notes)
    assert result.slices[0]["checked"] is False


def test_a_latency_ceiling_keeps_a_challenger_slower_than_it(
    workspace: Workspace,
) -> None:
    weak, _ = weak_and_strong(workspace)
    serve_and_label(workspace, weak)
    result = compare_challenger(workspace, "churn", 2, latency_ceiling_ms=1e-9)
    latency = _check(result, "latency")
    assert not latency["passed"] and "ceiling 1e-09 ms" in latency["detail"]
    assert result.verdict == "keep"


def test_regressors_compare_on_rmse_where_lower_is_better(
    workspace: Workspace,
) -> None:
    from sklearn.linear_model import LinearRegression

    from rung.serving import log_feedback, log_predictions

    rng = np.random.default_rng(0)
    x = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    y = 3 * x["a"] - x["b"]
    blind_to_b = LinearRegression().fit(x.assign(b=0.0), y)
    for model in (blind_to_b, LinearRegression().fit(x, y)):
        registry.register_model(workspace, model, name="price", signature=x)
    promote_model(workspace, "price", 1, "production")
    champion = registry.load_model(workspace, "price/1")
    ids = log_predictions(workspace, "price/1", x, champion.predict(x))
    log_feedback(workspace, "price", dict(zip(ids, y.tolist(), strict=True)))
    result = compare_challenger(workspace, "price", 2, margin=0.1)
    assert result.metric == "rmse"
    assert result.challenger_metrics["rmse"] < result.champion_metrics["rmse"] - 0.1
    assert result.verdict == "promote"


def test_held_out_training_rows_are_scored_when_lineage_has_the_table(
    workspace: Workspace,
) -> None:
    for noise in (0.35, 0.0):
        register(workspace, training(noise=noise), step="train")
    promote_model(workspace, "churn", 1, "production")
    serve_and_label(workspace, registry.load_model(workspace, "churn/1"))
    result = compare_challenger(workspace, "churn", 2, holdout_tolerance=0.0)
    held = result.holdout
    assert held["target"] == "churned" and 90 < held["rows"] < 150
    assert "20% by row hash" in held["source"]
    assert held["challenger"]["accuracy"] > held["champion"]["accuracy"]
    assert _check(result, "holdout")["passed"]
    skipped = compare_challenger(workspace, "churn", 2, holdout=None)
    assert skipped.holdout == {} and not any("held-out" in n for n in skipped.notes)


def test_holdout_mask_is_deterministic_and_about_a_fifth() -> None:
    frame = churn_frame(2000, seed=1)
    mask = holdout_mask(frame)
    assert mask.tolist() == holdout_mask(frame.copy()).tolist()
    assert 0.17 < mask.mean() < 0.23
    with pytest.raises(ChallengerDataError, match=r"between 0 and 1, got 1\.5"):
        holdout_mask(frame, 1.5)


def test_a_model_without_training_lineage_notes_the_missing_holdout(
    workspace: Workspace,
) -> None:
    weak, _ = weak_and_strong(workspace)
    serve_and_label(workspace, weak)
    result = compare_challenger(workspace, "churn", 2)
    assert result.holdout == {}
    assert any("records no training data" in note for note in result.notes)


# -- the failure paths -------------------------------------------------------------


def test_a_model_without_a_champion_is_refused(workspace: Workspace) -> None:
    train = churn_frame(200)
    register(workspace, fit(train))
    register(workspace, fit(train, noise=0.2))
    with pytest.raises(ChallengerError, match="no 'production' version to challenge"):
        compare_challenger(workspace, "churn", 2)


def test_no_feedback_labels_in_the_window_is_a_clear_error(
    workspace: Workspace,
) -> None:
    weak, _ = weak_and_strong(workspace)
    with pytest.raises(ChallengerDataError, match=r"0 prediction\(s\) logged"):
        compare_challenger(workspace, "churn", 2)
    serve_and_label(workspace, weak, labelled=0.0)
    with pytest.raises(
        ChallengerDataError,
        match=r"No feedback labels in the last 7d for model 'churn' \(300 prediction"
        r".*load labels with the feedback API first",
    ):
        compare_challenger(workspace, "churn", 2)


def test_too_few_labelled_rows_is_a_clear_error(workspace: Workspace) -> None:
    weak, _ = weak_and_strong(workspace)
    serve_and_label(workspace, weak, labelled=0.1)
    with pytest.raises(
        ChallengerDataError, match=r"Only 30 labelled row\(s\).*at least 100"
    ):
        compare_challenger(workspace, "churn", 2)
    assert (
        compare_challenger(workspace, "churn", 2, min_rows=30).window["labelled_rows"]
        == 30
    )


def test_versions_whose_signatures_differ_are_not_compared(
    workspace: Workspace,
) -> None:
    from sklearn.linear_model import LogisticRegression

    weak, _ = weak_and_strong(workspace)
    serve_and_label(workspace, weak)
    train = churn_frame(200)
    narrow = LogisticRegression().fit(train[["tenure", "spend"]], train["churned"])
    registry.register_model(
        workspace, narrow, name="churn", signature=train[["tenure", "spend"]]
    )
    with pytest.raises(
        ChallengerError, match=r"signatures differ \(column 'region' is missing\)"
    ):
        compare_challenger(workspace, "churn", 3)


def test_the_champion_or_an_archived_version_cannot_challenge(
    workspace: Workspace,
) -> None:
    weak_and_strong(workspace)
    with pytest.raises(ChallengerError, match="already the champion"):
        compare_challenger(workspace, "churn", 1)
    archive_version(workspace, "churn", 2)
    with pytest.raises(ChallengerError, match="archived and cannot be promoted"):
        compare_challenger(workspace, "churn", 2)


def test_unknown_metrics_slices_and_deployments_are_clear_errors(
    workspace: Workspace,
) -> None:
    weak, _ = weak_and_strong(workspace)
    serve_and_label(workspace, weak)
    with pytest.raises(ChallengerError, match=r"Unknown metric 'rmse'.*accuracy"):
        compare_challenger(workspace, "churn", 2, metric="rmse")
    with pytest.raises(ChallengerDataError, match="slice 'plan=pro' names a column"):
        compare_challenger(workspace, "churn", 2, slices=["plan=pro"])
    with pytest.raises(ChallengerDataError, match="write COLUMN=VALUE"):
        compare_challenger(workspace, "churn", 2, slices=["region"])
    with pytest.raises(ChallengerError, match="has no deployment 'web'"):
        compare_challenger(workspace, "churn", 2, deployment="web")
    with pytest.raises(MonitorDefinitionError, match="Cannot read the window"):
        compare_challenger(workspace, "churn", 2, window="last week")
