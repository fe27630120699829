"""Two-sample statistics of one categorical column.

Counts come from a hash-based ``value_counts`` (no sort of the rows). Over the
union of the categories seen on either side:

- chi-square: ``scipy.stats.chi2_contingency`` of the 2 x K table of counts;
- PSI: proportions clipped at 1e-4, as for numeric columns;
- Jensen-Shannon: ``scipy.spatial.distance.jensenshannon(p, q, base=2)``;
- categories seen only in the current data (new) or only in the reference
  (vanished).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rung.monitoring._numeric import js_distance, psi

__all__ = ["CategoricalStats", "categorical_stats", "category_counts"]


@dataclass(frozen=True, slots=True)
class CategoricalStats:
    """Drift statistics of one categorical column (reference vs current).

    Attributes:
        chi2_statistic / chi2_pvalue: chi-square test of homogeneity.
        psi: population stability index over the categories.
        js: Jensen-Shannon distance (base 2, 0..1).
        categories: the union of categories, as text, sorted.
        reference_counts / current_counts: rows per category.
        new_categories: seen in the current data only.
        vanished_categories: seen in the reference only.
    """

    chi2_statistic: float
    chi2_pvalue: float
    psi: float
    js: float
    categories: tuple[str, ...]
    reference_counts: tuple[int, ...]
    current_counts: tuple[int, ...]
    new_categories: tuple[str, ...]
    vanished_categories: tuple[str, ...]


def category_counts(values: np.ndarray) -> dict[str, int]:
    """Rows per category (as text), missing values left out.

    Example:
        >>> category_counts(np.array(["a", "b", "a", None], dtype=object))
        {'a': 2, 'b': 1}
    """
    import pandas as pd

    counts = pd.Series(values, dtype=object).value_counts(dropna=True)
    found: dict[str, int] = {}
    for key, count in counts.items():
        label = _label(key)
        found[label] = found.get(label, 0) + int(count)
    return found


def categorical_stats(
    reference: dict[str, int], current: dict[str, int]
) -> CategoricalStats:
    """Compare two category counts (see :func:`category_counts`).

    Example:
        >>> s = categorical_stats({"a": 50, "b": 50}, {"a": 80, "c": 20})
        >>> s.new_categories, s.vanished_categories
        (('c',), ('b',))
    """
    categories = tuple(sorted(set(reference) | set(current)))
    ref = np.array([reference.get(c, 0) for c in categories], dtype=np.int64)
    cur = np.array([current.get(c, 0) for c in categories], dtype=np.int64)
    statistic, pvalue = _chi_square(ref, cur)
    return CategoricalStats(
        chi2_statistic=statistic,
        chi2_pvalue=pvalue,
        psi=psi(ref, cur),
        js=js_distance(ref, cur),
        categories=categories,
        reference_counts=tuple(int(c) for c in ref),
        current_counts=tuple(int(c) for c in cur),
        new_categories=tuple(c for c in categories if c not in reference),
        vanished_categories=tuple(c for c in categories if c not in current),
    )


def _chi_square(ref: np.ndarray, cur: np.ndarray) -> tuple[float, float]:
    if ref.size < 2:  # one category on both sides: nothing can differ
        return 0.0, 1.0
    from scipy.stats import chi2_contingency

    result = chi2_contingency(np.vstack([ref, cur]))
    return float(result.statistic), float(result.pvalue)


def _label(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
