"""Data drift per feature and for the whole dataset: ``compute_drift``.

Every statistic is computed for every column (they cost little once a column
is binned); one of them decides whether the column drifted:

- fewer than 1,000 rows on either side: a statistical test, drift when its
  p-value is below 0.05 (KS for numeric columns, chi-square for categorical);
- otherwise a distance, drift when it reaches its threshold (normalised
  Wasserstein 0.1 for numeric columns, Jensen-Shannon 0.1 for categorical);
  PSI (0.2) and the others can be chosen per feature.

The dataset drifts when the share of drifted columns reaches ``drift_share``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from rung.errors import MonitorDefinitionError
from rung.monitoring._columns import (
    Columns,
    column_kind,
    finite_values,
    missing_mask,
    row_count,
    to_columns,
)
from rung.monitoring._compare import compare_column
from rung.monitoring._verdicts import (
    DEFAULT_THRESHOLDS,
    METHODS,
    SMALL_SAMPLE,
    DriftResult,
    FeatureDrift,
    FeatureRule,
)

__all__ = [
    "DEFAULT_THRESHOLDS",
    "METHODS",
    "SMALL_SAMPLE",
    "DriftResult",
    "FeatureDrift",
    "FeatureRule",
    "compute_drift",
]

_P_VALUES = {"ks": "ks_pvalue", "chi2": "chi2_pvalue"}
_SCORES = {"wasserstein": "wasserstein_norm", "psi": "psi", "js": "js"}
_PARALLEL_ROWS = 50_000


def compute_drift(
    reference: Any,
    current: Any,
    *,
    columns: Sequence[str] | None = None,
    method: str | None = None,
    thresholds: Mapping[str, float] | None = None,
    features: Mapping[str, FeatureRule | Mapping[str, Any]] | None = None,
    drift_share: float = 0.5,
    bins: int = 10,
    workers: int | None = None,
) -> DriftResult:
    """Compare ``current`` with ``reference``, feature by feature.

    Args:
        reference: a DataFrame, Arrow table, DuckDB relation or dict of arrays.
        current: the same for the data to judge.
        columns: the features (default: the reference's columns).
        method: use this method for every feature it applies to.
        thresholds: method -> threshold, overriding :data:`DEFAULT_THRESHOLDS`.
        features: feature -> :class:`FeatureRule` (or a mapping) overrides.
        drift_share: the share of drifted features that makes dataset drift.
        bins: reference-quantile bins for PSI and Jensen-Shannon.
        workers: threads for the columns (default: up to 4 on big inputs).

    Returns:
        The verdicts. Columns that cannot be compared (missing on one side,
        no values, different kinds) are "not computable", with the reason.

    Raises:
        MonitorDefinitionError: an unknown method, or one that does not fit
            the column's kind.

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> ref = {"x": rng.normal(size=2000)}
        >>> cur = {"x": rng.normal(0.5, 1, 2000)}
        >>> compute_drift(ref, cur).features["x"].drifted
        True
    """
    ref, cur = to_columns(reference, "reference"), to_columns(current, "current data")
    names = list(columns) if columns is not None else list(ref)
    limits = {**DEFAULT_THRESHOLDS, **dict(thresholds or {})}
    rules = {k: FeatureRule.parse(v, k) for k, v in (features or {}).items()}
    sizes = (row_count(ref), row_count(cur))

    def judge(name: str) -> FeatureDrift:
        rule = rules.get(name, FeatureRule())
        return _feature(
            name, ref, cur=cur, rule=rule, method=method, limits=limits, bins=bins
        )

    big = max(sizes) >= _PARALLEL_ROWS and len(names) > 1
    threads = (
        workers if workers is not None else (min(4, os.cpu_count() or 1) if big else 1)
    )
    if threads > 1:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            verdicts = list(pool.map(judge, names))
    else:
        verdicts = [judge(name) for name in names]
    return _summarise(dict(zip(names, verdicts, strict=True)), drift_share, sizes)


def _summarise(
    verdicts: dict[str, FeatureDrift], threshold: float, sizes: tuple[int, int]
) -> DriftResult:
    judged = [v for v in verdicts.values() if v.drifted is not None]
    share = sum(bool(v.drifted) for v in judged) / len(judged) if judged else None
    return DriftResult(
        features=verdicts,
        drift_share=share,
        threshold=threshold,
        dataset_drift=None if share is None else share >= threshold,
        reference_rows=sizes[0],
        current_rows=sizes[1],
    )


def _feature(
    name: str,
    ref: Columns,
    *,
    cur: Columns,
    rule: FeatureRule,
    method: str | None,
    limits: Mapping[str, float],
    bins: int,
) -> FeatureDrift:
    problem = _problem(name, ref, cur, rule)
    if isinstance(problem, FeatureDrift):
        return problem
    kind = problem
    chosen = rule.method or method
    if chosen is not None and chosen not in METHODS[kind]:
        if rule.method is not None:
            raise MonitorDefinitionError(
                f"Method {chosen!r} does not apply to {kind} feature {name!r}; use "
                f"one of {', '.join(METHODS[kind])}."
            )
        chosen = None  # a global method that does not fit: use the default
    compared = compare_column(ref[name], cur[name], kind, rule.bins or bins)
    if isinstance(compared, str):
        return FeatureDrift(name, kind, None, None, None, None, reason=compared)
    stats, extra = compared
    small = min(extra["reference_rows"], extra["current_rows"]) < SMALL_SAMPLE
    default = (
        ("ks" if kind == "numeric" else "chi2")
        if small
        else ("wasserstein" if kind == "numeric" else "js")
    )
    chosen = chosen or default
    reason = ""
    if chosen == "wasserstein" and stats.get("wasserstein_norm") is None:
        chosen, reason = "psi", "constant reference: PSI decides instead of Wasserstein"
    threshold = rule.threshold if rule.threshold is not None else limits[chosen]
    if chosen in _P_VALUES:
        score = stats[_P_VALUES[chosen]]
        drifted = score is not None and score < threshold
    else:
        score = stats[_SCORES[chosen]]
        drifted = score is not None and score >= threshold
    return FeatureDrift(
        name, kind, chosen, score, threshold, bool(drifted), reason, stats, **extra
    )


def _problem(
    name: str, ref: Columns, cur: Columns, rule: FeatureRule
) -> FeatureDrift | str:
    """The column's kind, or a "not computable" verdict saying why."""
    for side, table in (("reference", ref), ("current data", cur)):
        if name not in table:
            return _not_computable(name, f"column missing from the {side}")
    kinds = {column_kind(ref[name]), column_kind(cur[name])}
    if rule.kind is not None:
        if rule.kind not in METHODS:
            raise MonitorDefinitionError(
                f"Kind {rule.kind!r} of feature {name!r} is unknown; use numeric or "
                "categorical."
            )
        if rule.kind == "numeric" and kinds != {"numeric"}:
            return _not_computable(name, "values are not all numbers on both sides")
        return rule.kind
    if len(kinds) > 1:
        return _not_computable(
            name,
            f"types differ: {column_kind(ref[name])} in the reference "
            f"({ref[name].dtype}), {column_kind(cur[name])} in the current data "
            f"({cur[name].dtype}); cast one side or set its kind",
        )
    kind = kinds.pop()
    for side, table in (("reference", ref), ("current data", cur)):
        values = table[name]
        if len(values) == 0:
            return _not_computable(name, f"the {side} has no rows", kind)
        if kind == "numeric" and finite_values(values).size == 0:
            return _not_computable(
                name, f"no finite values in the {side} ({len(values)} rows)", kind
            )
        if kind == "categorical" and missing_mask(values).all():
            return _not_computable(
                name, f"all {len(values)} values are missing in the {side}", kind
            )
    return kind


def _not_computable(name: str, reason: str, kind: str = "unknown") -> FeatureDrift:
    return FeatureDrift(name, kind, None, None, None, None, reason=reason)
