"""``evaluate_performance``: metrics like scikit-learn's, degradation."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from sklearn import metrics as sk

from rung.errors import MonitorDataError
from rung.monitoring import evaluate_performance


def classified(rows: int = 200) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    label = rng.integers(0, 2, rows)
    proba = np.clip(label * 0.3 + rng.uniform(0, 0.7, rows), 0, 1)
    return {
        "label": label.astype(float),
        "prediction": (proba > 0.5).astype(float),
        "proba_0": 1 - proba,
        "proba_1": proba,
    }


def test_classification_metrics_equal_scikit_learn() -> None:
    data = classified()
    result = evaluate_performance(
        data,
        baseline={"val_accuracy": 0.999, "f1": 0.1},
        thresholds={"accuracy_drop": 0},
    )
    y, p, proba = data["label"], data["prediction"], data["proba_1"]
    assert result.task == "classification" and result.rows == 200
    assert result.metrics["accuracy"] == pytest.approx(sk.accuracy_score(y, p))
    assert result.metrics["precision"] == pytest.approx(sk.precision_score(y, p))
    assert result.metrics["recall"] == pytest.approx(sk.recall_score(y, p))
    assert result.metrics["f1"] == pytest.approx(sk.f1_score(y, p))
    assert result.metrics["roc_auc"] == pytest.approx(sk.roc_auc_score(y, proba))
    expected_loss = sk.log_loss(y, np.column_stack([1 - proba, proba]))
    assert result.metrics["log_loss"] == pytest.approx(expected_loss)
    assert result.baseline == {"accuracy": 0.999, "f1": 0.1}
    assert result.degraded == ("accuracy",)
    assert result.degradation["f1"] < 0  # better than recorded


def test_regression_metrics_and_lower_is_better_degradation() -> None:
    y = np.array([1.0, 2.0, 3.5, 4.0, 10.2])
    p = np.array([1.1, 2.5, 3.0, 4.4, 9.0])
    result = evaluate_performance(
        {"label": y, "prediction": p},
        baseline={"rmse": 0.1, "r2": 0.99},
        thresholds={"rmse_drop": 0.2},
    )
    assert result.task == "regression"
    assert result.metrics["mae"] == pytest.approx(sk.mean_absolute_error(y, p))
    assert result.metrics["rmse"] == pytest.approx(np.sqrt(sk.mean_squared_error(y, p)))
    assert result.metrics["r2"] == pytest.approx(sk.r2_score(y, p))
    assert set(result.degraded) == {"rmse"}  # r2 drop under 0.1


def test_rows_without_labels_are_left_out_and_none_is_an_error() -> None:
    data = classified(10)
    data["label"][:4] = np.nan
    assert evaluate_performance(data).rows == 6
    data["label"][:] = np.nan
    with pytest.raises(MonitorDataError, match="None of the 10 rows has both a label"):
        evaluate_performance(data)
    with pytest.raises(MonitorDataError, match="no column 'label'"):
        evaluate_performance({"prediction": np.ones(3)})


def test_metrics_that_cannot_be_computed_say_why() -> None:
    result = evaluate_performance(
        {
            "label": np.array(["a", "b", "a"], dtype=object),
            "prediction": np.array(["a", "a", "a"], dtype=object),
        }
    )
    assert result.metrics["roc_auc"] is None
    assert result.reasons["roc_auc"] == "no proba_<class> columns in the data"
    single = evaluate_performance(
        {"label": np.ones(4), "prediction": np.ones(4), "proba_1": np.ones(4)},
        task="classification",
    )
    assert single.reasons["log_loss"].startswith("only one class")


def test_labelled_metrics_carry_95_percent_confidence_intervals() -> None:
    hits = np.array([1] * 45 + [0] * 5)
    small = evaluate_performance(
        {"label": hits, "prediction": np.ones(50, dtype=int)}, task="classification"
    )
    # The Wilson interval of 45/50 at 95 %.
    low, high = small.intervals["accuracy"]  # type: ignore[misc]
    assert (round(low, 4), round(high, 4)) == (0.7864, 0.9565)
    assert small.intervals["precision"] == small.intervals["accuracy"]

    few, many = (
        evaluate_performance(classified(200)),
        evaluate_performance(classified(4000)),
    )
    for result in (few, many):
        for metric in ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss"):
            value, span = result.metrics[metric], result.intervals[metric]
            assert span is not None and span[0] <= value <= span[1], metric  # type: ignore[operator]

    def width(result: object, metric: str) -> float:
        low, high = result.intervals[metric]  # type: ignore[attr-defined]
        return float(high - low)

    assert width(many, "f1") < width(few, "f1") / 2
    assert evaluate_performance(classified(200)).intervals == few.intervals  # seeded


def test_regression_intervals_and_none_where_no_honest_one_exists() -> None:
    rng = np.random.default_rng(1)
    y = rng.normal(0, 1, 300)
    result = evaluate_performance(
        {"label": y, "prediction": y + rng.normal(0, 0.5, 300)}
    )
    for metric in ("mae", "rmse", "r2"):
        low, high = result.intervals[metric]  # type: ignore[misc]
        assert low <= result.metrics[metric] <= high  # type: ignore[operator]
    multiclass = evaluate_performance(
        {
            "label": np.array(["a", "b", "c", "a"]),
            "prediction": np.array(["a", "b", "b", "a"]),
        }
    )
    assert multiclass.intervals["accuracy"] is not None
    assert multiclass.intervals["precision"] is None  # weighted: no interval
    one = evaluate_performance(
        {"label": np.array([1.5]), "prediction": np.array([1.0])}, task="regression"
    )
    assert one.intervals["mae"] is None  # one row: nothing to resample


def test_f1_and_roc_auc_intervals_agree_with_a_row_bootstrap() -> None:
    from scipy import stats

    data = classified(300)
    y, p, proba = data["label"], data["prediction"], data["proba_1"]
    result = evaluate_performance(data)

    def resampled(metric: Callable[..., float]) -> tuple[float, float]:
        found = stats.bootstrap(
            (y, p, proba),
            metric,
            paired=True,
            vectorized=False,
            n_resamples=2000,
            method="percentile",
            rng=np.random.default_rng(5),
        ).confidence_interval
        return float(found.low), float(found.high)

    f1 = resampled(lambda a, b, _c: sk.f1_score(a, b))
    auc = resampled(lambda a, _b, c: sk.roc_auc_score(a, c))
    for metric, expected in (("f1", f1), ("roc_auc", auc)):
        low, high = result.intervals[metric]  # type: ignore[misc]
        assert low == pytest.approx(expected[0], abs=0.02), metric
        assert high == pytest.approx(expected[1], abs=0.02), metric
