"""Side-by-side comparison of runs: parameters and metrics that differ."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rung.metadata import RunRecord
    from rung.workspace import Workspace

__all__ = ["RunComparison", "compare_runs"]


@dataclass(frozen=True, slots=True)
class RunComparison:
    """Runs side by side.

    Attributes:
        runs: the compared run records, in the order asked.
        params: parameter name -> one value per run (None where absent).
        metrics: metric name -> last value per run (None where absent).
        differing_params: names of parameters whose values differ.
    """

    runs: list[RunRecord]
    params: dict[str, list[Any]] = field(default_factory=dict)
    metrics: dict[str, list[float | None]] = field(default_factory=dict)
    differing_params: list[str] = field(default_factory=list)

    def best(self, metric: str, *, higher_is_better: bool = True) -> RunRecord | None:
        """Return the run with the best value of ``metric``, if any has it."""
        values = self.metrics.get(metric, [])
        scored = [
            (v, r) for v, r in zip(values, self.runs, strict=True) if v is not None
        ]
        if not scored:
            return None
        pick = max if higher_is_better else min
        return pick(scored, key=lambda pair: pair[0])[1]


def compare_runs(workspace: Workspace, run_ids: Sequence[str]) -> RunComparison:
    """Compare runs by id (or id prefix).

    Example:
        >>> cmp = compare_runs(ws, ["3f2a", "9bc1"])  # doctest: +SKIP
        >>> cmp.differing_params  # doctest: +SKIP
        ['C']
    """
    runs = [workspace.runs.get_run(run_id) for run_id in run_ids]
    latest = workspace.runs.latest_metrics([r.id for r in runs])
    param_names = sorted({k for r in runs for k in r.params})
    metric_names = sorted({k for r in runs for k in latest.get(r.id, {})})
    params = {k: [r.params.get(k) for r in runs] for k in param_names}
    metrics = {k: [latest.get(r.id, {}).get(k) for r in runs] for k in metric_names}
    differing = [k for k, vals in params.items() if len({repr(v) for v in vals}) > 1]
    return RunComparison(runs, params, metrics, differing)
