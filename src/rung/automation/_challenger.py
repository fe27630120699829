"""Champion and challenger: score both on the same frozen window, decide, store.

:func:`compare_challenger` reads the labelled production rows of a window
(the prediction log joined with feedback labels), loads the champion (the
version behind the alias) and the challenger through the registry, predicts
the same logged inputs with both, and checks the conditions of a promotion:

- the primary metric is better by at least ``margin`` (noise does not churn
  the champion);
- no configured slice (``region=CA``) is worse by more than its tolerance;
- the challenger's latency is under the ceiling;
- optionally, the held-out training rows are not worse beyond a tolerance.

The verdict (``promote`` or ``keep``) comes with every check and number, and
the comparison is stored (``rung challenger show ID``, ``rung models compare
NAME V1 V2``). The registry's gates and approvals are recorded beside it and
enforced again by :func:`promote_if_better`, which promotes through the
registry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rung._internal.ids import new_id
from rung._internal.timeutil import now as _now
from rung.automation._holdout import score_holdout
from rung.automation._ledger import record_event
from rung.automation._scoring import (
    improvement,
    input_columns,
    latency_ms_per_1k,
    load_scorer,
    rescore,
    score,
    slice_mask,
)
from rung.automation._window import read_window
from rung.automation.errors import ChallengerDataError, ChallengerError
from rung.automation.records import ChallengerComparison

if TYPE_CHECKING:
    from rung.automation._scoring import Scored
    from rung.automation._window import FrozenWindow, WindowSpec
    from rung.registry.records import ModelVersionRecord
    from rung.serving import ServedModel
    from rung.workspace import Workspace

__all__ = ["compare_challenger"]


@dataclass
class _Findings:
    """Checks (conditions of the verdict), notes (what was not checked), and
    the per-slice and latency numbers behind them."""

    checks: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    slices: list[dict[str, Any]] = field(default_factory=list)
    latency: dict[str, Any] = field(default_factory=dict)

    def check(self, kind: str, passed: bool, detail: str, **numbers: Any) -> None:
        self.checks.append(
            {"check": kind, "passed": bool(passed), "detail": detail, **numbers}
        )

    @property
    def verdict(self) -> str:
        return "promote" if all(c["passed"] for c in self.checks) else "keep"


def compare_challenger(
    workspace: Workspace,
    model: str,
    challenger_version: int,
    *,
    alias: str = "production",
    window: WindowSpec = "7d",
    deployment: str | None = None,
    metric: str | None = None,
    margin: float = 0.01,
    slices: Sequence[str] | Mapping[str, float] = (),
    slice_tolerance: float = 0.02,
    min_slice_rows: int = 20,
    latency_ceiling_ms: float | None = None,
    holdout: Any = "auto",
    target: str | None = None,
    holdout_tolerance: float | None = None,
    min_rows: int = 100,
    allow_pickle: bool = False,
    now: float | None = None,
) -> ChallengerComparison:
    """Score a challenger and the champion on one frozen window; store the verdict.

    Args:
        workspace: the workspace (registry, prediction log, automation store).
        model: the model's name.
        challenger_version: the version that challenges the champion.
        alias: the champion is the version this alias points to.
        window: the labelled rows: ``"7d"`` (up to now), seconds, or
            ``(since, until)`` in POSIX seconds (replay a stored window).
        deployment: keep the rows one deployment logged (its name or id);
            default: every logged row of the model.
        metric: the primary metric (default: ``accuracy`` for classifiers,
            ``rmse`` for regressors); any metric of
            :func:`rung.monitoring.evaluate_performance`.
        margin: how much better the challenger must be, in the metric's units.
        slices: ``column=value`` groups that must not get worse: a list (each
            with ``slice_tolerance``) or a mapping slice -> tolerance.
        slice_tolerance: the default tolerance of a slice.
        min_slice_rows: a slice with fewer labelled rows is noted, not checked.
        latency_ceiling_ms: the most milliseconds per 1,000 rows (median
            predict time of the challenger on the window's inputs).
        holdout: ``"auto"`` (the held-out 20% of the challenger's training
            table, when lineage records it), a DataFrame of held-out rows, or
            None.
        target: the label column of the held-out rows.
        holdout_tolerance: when set, the challenger may be worse on the
            held-out rows by at most this much (else they are only reported).
        min_rows: the fewest labelled rows a comparison accepts.
        allow_pickle: load pickled versions (runs code from the files).
        now: the end of a relative window (default: now).

    Returns:
        The stored comparison: window, metrics, slices, latency, held-out
        metrics, checks, registry gates and the verdict.

    Raises:
        ChallengerError: no champion, the challenger is the champion or
            archived, their signatures differ, an unknown deployment or metric.
        ChallengerDataError: no labelled rows in the window, or too few.
        ModelNotFoundError / ModelVersionNotFoundError: unknown model or version.

    Example:
        >>> result = compare_challenger(ws, "churn", 3, window="7d",
        ...                             slices=["region=CA"])  # doctest: +SKIP
        >>> result.verdict, result.reasons  # doctest: +SKIP
        ('promote', ['ok: accuracy 0.91 vs champion 0.87: ...'])
    """
    at = _now() if now is None else float(now)
    settings: dict[str, Any] = {
        "margin": margin,
        "slices": _tolerances(slices, slice_tolerance),
        "min_slice_rows": min_slice_rows,
        "latency_ceiling_ms": latency_ceiling_ms,
        "holdout_tolerance": holdout_tolerance,
        "min_rows": min_rows,
    }
    champion, challenger = _versions(workspace, model, challenger_version, alias)
    frozen = read_window(
        workspace, model, window, deployment=deployment, now=at, min_rows=min_rows
    )
    scorers = [
        load_scorer(workspace, v, allow_pickle=allow_pickle)
        for v in (champion, challenger)
    ]
    columns = input_columns(frozen.frame, scorers[0])
    scored = [score(s, columns, frozen.labels) for s in scorers]
    name = _primary(metric, scored)
    found = _Findings(notes=_signature_notes(champion, challenger))
    _check_metric(found, name, scored, margin)
    found.slices = _check_slices(
        found, frozen, scored, name, settings["slices"], min_slice_rows
    )
    found.latency = _check_latency(found, scorers, columns, latency_ceiling_ms)
    held = score_holdout(
        workspace, challenger, scorers, name, holdout, target, holdout_tolerance
    )
    found.checks += held.checks
    found.notes += held.notes
    record = ChallengerComparison(
        id=new_id(),
        project=workspace.project,
        model=model,
        alias=alias,
        champion_version=champion.version,
        challenger_version=challenger.version,
        created_at=at,
        user=workspace.user,
        metric=name,
        verdict=found.verdict,
        window=frozen.info,
        champion_metrics=dict(scored[0].performance.metrics),
        challenger_metrics=dict(scored[1].performance.metrics),
        slices=tuple(found.slices),
        latency=found.latency,
        holdout=held.summary,
        checks=tuple(found.checks),
        gates=tuple(_gates(workspace, model, challenger.version, alias)),
        settings=settings,
        notes=tuple(found.notes),
    )
    workspace.triggers.add_comparison(record)
    _record(workspace, record)
    return record


def _versions(
    workspace: Workspace, model: str, version: int, alias: str
) -> tuple[ModelVersionRecord, ModelVersionRecord]:
    from rung.registry import get_model, get_version

    found = get_model(workspace, model)
    current = found.aliases.get(alias)
    if current is None:
        raise ChallengerError(
            f"Model {model!r} has no {alias!r} version to challenge (its aliases: "
            f"{sorted(found.aliases) or 'none'}). Promote a first version to "
            f"{alias!r}.",
            model=model,
            alias=alias,
            reason="alias_unset",
        )
    if current == version:
        raise ChallengerError(
            f"Version {version} of model {model!r} is already the champion "
            f"({alias!r}): there is nothing to compare. Register a new version."
        )
    challenger = get_version(workspace, model, version)
    if challenger.is_archived:
        raise ChallengerError(
            f"Version {version} of model {model!r} is archived and cannot be "
            "promoted. Restore it, or register a new version.",
            model=model,
            version=version,
            reason="archived",
        )
    champion = get_version(workspace, model, current)
    _check_signatures(champion, challenger)
    return champion, challenger


def _check_signatures(
    champion: ModelVersionRecord, challenger: ModelVersionRecord
) -> None:
    from rung.registry import signature_problems

    if champion.signature is None or challenger.signature is None:
        return
    problems = signature_problems(challenger.signature, champion.signature)
    if problems:
        raise ChallengerError(
            f"Cannot compare {challenger.model} v{challenger.version} with the "
            f"champion v{champion.version}: their signatures differ "
            f"({'; '.join(problems)}). A challenger must take the inputs the "
            "deployment logs: retrain it on the same columns."
        )


def _signature_notes(
    champion: ModelVersionRecord, challenger: ModelVersionRecord
) -> list[str]:
    missing = [f"v{v.version}" for v in (champion, challenger) if v.signature is None]
    if not missing:
        return []
    return [f"no signature recorded for {', '.join(missing)}: inputs matched by name"]


def _primary(metric: str | None, scored: list[Scored]) -> str:
    perf = scored[0].performance
    name = metric or ("accuracy" if perf.task == "classification" else "rmse")
    if name not in perf.metrics:
        raise ChallengerError(
            f"Unknown metric {name!r} for a {perf.task} model. Choose one of: "
            f"{', '.join(sorted(perf.metrics))}."
        )
    for side, result in zip(("champion", "challenger"), scored, strict=True):
        if result.metric(name) is None:
            why = result.performance.reasons.get(name, "not computable")
            raise ChallengerDataError(
                f"The {side}'s {name} cannot be computed on this window: {why}. "
                f"Choose another metric: "
                f"{', '.join(k for k, v in perf.metrics.items() if v is not None)}."
            )
    return name


def _check_metric(
    found: _Findings, metric: str, scored: list[Scored], margin: float
) -> None:
    champion, challenger = (float(s.metric(metric) or 0.0) for s in scored)
    gain = improvement(metric, challenger, champion)
    detail = (
        f"{metric} {challenger:.4g} vs champion {champion:.4g}: "
        f"{'better' if gain > 0 else 'worse' if gain < 0 else 'no better'} by "
        f"{abs(gain):.4g}, needs better by >= {margin:g}"
    )
    found.check(
        "metric",
        gain >= margin,
        detail,
        metric=metric,
        champion=champion,
        challenger=challenger,
        improvement=gain,
        margin=margin,
    )


def _tolerances(
    slices: Sequence[str] | Mapping[str, float], default: float
) -> dict[str, float]:
    if isinstance(slices, str):
        slices = [slices]
    if isinstance(slices, Mapping):
        return {str(k): float(v) for k, v in slices.items()}
    return {str(s): float(default) for s in slices}


def _check_slices(  # noqa: PLR0917
    found: _Findings,
    frozen: FrozenWindow,
    scored: list[Scored],
    metric: str,
    tolerances: Mapping[str, float],
    min_rows: int,
) -> list[dict[str, Any]]:
    rows = []
    for text, tolerance in tolerances.items():
        mask = slice_mask(frozen.frame, text)
        if mask is None:
            raise ChallengerDataError(
                f"The slice {text!r} names a column the prediction log does not "
                f"have (columns: {sorted(map(str, frozen.frame.columns))})."
            )
        size = int(mask.sum())
        parts = [rescore(s, mask, frozen.labels) for s in scored]
        values = [None if p is None else p.metric(metric) for p in parts]
        row: dict[str, Any] = {"slice": text, "rows": size, "tolerance": tolerance}
        if size < min_rows or None in values:
            found.notes.append(
                f"slice {text} not checked: {size} labelled row(s)"
                + (f", fewer than {min_rows}" if size < min_rows else "")
                + ("" if None not in values else f", {metric} not computable")
            )
            rows.append({**row, "checked": False})
            continue
        champion, challenger = float(values[0] or 0.0), float(values[1] or 0.0)
        worse = -improvement(metric, challenger, champion)
        passed = worse <= tolerance
        detail = (
            f"slice {text} ({size} rows): {metric} {challenger:.4g} vs champion "
            f"{champion:.4g}, "
            + (f"worse by {worse:.4g}" if worse > 0 else "not worse")
            + f" (tolerance {tolerance:g})"
        )
        found.check("slice", passed, detail, slice=text, worse=worse)
        rows.append(
            {
                **row,
                "checked": True,
                "champion": champion,
                "challenger": challenger,
                "worse": worse,
                "passed": passed,
            }
        )
    return rows


def _check_latency(
    found: _Findings,
    scorers: list[ServedModel],
    columns: Mapping[str, Any],
    ceiling: float | None,
) -> dict[str, Any]:
    champion, challenger = latency_ms_per_1k(scorers, columns)
    rows = min(1000, len(next(iter(columns.values()))))
    latency = {
        "champion_ms_per_1k": champion,
        "challenger_ms_per_1k": challenger,
        "ceiling_ms": ceiling,
        "rows_timed": rows,
    }
    if ceiling is not None:
        detail = (
            f"latency {challenger:.3g} ms per 1,000 rows (champion {champion:.3g} "
            f"ms), ceiling {ceiling:g} ms"
        )
        found.check("latency", challenger <= ceiling, detail, ms_per_1k=challenger)
    return latency


def _gates(
    workspace: Workspace, model: str, version: int, alias: str
) -> list[dict[str, Any]]:
    from rung.registry import check_promotion

    checks = check_promotion(workspace, model, version, alias)
    return [{"gate": c.gate, "passed": c.passed, "detail": c.detail} for c in checks]


def _record(workspace: Workspace, comparison: ChallengerComparison) -> None:
    failed = [c["detail"] for c in comparison.checks if not c["passed"]]
    reason = f"{comparison.verdict}: " + (
        "; ".join(failed) if failed else "every check passed"
    )
    record_event(
        workspace,
        comparison.model,
        comparison.alias,
        "compared",
        version=comparison.challenger_version,
        comparison_id=comparison.id,
        reason=reason,
        evidence={
            "champion_version": comparison.champion_version,
            "metric": comparison.metric,
            "verdict": comparison.verdict,
            "labelled_rows": comparison.window.get("labelled_rows"),
            "content_hash": comparison.window.get("content_hash"),
        },
        at=comparison.created_at,
    )
