"""The held-out slice of the training data, scored for both models.

With ``holdout="auto"`` the challenger's training table is found through
lineage (the data inputs of the step that produced it, recorded on the model
version); its rows picked by :func:`holdout_mask` are scored by both models.
A table passed explicitly is scored whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rung.automation._scoring import holdout_mask, improvement, input_columns, score
from rung.errors import RungError

if TYPE_CHECKING:
    import pandas as pd

    from rung.registry.records import ModelVersionRecord
    from rung.serving import ServedModel
    from rung.workspace import Workspace

__all__ = ["HoldoutResult", "score_holdout"]


@dataclass(frozen=True, slots=True)
class HoldoutResult:
    """What the held-out rows said: the record's ``holdout``, a check, notes."""

    summary: dict[str, Any] = field(default_factory=dict)
    checks: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def score_holdout(  # noqa: PLR0917 - the comparison's settings, passed on
    workspace: Workspace,
    challenger: ModelVersionRecord,
    scorers: list[ServedModel],
    metric: str,
    holdout: Any,
    target: str | None,
    tolerance: float | None,
) -> HoldoutResult:
    """Score champion and challenger on held-out training rows.

    Args:
        workspace: where the training table's artifact is.
        challenger: the challenger's version record (its lineage).
        scorers: ``[champion, challenger]``, loaded.
        metric: the primary metric.
        holdout: ``"auto"``, a DataFrame of held-out rows, or None (skip).
        target: the label column (default: the one column of the table that
            is not an input of the model).
        tolerance: when set, the challenger may be worse than the champion
            on these rows by at most this much.
    """
    if holdout is None or holdout is False:
        return HoldoutResult()
    if isinstance(holdout, str):
        found = _training_table(workspace, challenger, scorers[1], target)
        if isinstance(found, str):
            return HoldoutResult(notes=[f"held-out training rows not scored: {found}"])
        table, label, source = found
    else:
        label = target or "label"
        if label not in holdout.columns:
            return HoldoutResult(
                notes=[f"held-out rows not scored: no target column {label!r}"]
            )
        table, source = holdout, "given table"
    return _scored(table, label, source, scorers, metric, tolerance)


def _scored(  # noqa: PLR0917
    table: pd.DataFrame,
    label: str,
    source: str,
    scorers: list[ServedModel],
    metric: str,
    tolerance: float | None,
) -> HoldoutResult:
    table = table[table[label].notna()]
    if table.empty:
        return HoldoutResult(notes=[f"held-out rows not scored: {source} is empty"])
    labels = table[label].to_numpy()
    columns = input_columns(table, scorers[0], logged=False)
    scored = [score(s, columns, labels) for s in scorers]
    values = [s.metric(metric) for s in scored]
    summary = {
        "source": source,
        "target": label,
        "rows": len(table),
        "champion": dict(scored[0].performance.metrics),
        "challenger": dict(scored[1].performance.metrics),
    }
    if tolerance is None or None in values:
        return HoldoutResult(summary)
    champion, challenger = values[0] or 0.0, values[1] or 0.0
    worse = -improvement(metric, challenger, champion)
    passed = worse <= tolerance
    detail = (
        f"held-out training rows ({len(table)}): {metric} {challenger:.4g} vs "
        f"champion {champion:.4g}, "
        + (f"worse by {worse:.4g}" if worse > 0 else "not worse")
        + f" (tolerance {tolerance:g})"
    )
    check = {"check": "holdout", "passed": passed, "detail": detail, "worse": worse}
    return HoldoutResult(summary, [check])


def _training_table(
    workspace: Workspace,
    version: ModelVersionRecord,
    scorer: ServedModel,
    target: str | None,
) -> tuple[pd.DataFrame, str, str] | str:
    """The held-out rows of the version's training table, or why there are none."""
    if not version.training_data:
        return (
            f"{version.model} v{version.version} records no training data in its "
            "lineage (registered outside a pipeline)"
        )
    names = set(scorer.schema.names)
    for name, artifact_id in version.training_data.items():
        try:
            record = workspace.runs.get_artifact(artifact_id)
            if "DataFrame" not in record.type:
                continue
            frame = workspace.load_artifact(record)
        except (RungError, LookupError) as exc:
            return f"the training table {name!r} cannot be read ({exc})"
        if not names <= {str(c) for c in frame.columns}:
            continue
        label = _target(frame, names, target)
        if label is None:
            extra = sorted(str(c) for c in frame.columns if c not in names)
            return (
                f"cannot tell the label column of {name!r} among {extra}: pass "
                "target=..."
            )
        source = f"{name} (artifact {artifact_id[:12]}, 20% by row hash)"
        return frame[holdout_mask(frame)], label, source
    return "no training input of the producing step holds the model's inputs"


def _target(frame: pd.DataFrame, names: set[str], target: str | None) -> str | None:
    if target is not None:
        return target if target in frame.columns else None
    extra = [str(c) for c in frame.columns if str(c) not in names]
    return extra[0] if len(extra) == 1 else None
