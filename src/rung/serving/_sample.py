"""Labelling sheets: a sample of logged predictions for people to label.

Until a ground-truth pipeline exists, someone labels model outputs by hand.
:func:`sample_predictions` draws the rows to label from the prediction log of
a deployment (or of a model): at random, or stratified by the prediction or
by one input feature, so that rare classes and ranges are in the sample in
proportion to their share. The sheet holds the prediction id, the model and
version, the time, the inputs, the outputs and an empty ``label`` column;
``import_feedback`` loads it back once filled in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from rung.errors import DeploymentNotFoundError, ServingError

if TYPE_CHECKING:
    import pandas as pd

    from rung.workspace import Workspace

__all__ = ["STRATIFY", "SampleSource", "find_source", "sample_predictions"]

STRATIFY: tuple[str, ...] = ("prediction", "feature")
_BINS = 5  # quantile bins of a numeric stratum column
_MAX_STRATA = 50


@dataclass(frozen=True, slots=True)
class SampleSource:
    """Where a sample is drawn from: one model's log, or some deployments'."""

    model: str
    deployment_ids: tuple[str, ...] = ()
    description: str = ""


def sample_predictions(
    workspace: Workspace,
    deployment: str,
    *,
    n: int = 200,
    stratify: str | None = None,
    feature: str | None = None,
    since: float | None = None,
    until: float | None = None,
    seed: int = 0,
    include_labelled: bool = False,
) -> pd.DataFrame:
    """Draw ``n`` logged predictions to label by hand: a labelling sheet.

    Args:
        workspace: whose prediction log to read.
        deployment: a deployment id (or unique prefix), a deployment name
            (every deployment of that name), or a model name (all its logged
            predictions, served or batch-scored).
        n: how many rows (fewer when the log has fewer).
        stratify: None (simple random sample), ``prediction`` or ``feature``
            (with ``feature``): rows are drawn per stratum in proportion to its
            share (each stratum at least one row when ``n`` allows); numeric
            values are cut into 5 quantile bins.
        feature: the input feature to stratify by.
        since / until: keep predictions with ``since <= timestamp < until``.
        seed: the random seed (the same seed draws the same sheet).
        include_labelled: also draw predictions that already have a label.

    Returns:
        A DataFrame, oldest first: ``prediction_id, model, version, timestamp``
        (UTC, ISO 8601), the inputs, ``prediction``, ``proba_<class>`` and an
        empty ``label`` column to fill in.

    Raises:
        DeploymentNotFoundError: no deployment or model has that name.
        ServingError: bad options, an unknown feature, or no prediction to draw.

    Example:
        >>> sheet = sample_predictions(
        ...     ws, "churn", n=200, stratify="prediction")  # doctest: +SKIP
        >>> sheet.to_csv("labels.csv", index=False)  # doctest: +SKIP
    """
    column = _check_options(n, stratify, feature)
    source = find_source(workspace, deployment)
    frame = _read(workspace, source, since, until)
    if not include_labelled and "label" in frame:
        frame = frame[frame["label"].isna()]
    if frame.empty:
        labelled = "" if include_labelled else " unlabelled"
        raise ServingError(
            f"The prediction log of {source.description} has no{labelled} "
            "predictions to sample"
            + (" in that time range" if since or until else "")
            + ".",
            reason="nothing_to_sample",
        )
    rng = np.random.default_rng(seed)
    if column is not None:
        column = _log_column(frame, column, feature)
        picked = _stratified(_strata(frame[column]), min(n, len(frame)), rng)
    else:
        picked = rng.choice(len(frame), size=min(n, len(frame)), replace=False)
    return _sheet(frame.iloc[np.sort(picked)])


def find_source(workspace: Workspace, given: str) -> SampleSource:
    """Resolve a deployment id, a deployment name or a model name.

    Raises:
        DeploymentNotFoundError: none of them.
    """
    from rung.errors import ModelNotFoundError

    try:
        found = workspace.deployments.get_deployment(given)
    except DeploymentNotFoundError:
        pass
    else:
        return SampleSource(found.model, (found.id,), f"deployment {found.name}")
    named = [
        d
        for d in workspace.deployments.list_deployments(
            project=workspace.project, limit=None
        )
        if d.name == given
    ]
    if named:
        ids = tuple(d.id for d in named)
        return SampleSource(named[0].model, ids, f"deployment {given}")
    name = given.partition("@")[0].partition("/")[0]
    try:
        workspace.models.get_model(workspace.project, name)
    except ModelNotFoundError:
        raise DeploymentNotFoundError(
            f"No deployment has the id or name {given!r}, and no model is named "
            f"{name!r}. Give a deployment id or name, or a model name.",
            deployment_id=given,
        ) from None
    return SampleSource(name, (), f"model {name}")


def _check_options(n: Any, stratify: str | None, feature: str | None) -> str | None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ServingError(f"n must be a whole number >= 1, got {n!r}.")
    if stratify is not None and stratify not in STRATIFY:
        raise ServingError(
            f"Unknown stratify {stratify!r}; use prediction or feature (with a "
            "feature name)."
        )
    if stratify == "feature" and not feature:
        raise ServingError("Stratifying by feature needs the feature's name.")
    if feature and stratify != "feature":
        raise ServingError(
            f"A feature ({feature!r}) is only used to stratify by feature."
        )
    return None if stratify is None else (feature or "prediction")


def _read(
    workspace: Workspace,
    source: SampleSource,
    since: float | None,
    until: float | None,
) -> pd.DataFrame:
    import pandas as pd

    from rung.serving._query import read_predictions

    ids: tuple[str | None, ...] = source.deployment_ids or (None,)
    frames = [
        read_predictions(
            workspace, source.model, since=since, until=until, deployment_id=i
        )
        for i in ids
    ]
    frames = [f for f in frames if not f.empty] or frames[:1]
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return frame.sort_values(["timestamp", "prediction_id"], ignore_index=True)


def _log_column(frame: pd.DataFrame, column: str, feature: str | None) -> str:
    if feature is None:
        return column
    from rung.serving._write import feature_column

    logged = feature_column(feature)
    if logged not in frame.columns:
        inputs = [
            c
            for c in frame.columns
            if c not in ("prediction_id", "timestamp", "model", "version")
            and c not in ("prediction", "label")
            and not str(c).startswith("proba_")
        ]
        raise ServingError(
            f"The logged predictions have no input feature {feature!r}. Their "
            f"inputs: {', '.join(map(str, inputs))}."
        )
    return logged


def _strata(values: pd.Series) -> np.ndarray:
    """Each row's stratum code: a value, or a quantile bin of numbers."""
    import pandas as pd

    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(
        values
    )
    if numeric and values.nunique(dropna=True) > _BINS:
        bins = pd.qcut(values, _BINS, labels=False, duplicates="drop")
        codes = bins.to_numpy(dtype=np.float64, na_value=np.nan)
        return np.where(np.isnan(codes), -1, codes).astype(np.int64)
    codes, _ = pd.factorize(values.astype(object), use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64)


def _stratified(codes: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` row indexes, per stratum in proportion to its size."""
    strata, counts = np.unique(codes, return_counts=True)
    if strata.size > _MAX_STRATA:
        raise ServingError(
            f"Stratifying would make {strata.size} strata (more than "
            f"{_MAX_STRATA}): choose a column with fewer distinct values."
        )
    shares = counts * n / counts.sum()
    take = np.floor(shares).astype(np.int64)
    order = np.argsort(-(shares - take), kind="stable")
    take[order[: n - int(take.sum())]] += 1
    if n >= strata.size:  # every stratum shows up, taken from the largest
        for i in np.flatnonzero(take == 0):
            take[int(np.argmax(take))] -= 1
            take[i] = 1
    picked = [
        rng.choice(np.flatnonzero(codes == s), size=int(k), replace=False)
        for s, k in zip(strata, np.minimum(take, counts), strict=True)
    ]
    return np.concatenate(picked) if picked else np.array([], dtype=np.int64)


def _sheet(rows: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    sheet = rows.drop(columns=["label"], errors="ignore").reset_index(drop=True)
    stamps = pd.to_datetime(sheet["timestamp"], unit="s", utc=True)
    sheet["timestamp"] = stamps.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    sheet["label"] = pd.Series([None] * len(sheet), dtype=object)
    return sheet
