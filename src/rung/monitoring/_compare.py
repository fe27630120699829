"""One column of each side -> every drift statistic of its kind."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rung.monitoring._categorical import categorical_stats, category_counts
from rung.monitoring._columns import finite_values
from rung.monitoring._numeric import numeric_stats

if TYPE_CHECKING:
    import numpy as np

__all__ = ["compare_column"]

Stats = dict[str, float | None]


def compare_column(
    reference: np.ndarray, current: np.ndarray, kind: str, bins: int
) -> tuple[Stats, dict[str, Any]] | str:
    """Statistics and the bins compared, or the reason they cannot be computed.

    Missing values are left out (NaN, +-inf and None); the caller has checked
    that both sides keep at least one value.
    """
    if kind == "numeric":
        return _numeric(reference, current, bins)
    return _categorical(reference, current)


def _numeric(
    reference: np.ndarray, current: np.ndarray, bins: int
) -> tuple[Stats, dict[str, Any]]:
    ref, cur = finite_values(reference), finite_values(current)
    found = numeric_stats(ref, cur, bins=bins)
    stats: Stats = {
        "ks_statistic": found.ks_statistic,
        "ks_pvalue": found.ks_pvalue,
        "wasserstein": found.wasserstein,
        "wasserstein_norm": found.wasserstein_norm,
        "psi": found.psi,
        "js": found.js,
    }
    extra = {
        "reference_rows": int(ref.size),
        "current_rows": int(cur.size),
        "histogram": {
            "edges": list(found.edges),
            "reference": list(found.reference_counts),
            "current": list(found.current_counts),
        },
    }
    return stats, extra


def _categorical(
    reference: np.ndarray, current: np.ndarray
) -> tuple[Stats, dict[str, Any]]:
    ref, cur = category_counts(reference), category_counts(current)
    found = categorical_stats(ref, cur)
    stats: Stats = {
        "chi2_statistic": found.chi2_statistic,
        "chi2_pvalue": found.chi2_pvalue,
        "psi": found.psi,
        "js": found.js,
    }
    extra = {
        "reference_rows": int(sum(found.reference_counts)),
        "current_rows": int(sum(found.current_counts)),
        "new_categories": found.new_categories,
        "vanished_categories": found.vanished_categories,
        "histogram": {
            "categories": list(found.categories),
            "reference": list(found.reference_counts),
            "current": list(found.current_counts),
        },
    }
    return stats, extra
