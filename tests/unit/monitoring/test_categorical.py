"""Categorical drift statistics agree with SciPy; new and vanished categories."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import chi2_contingency

from rung.monitoring import categorical_stats
from rung.monitoring._categorical import category_counts
from rung.monitoring._numeric import PSI_EPSILON


def test_categorical_stats_equal_scipy_with_new_and_vanished_categories() -> None:
    rng = np.random.default_rng(0)
    reference = rng.choice(
        ["basic", "plus", "pro", "legacy"], 600, p=[0.5, 0.3, 0.15, 0.05]
    )
    current = rng.choice(["basic", "plus", "pro", "trial"], 400, p=[0.4, 0.3, 0.2, 0.1])
    ref, cur = category_counts(reference), category_counts(current)
    found = categorical_stats(ref, cur)
    assert found.categories == ("basic", "legacy", "plus", "pro", "trial")
    assert (found.new_categories, found.vanished_categories) == (
        ("trial",),
        ("legacy",),
    )
    table = np.array([found.reference_counts, found.current_counts])
    expected = chi2_contingency(table)
    assert found.chi2_statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert found.chi2_pvalue == pytest.approx(expected.pvalue, rel=1e-9)
    assert found.js == pytest.approx(jensenshannon(table[0], table[1], base=2))
    p = np.maximum(table[0] / table[0].sum(), PSI_EPSILON)
    q = np.maximum(table[1] / table[1].sum(), PSI_EPSILON)
    assert found.psi == pytest.approx(float(np.sum((q - p) * np.log(q / p))))


def test_category_counts_skip_missing_and_unify_labels() -> None:
    values = np.array([True, False, True, None, np.nan, 2.0, "x"], dtype=object)
    assert category_counts(values) == {"true": 2, "false": 1, "2": 1, "x": 1}


def test_one_category_on_both_sides_does_not_drift() -> None:
    found = categorical_stats({"a": 10}, {"a": 4})
    assert (found.chi2_statistic, found.chi2_pvalue, found.psi, found.js) == (
        0.0,
        1.0,
        0.0,
        0.0,
    )
