"""Drift verdicts: per-feature rules and results, methods and default thresholds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from rung.errors import MonitorDefinitionError

__all__ = [
    "DEFAULT_THRESHOLDS",
    "METHODS",
    "SMALL_SAMPLE",
    "DriftResult",
    "FeatureDrift",
    "FeatureRule",
]

SMALL_SAMPLE = 1_000
"""Below this many rows (either side) tests with p-values decide."""

METHODS: dict[str, tuple[str, ...]] = {
    "numeric": ("ks", "wasserstein", "psi", "js"),
    "categorical": ("chi2", "psi", "js"),
}
DEFAULT_THRESHOLDS: dict[str, float] = {
    "ks": 0.05,
    "chi2": 0.05,
    "wasserstein": 0.1,
    "psi": 0.2,
    "js": 0.1,
}
"""p-value (alpha) for ``ks`` and ``chi2``; the distance for the others."""


@dataclass(frozen=True, slots=True)
class FeatureRule:
    """How to judge one feature (anything left None uses the defaults).

    Attributes:
        method: ``ks``, ``wasserstein``, ``psi``, ``js`` (numeric) or ``chi2``,
            ``psi``, ``js`` (categorical).
        threshold: alpha for tests, the distance threshold otherwise.
        kind: force ``numeric`` or ``categorical``.
        bins: reference-quantile bins for PSI and Jensen-Shannon (default 10).
    """

    method: str | None = None
    threshold: float | None = None
    kind: str | None = None
    bins: int | None = None

    @classmethod
    def parse(cls, value: FeatureRule | Mapping[str, Any], feature: str) -> FeatureRule:
        """A rule from itself or a mapping (``{"method": "psi"}``)."""
        if isinstance(value, FeatureRule):
            return value
        unknown = set(value) - {"method", "threshold", "kind", "bins"}
        if unknown:
            raise MonitorDefinitionError(
                f"Unknown settings {sorted(unknown)} for feature {feature!r}; use "
                "method, threshold, kind and bins."
            )
        return cls(**dict(value))


@dataclass(frozen=True, slots=True)
class FeatureDrift:
    """The drift verdict of one feature.

    Attributes:
        feature / kind: the column, ``numeric`` or ``categorical``.
        method: the statistic that decided (None: not computable).
        score: its value (a p-value for ``ks`` and ``chi2``).
        threshold: what it was compared with.
        drifted: the verdict; None when not computable.
        reason: why it is not computable (or how the method was chosen).
        stats: every statistic computed (``ks_statistic``, ``psi``...).
        reference_rows / current_rows: non-missing values compared.
        new_categories / vanished_categories: categorical columns only.
        histogram: the bins compared (edges or categories, and counts).
    """

    feature: str
    kind: str
    method: str | None
    score: float | None
    threshold: float | None
    drifted: bool | None
    reason: str = ""
    stats: Mapping[str, float | None] = field(default_factory=dict)
    reference_rows: int = 0
    current_rows: int = 0
    new_categories: tuple[str, ...] = ()
    vanished_categories: tuple[str, ...] = ()
    histogram: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_computable(self) -> bool:
        """True when a verdict was reached."""
        return self.drifted is not None


@dataclass(frozen=True, slots=True)
class DriftResult:
    """Drift of every feature compared, and of the dataset.

    Attributes:
        features: feature -> verdict, in column order.
        drift_share: drifted / computable features (None if none computable).
        threshold: the ``drift_share`` threshold.
        dataset_drift: ``drift_share >= threshold`` (None if not computable).
        reference_rows / current_rows: rows of each side.
    """

    features: Mapping[str, FeatureDrift]
    drift_share: float | None
    threshold: float
    dataset_drift: bool | None
    reference_rows: int
    current_rows: int

    @property
    def drifted_features(self) -> list[str]:
        """The features that drifted."""
        return [name for name, f in self.features.items() if f.drifted]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data."""
        out = asdict(self)
        out["drifted_features"] = self.drifted_features
        return out
