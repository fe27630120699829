"""Numeric drift statistics agree with SciPy and a plain NumPy PSI."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from rung.monitoring import numeric_stats
from rung.monitoring._numeric import PSI_EPSILON, psi_edges


def numpy_psi(
    reference: np.ndarray, current: np.ndarray, bins: int = 10
) -> tuple[float, np.ndarray, np.ndarray]:
    """PSI as one writes it with NumPy: reference-quantile bins, open ends."""
    edges = np.quantile(reference, np.linspace(0, 1, bins + 1))
    full = np.concatenate([[-np.inf], np.unique(edges[1:-1]), [np.inf]])
    ref_counts = np.histogram(reference, full)[0]
    cur_counts = np.histogram(current, full)[0]
    p = np.maximum(ref_counts / ref_counts.sum(), PSI_EPSILON)
    q = np.maximum(cur_counts / cur_counts.sum(), PSI_EPSILON)
    return float(np.sum((q - p) * np.log(q / p))), ref_counts, cur_counts


def samples() -> list[tuple[str, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(7)
    return [
        ("normal-shift", rng.normal(size=400), rng.normal(0.3, 1.0, 350)),
        ("same", rng.normal(size=1500), rng.normal(size=1200)),
        ("ties", rng.integers(0, 5, 800).astype(float), rng.integers(0, 6, 600) * 1.0),
        (
            "rounded",
            np.round(rng.exponential(size=3000), 1),
            np.round(rng.exponential(1.3, 2500), 1),
        ),
        ("wide", rng.lognormal(0, 2, 5000), rng.lognormal(0.2, 2, 4000)),
        ("tiny", np.array([1.0, 2.0, 2.0]), np.array([2.0, 3.0])),
    ]


@pytest.mark.parametrize(("case", "reference", "current"), samples())
def test_numeric_stats_equal_scipy_and_numpy(
    case: str, reference: np.ndarray, current: np.ndarray
) -> None:
    found = numeric_stats(reference, current)
    ks = stats.ks_2samp(reference, current)
    psi, ref_counts, cur_counts = numpy_psi(reference, current)
    assert found.ks_statistic == pytest.approx(ks.statistic, abs=1e-12), case
    assert found.ks_pvalue == pytest.approx(ks.pvalue, rel=1e-9), case
    wasserstein = stats.wasserstein_distance(reference, current)
    assert found.wasserstein == pytest.approx(wasserstein, rel=1e-9, abs=1e-12)
    assert found.wasserstein_norm == pytest.approx(wasserstein / np.std(reference))
    assert found.psi == pytest.approx(psi, rel=1e-9, abs=1e-12)
    assert found.reference_counts == tuple(ref_counts)
    assert found.current_counts == tuple(cur_counts)
    js = jensenshannon(ref_counts, cur_counts, base=2)
    assert found.js == pytest.approx(js, rel=1e-9, abs=1e-12)
    assert found.edges == pytest.approx(tuple(psi_edges(reference)))


def test_large_samples_keep_exact_statistics_and_an_asymptotic_pvalue() -> None:
    rng = np.random.default_rng(1)
    reference, current = rng.normal(size=30_000), rng.normal(0.02, 1.0, 20_000)
    found = numeric_stats(reference, current)
    ks = stats.ks_2samp(reference, current)
    assert found.ks_statistic == pytest.approx(ks.statistic, abs=1e-12)
    # Above 10,000 rows the p-value is the limiting Kolmogorov distribution.
    assert found.ks_pvalue == pytest.approx(ks.pvalue, rel=0.02)
    wasserstein = stats.wasserstein_distance(reference, current)
    assert found.wasserstein == pytest.approx(wasserstein, rel=1e-9)


def test_constant_samples_have_zero_distance_and_no_normalised_wasserstein() -> None:
    same = numeric_stats(np.ones(20), np.ones(30))
    assert (same.ks_statistic, same.wasserstein, same.psi, same.js) == (0, 0, 0, 0)
    moved = numeric_stats(np.ones(20), np.full(30, 2.0))
    assert moved.ks_statistic == 1.0 and moved.wasserstein == pytest.approx(1.0)
    assert moved.wasserstein_norm is None
