"""Binning both samples once; exact CDF facts from bins plus a few sorted points.

See ``_numeric`` for the method. ``Side`` is one sample binned, ``Merged``
the points of the chosen bins of both samples, sorted by value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "Merged",
    "Side",
    "bin_of",
    "bin_values",
    "lerp_edges",
    "quantile_ranks",
    "wasserstein_units",
]


@dataclass(slots=True)
class Side:
    """One sample binned: positions (in bin units), bins, counts, cumulated."""

    values: np.ndarray
    pos: np.ndarray
    bins: np.ndarray
    counts: np.ndarray
    frac_sums: np.ndarray
    cum: np.ndarray  # cum[k] = rows in bins < k (length K + 1)


def bin_values(values: np.ndarray, lo: float, scale: float, k: int) -> Side:
    pos = np.subtract(values, lo)
    pos *= scale
    bins = pos.astype(np.intp)
    np.minimum(bins, k - 1, out=bins)
    counts = np.bincount(bins, minlength=k)
    frac_sums = np.bincount(bins, weights=pos, minlength=k) - counts * np.arange(k)
    cum = np.zeros(k + 1, dtype=np.int64)
    np.cumsum(counts, out=cum[1:])
    return Side(values, pos, bins, counts, frac_sums, cum)


def bin_of(values: np.ndarray, lo: float, scale: float, k: int) -> np.ndarray:
    bins = (np.subtract(values, lo) * scale).astype(np.intp)
    clipped: np.ndarray = np.clip(bins, 0, k - 1)
    return clipped


def quantile_ranks(n: int, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Order-statistic ranks and weights of ``np.quantile`` (linear method)."""
    virtual = (n - 1) * np.linspace(0.0, 1.0, bins + 1)
    previous = np.floor(virtual)
    gamma = virtual - previous
    previous[virtual >= n - 1] = n - 1
    low = previous.astype(np.intp)
    high = np.minimum(low + 1, n - 1)
    return np.concatenate([low, high]), gamma


def lerp_edges(
    merged: Merged,
    ref: Side,
    ranks: np.ndarray,
    rank_bins: np.ndarray,
    gamma: np.ndarray,
) -> np.ndarray:
    """Reference quantiles from the gathered points, interpolated as NumPy does."""
    values = merged.order_statistics(ref, ranks, rank_bins)
    a, b = np.split(values, 2)
    diff = b - a
    out: np.ndarray = a + diff * gamma
    upper = gamma >= 0.5
    out[upper] = (b - diff * (1 - gamma))[upper]
    return out


class Merged:
    """The points of the chosen bins, both samples, sorted by value."""

    def __init__(
        self,
        values: np.ndarray,
        pos: np.ndarray,
        bins: np.ndarray,
        is_ref: np.ndarray,
        g: np.ndarray,
    ) -> None:
        self.values, self.pos, self.bins, self.is_ref, self.g = (
            values,
            pos,
            bins,
            is_ref,
            g,
        )
        self.ref_values = values[is_ref]
        self.ref_bins = bins[is_ref]
        self.cur_values = values[~is_ref]
        self.cur_bins = bins[~is_ref]

    @classmethod
    def gather(
        cls,
        ref: Side,
        cur: Side,
        *,
        wanted: np.ndarray,
        g_left: np.ndarray,
        n: int,
        m: int,
    ) -> Merged:
        take_r, take_c = wanted[ref.bins], wanted[cur.bins]
        values = np.concatenate([ref.values[take_r], cur.values[take_c]])
        order = np.argsort(values, kind="stable")
        pos = np.concatenate([ref.pos[take_r], cur.pos[take_c]])[order]
        bins = np.concatenate([ref.bins[take_r], cur.bins[take_c]])[order]
        is_ref = np.zeros(values.size, dtype=bool)
        is_ref[: int(take_r.sum())] = True
        is_ref = is_ref[order]
        values = values[order]
        # g after each point: the bin's left value plus its points so far.
        cum_r, cum_c = np.cumsum(is_ref), np.cumsum(~is_ref)
        first = np.searchsorted(bins, bins, side="left")
        before_r = np.where(first > 0, cum_r[first - 1], 0)
        before_c = np.where(first > 0, cum_c[first - 1], 0)
        g = g_left[bins] + (cum_r - before_r) / n - (cum_c - before_c) / m
        return cls(values, pos, bins, is_ref, g)

    def ks_max(self, ks_bins: np.ndarray) -> float:
        """The largest ``|F_r - F_c|`` at the points of the candidate bins."""
        if self.values.size == 0 or ks_bins.size == 0:
            return 0.0
        last = np.ones(self.values.size, dtype=bool)
        last[:-1] = self.values[1:] != self.values[:-1]
        keep = last & np.isin(self.bins, ks_bins)
        return float(np.abs(self.g[keep]).max()) if keep.any() else 0.0

    def order_statistics(
        self, side: Side, ranks: np.ndarray, rank_bins: np.ndarray
    ) -> np.ndarray:
        """The reference values of the given ranks (0-based, ascending order)."""
        start = np.searchsorted(self.ref_bins, rank_bins, side="left")
        found: np.ndarray = self.ref_values[start + (ranks - side.cum[rank_bins])]
        return found

    def bin_counts(
        self,
        edges: np.ndarray,
        edge_bins: np.ndarray,
        side: Side,
        *,
        is_reference: bool,
    ) -> np.ndarray:
        """Rows per PSI bin: (-inf, e1), [e1, e2), ..., [e_last, inf)."""
        values = self.ref_values if is_reference else self.cur_values
        bins = self.ref_bins if is_reference else self.cur_bins
        start = np.searchsorted(bins, edge_bins, side="left")
        below = side.cum[edge_bins] + np.searchsorted(values, edges, "left") - start
        total = side.values.size
        counts: np.ndarray = np.diff(np.concatenate([[0], below, [total]]))
        return counts.astype(np.int64)


def wasserstein_units(
    merged: Merged,
    ref: Side,
    cur: Side,
    *,
    g_left: np.ndarray,
    g_right: np.ndarray,
    cross: np.ndarray,
    scale: float,
) -> float:
    """``integral |F_r - F_c|`` in bin-width units.

    Where the difference keeps one sign across a bin, the per-bin sums of the
    points' positions give the integral exactly; the bins where it may cross
    zero are integrated point by point.
    """
    n, m = ref.values.size, cur.values.size
    inside = (ref.counts - ref.frac_sums) / n - (cur.counts - cur.frac_sums) / m
    total = float(np.abs(g_left + inside)[~cross].sum())
    if not cross.any():
        return total
    chosen = cross[merged.bins]
    bins, pos = merged.bins[chosen], merged.pos[chosen]
    values, g = merged.values[chosen], merged.g[chosen]
    same = bins[1:] == bins[:-1]
    inner = float(np.sum(np.abs(g[:-1][same]) * np.diff(values)[same])) * scale
    starts = np.flatnonzero(np.concatenate([[True], ~same]))
    ends = np.flatnonzero(np.concatenate([~same, [True]]))
    head = np.abs(g_left[bins[starts]]) * (pos[starts] - bins[starts])
    tail = np.abs(g_right[bins[ends]]) * (bins[ends] + 1 - pos[ends])
    return total + inner + float(head.sum() + tail.sum())
