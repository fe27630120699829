"""Rung's label-free estimates match NannyML's CBPE and DLE chunk for chunk.

Each case builds a reference and a drifted analysis set from data shipped
inside scikit-learn (nothing downloads), estimates it with Rung, runs the
same case through NannyML in its own venv (``_nannyml_reference.py``, a
subprocess) and compares every chunk.

Tolerances:

- CBPE (binary and multiclass): the same calibration verdict per class (up
  to 20,000 reference rows from the very same splits, beyond from Rung's own
  draw of the same stratified splits), and
  every estimate, sampling error and threshold within 1e-6 of NannyML's
  (measured: 1e-15, ROC AUC 1e-7 because NannyML rounds its cumulative sums
  to 5 decimals), except the ROC AUC sampling error: within 1 % (NannyML
  drops a minority-class row ranked first; measured 0.3 %).
- DLE: thresholds and sampling errors within 1e-6 (they come from the
  labelled reference, computed the same way); the estimates within 1.5
  sampling errors of the chunk, because NannyML's error model is LightGBM and
  Rung's scikit-learn's HistGradientBoostingRegressor with the same settings
  (measured: 0.3 sampling errors on the synthetic case, 0.9 on the 150-row
  diabetes reference).
- Alerts agree wherever no threshold lies between the two estimates.

Skipped unless ``RUNG_NANNYML_PYTHON`` names the Python of a venv with
NannyML (``bash scripts/setup-nannyml-venv.sh`` creates one).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, make_classification
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB

from rung.monitoring import PerformanceEstimate, fit_cbpe, fit_dle

NANNYML_PYTHON = os.environ.get("RUNG_NANNYML_PYTHON", "")
SCRIPT = Path(__file__).with_name("_nannyml_reference.py")
CLASSIFICATION = ["accuracy", "precision", "recall", "f1", "roc_auc"]

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(
        not NANNYML_PYTHON,
        reason="RUNG_NANNYML_PYTHON is not set: create NannyML's venv with "
        "`bash scripts/setup-nannyml-venv.sh` and export "
        "RUNG_NANNYML_PYTHON=/work/.venv-nannyml/bin/python",
    ),
]


def nannyml(
    tmp_path: Path,
    case: dict[str, Any],
    reference: pd.DataFrame,
    analysis: pd.DataFrame,
) -> dict[str, Any]:
    """NannyML's per-chunk figures for ``case`` (see _nannyml_reference.py)."""
    reference.to_parquet(tmp_path / "reference.parquet")
    analysis.to_parquet(tmp_path / "analysis.parquet")
    spec = tmp_path / "case.json"
    spec.write_text(
        json.dumps(
            {
                **case,
                "reference": str(tmp_path / "reference.parquet"),
                "analysis": str(tmp_path / "analysis.parquet"),
            }
        )
    )
    env = {**os.environ, "NML_DISABLE_USAGE_LOGGING": "1"}
    done = subprocess.run(
        [NANNYML_PYTHON, str(SCRIPT), str(spec)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def compare(
    ours: PerformanceEstimate,
    theirs: dict[str, Any],
    *,
    value_tolerance: float | None = 1e-6,
    errors_of_value: float | None = None,
) -> None:
    """Assert chunk-by-chunk agreement (see the module docstring)."""
    assert len(ours.chunks) == len(theirs["chunks"])
    for chunk, other in zip(ours.chunks, theirs["chunks"], strict=True):
        assert (chunk.start, chunk.stop) == (other["start"], other["stop"])
        for metric, mine in chunk.metrics.items():
            their = other["metrics"][metric]
            where = f"chunk {chunk.index} {metric}"
            assert mine.value is not None and their["value"] is not None, where
            assert mine.sampling_error is not None, where
            if errors_of_value is not None:
                limit = errors_of_value * mine.sampling_error
            else:
                assert value_tolerance is not None
                limit = value_tolerance
            assert abs(mine.value - their["value"]) <= limit, (where, mine, their)
            error_tolerance = (
                0.01 * their["sampling_error"] if metric == "roc_auc" else 1e-6
            )
            assert mine.sampling_error == pytest.approx(
                their["sampling_error"], abs=error_tolerance
            ), where
            for bound in ("lower_threshold", "upper_threshold"):
                assert getattr(mine, bound) == pytest.approx(their[bound], abs=1e-6), (
                    where,
                    bound,
                )
            if not _threshold_between(mine.value, their["value"], their):
                assert mine.alert == their["alert"], where


def _threshold_between(a: float, b: float, bounds: dict[str, Any]) -> bool:
    low, high = sorted((a, b))
    return any(
        t is not None and low <= t <= high
        for t in (bounds["lower_threshold"], bounds["upper_threshold"])
    )


def classifier_rows(model: Any, features: Any, labels: np.ndarray) -> pd.DataFrame:
    """label, prediction and proba_<class> columns, as Rung's prediction log."""
    probabilities = model.predict_proba(features)
    rows = {"label": labels, "prediction": model.predict(features)}
    if probabilities.shape[1] == 2:
        rows["proba_1"] = probabilities[:, 1]
    else:
        rows |= {
            f"proba_{c}": probabilities[:, c] for c in range(probabilities.shape[1])
        }
    return pd.DataFrame(rows)


def shifted_sample(features: np.ndarray, rows: int, strength: float) -> np.ndarray:
    """Row indexes drawn with weight exp(strength x first feature): covariate shift."""
    first = features[:, 0] / features[:, 0].std()
    weights = np.exp(strength * first)
    return np.random.default_rng(2).choice(
        len(features), rows, replace=False, p=weights / weights.sum()
    )


def test_cbpe_matches_nannyml_on_breast_cancer_with_the_largest_tumours_later(
    tmp_path: Path,
) -> None:
    data = load_breast_cancer(as_frame=True).frame
    shuffled = data.sample(frac=1.0, random_state=0)
    train, rest = shuffled.iloc[:169], shuffled.iloc[169:].sort_values("mean area")
    features = ["mean texture", "mean smoothness"]  # a weak model: AUC ~0.8
    model = LogisticRegression().fit(train[features], train["target"])
    reference_rows = rest.iloc[:200].sample(frac=1.0, random_state=1)
    analysis_rows = rest.iloc[200:]  # the 200 largest tumours: drifted
    reference = classifier_rows(
        model, reference_rows[features], reference_rows["target"].to_numpy()
    )
    analysis = classifier_rows(
        model, analysis_rows[features], analysis_rows["target"].to_numpy()
    ).drop(columns="label")

    ours = fit_cbpe(reference, chunk_size=50).estimate(analysis)
    theirs = nannyml(tmp_path, _binary_case(50), reference, analysis)

    assert ours.calibrated == theirs["calibrated"]
    compare(ours, theirs)


@pytest.mark.parametrize(
    ("model", "reference_rows"),
    [
        (LogisticRegression(max_iter=1000), 20_000),
        (GaussianNB(), 20_000),
        (HistGradientBoostingClassifier(random_state=0), 20_000),
        # Above 20,000 rows Rung draws the calibration check's splits itself.
        (HistGradientBoostingClassifier(random_state=0), 50_000),
    ],
    ids=["logistic", "naive-bayes", "boosting", "boosting-50k-reference"],
)
def test_cbpe_matches_nannyml_under_covariate_shift(
    model: Any, reference_rows: int, tmp_path: Path
) -> None:
    features, labels = make_classification(
        n_samples=110_000, n_features=10, n_informative=5, random_state=0
    )
    model.fit(features[:20_000], labels[:20_000])
    end = 20_000 + reference_rows
    reference = classifier_rows(model, features[20_000:end], labels[20_000:end])
    pool, pool_labels = features[70_000:], labels[70_000:]
    picked = shifted_sample(pool, 10_000, strength=1.5)
    analysis = classifier_rows(model, pool[picked], pool_labels[picked])

    ours = fit_cbpe(reference, chunk_size=2000).estimate(analysis.drop(columns="label"))
    theirs = nannyml(
        tmp_path, _binary_case(2000), reference, analysis.drop(columns="label")
    )

    assert ours.calibrated == theirs["calibrated"]
    compare(ours, theirs)


def test_cbpe_matches_nannyml_on_three_classes(tmp_path: Path) -> None:
    features, labels = make_classification(
        n_samples=40_000, n_features=8, n_informative=5, n_classes=3, random_state=0
    )
    model = LogisticRegression(max_iter=1000).fit(features[:10_000], labels[:10_000])
    reference = classifier_rows(model, features[10_000:25_000], labels[10_000:25_000])
    pool, pool_labels = features[25_000:], labels[25_000:]
    picked = shifted_sample(pool, 10_000, strength=1.0)
    analysis = classifier_rows(model, pool[picked], pool_labels[picked]).drop(
        columns="label"
    )
    case = {
        "method": "cbpe",
        "chunk_size": 2000,
        "metrics": CLASSIFICATION,
        "problem_type": "classification_multiclass",
        "y_pred_proba": {str(c): f"proba_{c}" for c in range(3)},
    }

    ours = fit_cbpe(reference, chunk_size=2000).estimate(analysis)
    theirs = nannyml(tmp_path, case, reference, analysis)

    assert ours.task == "multiclass"
    assert ours.calibrated == theirs["calibrated"]
    compare(ours, theirs)


def test_dle_matches_nannyml_on_diabetes_with_higher_bmi_later(tmp_path: Path) -> None:
    data = load_diabetes(as_frame=True).frame
    shuffled = data.sample(frac=1.0, random_state=0)
    features = [c for c in data.columns if c != "target"]
    train, rest = shuffled.iloc[:142], shuffled.iloc[142:].sort_values("bmi")
    model = Ridge(alpha=1.0).fit(train[features], train["target"])

    def rows(part: pd.DataFrame) -> pd.DataFrame:
        out = part[features].reset_index(drop=True)
        out["label"] = part["target"].to_numpy()
        out["prediction"] = model.predict(part[features])
        return out

    reference = rows(rest.iloc[:150].sample(frac=1.0, random_state=1))
    analysis = rows(rest.iloc[150:]).drop(columns="label")  # the highest BMIs

    ours = fit_dle(reference, chunk_size=50).estimate(analysis)
    theirs = nannyml(tmp_path, _regression_case(50, features), reference, analysis)

    compare(ours, theirs, value_tolerance=None, errors_of_value=1.5)


def test_dle_matches_nannyml_on_heteroscedastic_errors_under_shift(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(1)

    def rows(count: int, shift: float, share_of_c: float) -> pd.DataFrame:
        x = rng.normal(shift, 1.0, (count, 4))
        others = rng.choice(["a", "b"], count)
        kind = np.where(rng.random(count) < share_of_c, "c", others)
        truth = x @ np.array([1.0, 2.0, -1.0, 0.5])
        noise = rng.normal(0.0, 0.5 + np.abs(x[:, 0]) + (kind == "c"), count)
        frame = pd.DataFrame(x, columns=["a", "b", "c", "d"])
        frame["kind"] = kind
        frame["label"] = truth + noise
        frame["prediction"] = truth + 0.1 * x[:, 1] ** 2
        return frame

    reference, analysis = rows(20_000, 0.0, 1 / 3), rows(10_000, 0.7, 0.6)
    analysis = analysis.drop(columns="label")
    features = ["a", "b", "c", "d", "kind"]

    ours = fit_dle(reference, chunk_size=2000).estimate(analysis)
    theirs = nannyml(tmp_path, _regression_case(2000, features), reference, analysis)

    compare(ours, theirs, value_tolerance=None, errors_of_value=1.5)


def _binary_case(chunk_size: int) -> dict[str, Any]:
    return {
        "method": "cbpe",
        "chunk_size": chunk_size,
        "metrics": CLASSIFICATION,
        "problem_type": "classification_binary",
        "y_pred_proba": "proba_1",
    }


def _regression_case(chunk_size: int, features: list[str]) -> dict[str, Any]:
    return {
        "method": "dle",
        "chunk_size": chunk_size,
        "metrics": ["mae", "rmse"],
        "features": features,
    }
