"""Performance estimated without labels: CBPE (classification), DLE (regression).

Synthetic data with known calibration: a row's label is drawn with the
probability the model gives it, so the realised metrics of a large chunk sit
within a few sampling errors of what CBPE estimates. Agreement with NannyML
itself is checked in tests/integration/test_estimate_vs_nannyml.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as sk
from sklearn.isotonic import IsotonicRegression

from rung.errors import EstimationError, MonitoringError
from rung.monitoring import (
    PerformanceEstimate,
    estimate_classification_performance,
    estimate_regression_performance,
    fit_cbpe,
    fit_dle,
)
from rung.monitoring._calibration import fit_isotonic, needs_calibration, weighted_auc
from rung.monitoring._chunking import ChunkPlan
from tests.doc_sessions import doc_files


def binary_rows(
    count: int, *, seed: int, a: float = 2.0, b: float = 2.0, distort: bool = False
) -> dict[str, np.ndarray]:
    """Labels drawn with probability p ~ Beta(a, b); the model reports p.

    ``distort`` reports p ** 3 instead: same ranking, badly calibrated.
    """
    rng = np.random.default_rng(seed)
    p = rng.beta(a, b, count)
    score = p**3 if distort else p
    return {
        "label": (rng.random(count) < p).astype(np.int64),
        "prediction": (score >= (0.5**3 if distort else 0.5)).astype(np.int64),
        "proba_1": score,
    }


def realized(rows: dict[str, np.ndarray], start: int, stop: int) -> dict[str, float]:
    y, hat = rows["label"][start:stop], rows["prediction"][start:stop]
    return {
        "accuracy": sk.accuracy_score(y, hat),
        "precision": sk.precision_score(y, hat),
        "recall": sk.recall_score(y, hat),
        "f1": sk.f1_score(y, hat),
        "roc_auc": sk.roc_auc_score(y, rows["proba_1"][start:stop]),
    }


def assert_close_to_realized(
    result: PerformanceEstimate, rows: dict[str, np.ndarray], errors: float = 4.0
) -> None:
    for chunk in result.chunks:
        truth = realized(rows, chunk.start, chunk.stop)
        for metric, estimate in chunk.metrics.items():
            assert estimate.value is not None and estimate.sampling_error is not None
            gap = abs(estimate.value - truth[metric])
            assert gap <= errors * estimate.sampling_error, (chunk.index, metric)


# -- CBPE: estimates ---------------------------------------------------------------


def test_cbpe_estimates_match_realized_metrics_when_probabilities_are_calibrated() -> (
    None
):
    reference = binary_rows(20_000, seed=1)
    analysis = binary_rows(40_000, seed=2, a=3.0, b=1.5)  # covariate shift

    result = estimate_classification_performance(reference, analysis, chunk_size=10_000)

    assert result.method == "cbpe" and result.task == "binary"
    assert [(c.start, c.stop) for c in result.chunks] == [
        (0, 10_000),
        (10_000, 20_000),
        (20_000, 30_000),
        (30_000, 40_000),
    ]
    assert_close_to_realized(result, analysis)


def test_cbpe_recalibrates_distorted_probabilities_before_estimating() -> None:
    reference = binary_rows(20_000, seed=3, distort=True)
    analysis = binary_rows(20_000, seed=4, a=1.5, b=3.0, distort=True)

    estimator = fit_cbpe(reference, chunk_size=5_000)
    result = estimator.estimate(analysis)

    assert estimator.calibrated == {"1": True}
    assert result.calibrated == {"1": True}
    assert_close_to_realized(result, analysis)


def test_cbpe_flags_a_drop_in_accuracy_against_reference_thresholds() -> None:
    reference = binary_rows(20_000, seed=5, a=0.5, b=0.5)  # confident model
    analysis = binary_rows(10_000, seed=6, a=4.0, b=4.0)  # probabilities near 0.5

    result = estimate_classification_performance(
        reference, analysis, chunk_size=2_000, metrics=["accuracy", "roc_auc"]
    )

    accuracy = result.chunks[0].metrics["accuracy"]
    assert accuracy.lower_threshold is not None and accuracy.value is not None
    assert accuracy.value < accuracy.lower_threshold
    assert {metric for _i, metric in result.alerts} == {"accuracy", "roc_auc"}
    assert len(result.alerts) == 2 * len(result.chunks)


def test_cbpe_does_not_flag_data_like_the_reference() -> None:
    reference = binary_rows(20_000, seed=7)
    analysis = binary_rows(10_000, seed=8)

    result = estimate_classification_performance(reference, analysis, chunk_size=2_000)

    assert result.alerts == ()
    band = result.chunks[0].metrics["accuracy"]
    assert band.lower_confidence is not None and band.upper_confidence is not None
    assert band.lower_confidence < band.value < band.upper_confidence  # type: ignore[operator]
    assert band.upper_confidence - band.lower_confidence == pytest.approx(
        6 * band.sampling_error  # type: ignore[operator]
    )


def test_cbpe_estimates_three_classes_as_macro_averages() -> None:
    rng = np.random.default_rng(9)

    def rows(count: int, concentration: list[float]) -> dict[str, np.ndarray]:
        probs = rng.dirichlet(concentration, count)
        cumulative = probs.cumsum(axis=1)
        labels = (rng.random((count, 1)) > cumulative).sum(axis=1)
        return {
            "label": np.array(["cat", "dog", "eel"])[labels],
            "prediction": np.array(["cat", "dog", "eel"])[probs.argmax(axis=1)],
            **{f"proba_{n}": probs[:, i] for i, n in enumerate(["cat", "dog", "eel"])},
        }

    reference, analysis = rows(30_000, [1, 1, 1]), rows(40_000, [2, 1, 0.5])

    result = estimate_classification_performance(reference, analysis, chunk_size=10_000)

    assert result.task == "multiclass"
    assert set(result.calibrated) == {"cat", "dog", "eel"}
    columns = ["proba_cat", "proba_dog", "proba_eel"]
    for chunk in result.chunks:
        y = analysis["label"][chunk.start : chunk.stop]
        hat = analysis["prediction"][chunk.start : chunk.stop]
        scores = np.column_stack(
            [analysis[c][chunk.start : chunk.stop] for c in columns]
        )
        truth = {
            "accuracy": sk.accuracy_score(y, hat),
            "precision": sk.precision_score(y, hat, average="macro"),
            "recall": sk.recall_score(y, hat, average="macro"),
            "f1": sk.f1_score(y, hat, average="macro"),
            "roc_auc": sk.roc_auc_score(y, scores, multi_class="ovr"),
        }
        for metric, estimate in chunk.metrics.items():
            assert estimate.value is not None and estimate.sampling_error is not None
            gap = abs(estimate.value - truth[metric])
            assert gap <= 4 * estimate.sampling_error, (chunk.index, metric)


def test_cbpe_reads_text_labels_a_chosen_positive_class_and_a_named_column() -> None:
    rows = binary_rows(6_000, seed=10)
    words = np.array(["stay", "churn"])
    text = {
        "y": words[rows["label"]],
        "hat": words[rows["prediction"]],
        "score_stay": 1.0 - rows["proba_1"],
    }

    stay = fit_cbpe(
        text, label="y", prediction="hat", proba={"stay": "score_stay"}, chunk_size=1000
    )
    churn = fit_cbpe(
        text,
        label="y",
        prediction="hat",
        proba={"stay": "score_stay"},
        positive="churn",
        chunk_size=1000,
    )

    assert stay.classes == ("churn", "stay")  # the larger class is positive
    assert stay.columns == ("score_stay",) and not stay.complement
    assert churn.classes == ("stay", "churn")
    assert churn.complement  # churn's probability is 1 - score_stay
    churn_recall = churn.estimate(text).values("recall")
    truth = sk.recall_score(rows["label"][:1000], rows["prediction"][:1000])
    assert churn_recall[0] == pytest.approx(truth, abs=0.05)
    assert stay.estimate(text).values("accuracy") == pytest.approx(
        churn.estimate(text).values("accuracy"), abs=0.01
    )


def test_cbpe_accepts_the_prediction_logs_boolean_labels_and_proba_true_column() -> (
    None
):
    rows = binary_rows(4_000, seed=11)
    logged = pd.DataFrame(
        {
            "label": rows["label"].astype(bool),
            "prediction": rows["prediction"].astype(bool),
            "proba_False": 1.0 - rows["proba_1"],
            "proba_True": rows["proba_1"],
        }
    )

    result = estimate_classification_performance(
        logged, logged.drop(columns="label"), chunk_number=4
    )

    assert result.chunking == "chunk_number=4"
    assert [c.rows for c in result.chunks] == [1000] * 4
    assert all(v is not None for v in result.values("f1"))


def test_cbpe_roc_auc_alone_needs_no_prediction_column() -> None:
    rows = binary_rows(5_000, seed=12)
    scores_only = {"label": rows["label"], "proba_1": rows["proba_1"]}

    result = estimate_classification_performance(
        scores_only, {"proba_1": rows["proba_1"]}, metrics="roc_auc", chunk_size=1000
    )

    assert result.metrics == ("roc_auc",)
    assert all(v is not None for v in result.values("roc_auc"))


def test_cbpe_precision_of_a_chunk_without_positive_predictions_is_undefined() -> None:
    reference = binary_rows(4_000, seed=13)
    analysis = {"proba_1": np.full(1_000, 0.2), "prediction": np.zeros(1_000)}

    chunk = estimate_classification_performance(
        reference, analysis, chunk_size=1000
    ).chunks[0]

    assert chunk.metrics["precision"].value is None
    assert "predicted positive" in chunk.metrics["precision"].reason
    assert chunk.metrics["precision"].alert is False
    assert chunk.metrics["accuracy"].value is not None


def test_estimate_results_are_plain_data() -> None:
    rows = binary_rows(3_000, seed=14)

    result = estimate_classification_performance(rows, rows, chunk_size=1000)

    table = result.to_rows()
    assert len(table) == 3 * 5
    assert {"chunk", "start", "stop", "metric", "value", "alert"} <= set(table[0])
    json.dumps(result.to_dict())
    with pytest.raises(AttributeError, match="cannot assign"):
        result.task = "regression"  # type: ignore[misc]


# -- CBPE: helpers -----------------------------------------------------------------


def test_isotonic_map_predicts_as_scikit_learns_isotonic_regression() -> None:
    rng = np.random.default_rng(15)
    scores = np.round(rng.random(5_000), 3)  # ties on purpose
    hits = (rng.random(5_000) < scores**2).astype(np.float64)
    probe = np.concatenate([rng.random(1_000), [-0.5, 0.0, 1.0, 1.5]])

    ours = fit_isotonic(scores, hits).predict(probe)
    theirs = IsotonicRegression(out_of_bounds="clip").fit(scores, hits).predict(probe)

    np.testing.assert_allclose(ours, theirs, atol=1e-12)


def test_weighted_auc_with_labels_is_scikit_learns_roc_auc_with_ties() -> None:
    rng = np.random.default_rng(16)
    scores = np.round(rng.random(3_000), 2)
    hits = (rng.random(3_000) < scores).astype(np.float64)

    assert weighted_auc(hits, scores) == pytest.approx(sk.roc_auc_score(hits, scores))
    assert np.isnan(weighted_auc(np.ones(10), scores[:10]))


def test_calibration_check_skips_near_perfect_and_calibrated_scores() -> None:
    rng = np.random.default_rng(17)
    hits = (rng.random(5_000) < 0.5).astype(np.float64)
    separated = np.where(hits == 1, 0.6, 0.4) + rng.normal(0, 0.01, 5_000)
    p = rng.random(20_000)
    distorted_hits = (rng.random(20_000) < p).astype(np.float64)

    assert not needs_calibration(hits, separated)  # ROC AUC above 0.999
    assert needs_calibration(distorted_hits, p**4)


# -- chunking ----------------------------------------------------------------------


def test_chunks_by_size_fold_a_short_tail_into_the_last_chunk() -> None:
    plan = ChunkPlan.parse(100, None, 50)

    assert plan.split(1_030, "data").stops.tolist() == [
        100 * i for i in range(1, 10)
    ] + [1_030]
    assert plan.split(1_060, "data").stops.tolist()[-2:] == [1_000, 1_060]
    assert plan.split(70, "data").stops.tolist() == [70]


def test_chunks_by_number_are_equal_within_one_row() -> None:
    chunks = ChunkPlan.parse(None, 3, 50).split(1_000, "data")

    assert chunks.sizes.tolist() == [333, 333, 334]
    assert ChunkPlan.parse(None, None, 50).number == 10
    assert ChunkPlan.parse(np.int64(500), None, 50).size == 500


@pytest.mark.parametrize(
    ("size", "number", "minimum", "match"),
    [
        (100, 5, 50, "not both"),
        (20, None, 50, "below the minimum of 50 rows"),
        (0, None, 50, "chunk_size must be at least 1; got 0"),
        (None, 2.5, 50, "chunk_number must be an integer; got 2.5"),
        (100, None, 1, "min_chunk_rows must be at least 2"),
    ],
)
def test_chunk_options_are_checked(
    size: Any, number: Any, minimum: int, match: str
) -> None:
    with pytest.raises(EstimationError, match=match):
        ChunkPlan.parse(size, number, minimum)


def test_too_few_rows_for_one_chunk_is_refused_with_the_counts() -> None:
    reference = binary_rows(2_000, seed=18)
    estimator = fit_cbpe(reference, chunk_size=500)

    with pytest.raises(EstimationError, match="analysis data has 30 rows, fewer than"):
        estimator.estimate({k: v[:30] for k, v in reference.items()})
    with pytest.raises(EstimationError, match=r"Use chunk_number <= 40"):
        fit_cbpe(reference, chunk_number=50)


# -- CBPE: bad input ---------------------------------------------------------------


def test_a_classifier_without_predict_proba_gets_told_what_to_provide() -> None:
    rows = binary_rows(2_000, seed=19)
    no_probabilities = {"label": rows["label"], "prediction": rows["prediction"]}

    with pytest.raises(EstimationError, match="no probability column") as caught:
        estimate_classification_performance(no_probabilities, no_probabilities)
    assert "CalibratedClassifierCV" in str(caught.value)
    assert isinstance(caught.value, MonitoringError)
    assert isinstance(caught.value, ValueError)


def test_a_reference_without_labels_is_refused() -> None:
    rows = binary_rows(2_000, seed=20)
    del rows["label"]

    with pytest.raises(EstimationError, match=r"no column 'label'.*labelled"):
        fit_cbpe(rows)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"label": np.ones(2_000)}, "one class only"),
        ({"label": np.where(np.arange(2_000) == 7, np.nan, 1.0)}, "1 missing values"),
        ({"proba_1": np.full(2_000, np.nan)}, "2000 missing probabilities"),
        ({"proba_1": np.linspace(-3, 3, 2_000)}, r"probabilities lie in \[0, 1\]"),
        ({"proba_1": np.array(["high"] * 2_000, dtype=object)}, "non-numeric"),
        ({"prediction": np.full(2_000, 3)}, r"holds \['3'\], which are not classes"),
    ],
)
def test_bad_reference_columns_are_refused(change: dict[str, Any], match: str) -> None:
    rows = {**binary_rows(2_000, seed=21), **change}

    with pytest.raises(EstimationError, match=match):
        fit_cbpe(rows)


def test_bad_analysis_columns_are_refused() -> None:
    estimator = fit_cbpe(binary_rows(2_000, seed=22))
    good = binary_rows(1_000, seed=23)

    with pytest.raises(
        EstimationError, match=r"missing probabilities \(first at row 5\)"
    ):
        estimator.estimate(
            {**good, "proba_1": np.where(np.arange(1_000) == 5, np.nan, 0.5)}
        )
    with pytest.raises(EstimationError, match=r"no column 'prediction'.*accuracy"):
        estimator.estimate({"proba_1": good["proba_1"]})
    with pytest.raises(EstimationError, match="Cannot read the analysis data"):
        estimator.estimate([1, 2, 3])


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"metrics": ["accuracy", "brier"]}, r"Cannot estimate \['brier'\]"),
        ({"metrics": []}, "no metric"),
        ({"positive": "maybe"}, "is not a class"),
        ({"prediction": "guess"}, "no column 'guess'.*need the predicted labels"),
    ],
)
def test_bad_options_are_refused(options: dict[str, Any], match: str) -> None:
    with pytest.raises(EstimationError, match=match):
        fit_cbpe(binary_rows(2_000, seed=24), **options)


def test_one_probability_column_for_three_classes_is_refused() -> None:
    rows = {
        "label": np.arange(900) % 3,
        "prediction": np.arange(900) % 3,
        "score": np.full(900, 0.5),
    }

    with pytest.raises(EstimationError, match="give a mapping class -> column"):
        fit_cbpe(rows, proba="score")
    with pytest.raises(EstimationError, match=r"classes \['0', '1', '2'\]"):
        fit_cbpe(rows)


# -- DLE -----------------------------------------------------------------------------


def regression_rows(count: int, *, seed: int, shift: float = 0.0) -> pd.DataFrame:
    """Errors grow with |x0| and in group "c"; the relation y | x never changes."""
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, 1.0, (count, 3))
    group = np.where(rng.random(count) < 0.3 + 0.3 * shift, "c", "a")
    truth = x @ np.array([1.0, 2.0, -1.0])
    frame = pd.DataFrame(x, columns=["x0", "x1", "x2"])
    frame["group"] = group
    frame["label"] = truth + rng.normal(0.0, 0.3 + np.abs(x[:, 0]) + (group == "c"))
    frame["prediction"] = truth
    return frame


def test_dle_estimates_match_realized_errors_under_covariate_shift() -> None:
    reference = regression_rows(10_000, seed=30)
    analysis = regression_rows(8_000, seed=31, shift=0.5)

    result = estimate_regression_performance(
        reference, analysis.drop(columns="label"), chunk_size=2_000
    )

    assert result.method == "dle" and result.metrics == ("mae", "rmse")
    for chunk in result.chunks:
        errors = (analysis["label"] - analysis["prediction"])[chunk.start : chunk.stop]
        mae, rmse = chunk.metrics["mae"], chunk.metrics["rmse"]
        assert mae.value == pytest.approx(np.abs(errors).mean(), rel=0.06)
        assert rmse.value == pytest.approx(np.sqrt((errors**2).mean()), rel=0.06)
        assert mae.alert and rmse.alert  # larger errors than in the reference


def test_dle_uses_every_other_column_as_a_feature_by_default() -> None:
    reference = regression_rows(3_000, seed=32)
    reference["timestamp"] = np.arange(3_000.0)

    estimator = fit_dle(reference, metrics="mae", chunk_number=3)

    assert estimator.features == ("x0", "x1", "x2", "group")
    result = estimator.estimate(reference.drop(columns=["label", "timestamp"]))
    assert result.metrics == ("mae",)
    assert len(result.chunks) == 3


@pytest.mark.parametrize(
    ("change", "options", "match"),
    [
        ({"label": None}, {}, "no column 'label'.*labelled"),
        ({"prediction": np.nan}, {}, "missing or infinite values"),
        ({"label": "high"}, {}, "non-numeric"),
        ({}, {"features": ["x0", "label"]}, "must not see the label"),
        ({}, {"features": ["x0", "x9"]}, "no column 'x9'"),
        ({}, {"metrics": "mape"}, "supported metrics"),
        ({}, {"error_model": {"max_dept": 3}}, "Cannot fit DLE's error model"),
    ],
)
def test_dle_bad_reference_is_refused(
    change: dict[str, Any], options: dict[str, Any], match: str
) -> None:
    reference = regression_rows(1_000, seed=33)
    for name, value in change.items():
        if value is None:
            reference = reference.drop(columns=name)
        else:
            reference[name] = value

    with pytest.raises(EstimationError, match=match):
        fit_dle(reference, **options)


def test_dle_analysis_without_a_feature_or_with_text_for_numbers_is_refused() -> None:
    estimator = fit_dle(regression_rows(2_000, seed=34), metrics="mae", chunk_size=500)
    analysis = regression_rows(1_000, seed=35)

    with pytest.raises(EstimationError, match="no column 'x1'"):
        estimator.estimate(analysis.drop(columns="x1"))
    with pytest.raises(
        EstimationError, match="numeric in the reference but holds text"
    ):
        estimator.estimate(analysis.assign(x2="n/a"))
    unseen = estimator.estimate(analysis.assign(group="new"))  # unseen: missing
    assert all(v is not None for v in unseen.values("mae"))


# -- the guide -----------------------------------------------------------------------


@pytest.mark.slow
def test_the_guides_estimate_example_runs_and_flags_the_drifted_chunk(
    tmp_path: Path,
) -> None:
    script = tmp_path / "estimate.py"
    script.write_text(doc_files("monitoring.md")["estimate.py"])

    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )

    lines = done.stdout.splitlines()
    assert lines[0].startswith("rows 0-2000: accuracy 0.92")
    assert lines[3].startswith("rows 6000-8000: accuracy 0.86")
    assert lines[3].endswith("ALERT") and not lines[2].endswith("ALERT")
    assert "estimated MAE per chunk: [" in done.stdout
