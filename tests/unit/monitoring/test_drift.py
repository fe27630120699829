"""``compute_drift``: defaults by sample size, overrides, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rung.errors import MonitorDataError, MonitorDefinitionError
from rung.monitoring import FeatureRule, compute_drift


def frames(rows: int, shift: float = 0.0, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": rng.normal(shift, 1.0, rows),
            "y": rng.normal(0.0, 1.0, rows),
            "plan": rng.choice(
                ["a", "b", "c"], rows, p=[0.5 - shift / 2, 0.3, 0.2 + shift / 2]
            ),
        }
    )


def test_small_samples_use_tests_with_pvalues() -> None:
    result = compute_drift(frames(300), frames(200, shift=0.4, seed=1))
    x, y, plan = (result.features[c] for c in ("x", "y", "plan"))
    assert (x.method, x.threshold) == ("ks", 0.05)
    assert x.drifted is True and x.score == x.stats["ks_pvalue"] < 0.05
    assert y.method == "ks" and y.drifted is False
    assert plan.method == "chi2" and plan.score == plan.stats["chi2_pvalue"]
    assert result.drift_share == pytest.approx(2 / 3) and result.dataset_drift is True


def test_large_samples_use_distances_with_thresholds() -> None:
    result = compute_drift(frames(3000), frames(2000, shift=0.4, seed=1))
    x, y, plan = (result.features[c] for c in ("x", "y", "plan"))
    assert (x.method, x.threshold, x.drifted) == ("wasserstein", 0.1, True)
    assert x.score == x.stats["wasserstein_norm"]
    assert (y.method, y.drifted) == ("wasserstein", False)
    assert (plan.method, plan.threshold) == ("js", 0.1)
    assert result.reference_rows == 3000 and result.current_rows == 2000


def test_per_feature_rules_and_thresholds_override_the_defaults() -> None:
    result = compute_drift(
        frames(3000),
        frames(2000, shift=0.4, seed=1),
        thresholds={"wasserstein": 0.9},
        features={
            "y": FeatureRule(method="psi", threshold=0.0),
            "plan": {"method": "chi2"},
        },
        drift_share=0.9,
    )
    assert result.features["x"].drifted is False  # 0.4 sd < 0.9
    assert (result.features["y"].method, result.features["y"].drifted) == ("psi", True)
    assert result.features["plan"].method == "chi2"
    assert result.dataset_drift is False and result.threshold == 0.9


def test_global_method_applies_where_it_fits() -> None:
    result = compute_drift(frames(500), frames(500, seed=2), method="psi")
    assert {f.method for f in result.features.values()} == {"psi"}
    ks = compute_drift(frames(500), frames(500, seed=2), method="ks")
    assert (ks.features["x"].method, ks.features["plan"].method) == ("ks", "chi2")


def test_a_method_that_does_not_fit_the_column_is_refused() -> None:
    with pytest.raises(MonitorDefinitionError, match="Method 'ks' does not apply"):
        compute_drift(frames(50), frames(50), features={"plan": {"method": "ks"}})
    with pytest.raises(MonitorDefinitionError, match="Unknown settings \\['bin'\\]"):
        compute_drift(frames(50), frames(50), features={"x": {"bin": 3}})


def test_bad_columns_are_not_computable_with_a_reason() -> None:
    reference = pd.DataFrame(
        {"a": [1.0, 2.0, 3.0], "b": [1.0, 2.0, 3.0], "c": ["x"] * 3}
    )
    current = pd.DataFrame({"b": [np.nan] * 3, "c": [1.0, 2.0, 3.0], "d": [1, 2, 3]})
    result = compute_drift(reference, current, columns=["a", "b", "c"])
    reasons = {k: f.reason for k, f in result.features.items()}
    assert reasons["a"] == "column missing from the current data"
    assert reasons["b"] == "no finite values in the current data (3 rows)"
    assert reasons["c"].startswith("types differ: categorical in the reference")
    assert result.drift_share is None and result.dataset_drift is None
    assert all(
        f.drifted is None and not f.is_computable for f in result.features.values()
    )


def test_an_empty_current_table_is_not_computable() -> None:
    result = compute_drift(frames(40), frames(40).iloc[:0])
    assert {f.reason for f in result.features.values()} == {
        "the current data has no rows"
    }
    assert result.to_dict()["drifted_features"] == []


def test_inputs_other_than_tables_are_refused() -> None:
    with pytest.raises(MonitorDataError, match="Cannot read the reference: got list"):
        compute_drift([1, 2, 3], frames(10))


def test_threads_and_dict_inputs_give_the_same_result() -> None:
    rng = np.random.default_rng(5)
    ref = {f"f{i}": rng.normal(size=2000) for i in range(4)}
    cur = {f"f{i}": rng.normal(0.1 * i, 1, 2000) for i in range(4)}
    serial, threaded = (
        compute_drift(ref, cur, workers=1),
        compute_drift(ref, cur, workers=3),
    )
    assert serial == threaded


def test_bool_datetime_and_integer_columns() -> None:
    reference = pd.DataFrame(
        {
            "flag": [True, False] * 50,
            "when": pd.date_range("2026-01-01", periods=100, freq="h"),
            "n": pd.array([*range(99), None], dtype="Int64"),
        }
    )
    current = reference.assign(flag=[True] * 100)
    result = compute_drift(reference, current)
    assert result.features["flag"].kind == "categorical"
    assert result.features["flag"].drifted is True
    assert result.features["when"].kind == "numeric"
    assert result.features["n"].reference_rows == 99
