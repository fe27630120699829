"""``check_quality``: missing values, ranges, schema, constants, duplicates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rung.monitoring import check_quality


@pytest.fixture
def reference() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 80, 200).astype(float),
            "plan": rng.choice(["a", "b"], 200),
            "score": rng.normal(size=200),
        }
    )


def test_clean_data_passes(reference: pd.DataFrame) -> None:
    result = check_quality(reference.sample(100, random_state=1), reference)
    assert result.is_passed and result.problems == ()
    assert result.columns["age"].out_of_range_rate == 0.0
    assert result.to_dict()["passed"] is True


def test_every_kind_of_problem_is_reported(reference: pd.DataFrame) -> None:
    current = reference.head(100).copy()
    current.loc[:29, "age"] = np.nan
    current.loc[30:49, "score"] = 99.0 + np.arange(20)
    current["plan"] = "a"
    current["extra"] = 1.0
    current = pd.concat([current, current.head(10)], ignore_index=True)
    result = check_quality(current, reference)
    assert result.columns["age"].missing_rate == pytest.approx(40 / 110)
    assert result.columns["score"].out_of_range_rate == pytest.approx(20 / 110)
    assert result.extra_columns == ("extra",)
    assert result.constant_columns == ("plan",)
    assert result.duplicate_rate == pytest.approx(10 / 110)
    assert result.problems == (
        "unexpected columns: extra",
        "column 'age': 36.4% missing (reference 0.0%)",
        "column 'score': 18.2% outside the reference range",
        "column 'plan' is constant",
        "9.1% of rows are duplicates",
    )


def test_schema_changes_and_thresholds(reference: pd.DataFrame) -> None:
    current = pd.DataFrame({"age": ["old"] * 5, "plan": ["a", "b"] * 2 + [None]})
    result = check_quality(
        current, reference, thresholds={"missing_rate": 0.5}, ignore=["prediction"]
    )
    assert result.missing_columns == ("score",)
    assert result.retyped_columns == {"age": "numeric -> categorical"}
    assert result.problems[:2] == (
        "columns missing: score",
        "column 'age' changed type (numeric -> categorical)",
    )
    assert result.columns["plan"].missing_rate == 0.2  # under 0.5: not a problem


def test_no_rows_is_a_problem_not_a_pass(reference: pd.DataFrame) -> None:
    result = check_quality(reference.iloc[:0], reference)
    assert result.problems[0] == "the current data has no rows"
    assert result.columns["age"].missing_rate is None


def test_without_reference_only_the_current_data_is_judged() -> None:
    result = check_quality({"x": np.array([1.0, 1.0, 1.0])})
    assert result.constant_columns == ("x",)
    assert result.columns["x"].out_of_range_rate is None
