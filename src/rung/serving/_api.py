"""Logging predictions and labels directly (batch scoring, tests, backfills)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from rung._internal.timeutil import now
from rung.errors import ServingError
from rung.serving._feedback import feedback_table, parse_feedback
from rung.serving._ids import PredictionIds
from rung.serving._model import Outputs
from rung.serving._write import BatchOrigin, Entry, predictions_table, write_batch

if TYPE_CHECKING:
    import pandas as pd

    from rung.registry.records import ModelVersionRecord
    from rung.serving.records import PredictionBatchRecord
    from rung.workspace import Workspace

__all__ = ["IDS", "as_outputs", "log_feedback", "log_predictions", "origin_for"]

IDS = PredictionIds()
"""The process's prediction id generator (shared by the server and batch scoring)."""


def log_predictions(
    workspace: Workspace,
    model_version: ModelVersionRecord | str,
    inputs_df: pd.DataFrame,
    outputs: Any,
    *,
    timestamp: float | None = None,
    deployment_id: str | None = None,
) -> list[str]:
    """Write predictions to the log now (one Parquet batch) and return their ids.

    Args:
        workspace: the workspace whose log to write.
        model_version: the version that predicted (a record, or ``name/N``).
        inputs_df: the input rows, one column per feature.
        outputs: the predictions: an array/list/Series (one per row), a
            DataFrame with ``prediction`` and ``proba_<class>`` columns, or a
            mapping ``{"prediction": ..., "probabilities": ..., "classes": ...}``.
        timestamp: the rows' time (default: now).
        deployment_id: the deployment that served them, if any.

    Returns:
        One new prediction id per row, in order (attach labels with them).

    Raises:
        ServingError: outputs and inputs have different row counts.

    Example:
        >>> ids = log_predictions(ws, "churn/3", X, model.predict(X))  # doctest: +SKIP
    """
    record = _version(workspace, model_version)
    out = as_outputs(outputs)
    if len(out) != len(inputs_df):
        raise ServingError(
            f"{len(inputs_df)} input rows but {len(out)} predictions: give one "
            "prediction per input row."
        )
    ids = IDS.take(len(out))
    at = now() if timestamp is None else float(timestamp)
    columns = {str(c): inputs_df[c].to_numpy() for c in inputs_df.columns}
    origin = origin_for(record.model, record.version, deployment_id)
    entry = Entry(origin, at, ids, columns, out)
    write_batch(
        workspace,
        predictions_table([entry]),
        origin,
        kind="predictions",
        first_at=at,
        last_at=at,
    )
    return ids.tolist()


def log_feedback(
    workspace: Workspace,
    model: str,
    labels: Mapping[str, Any],
    *,
    received_at: float | None = None,
    overwrite: bool = False,
    user: str | None = None,
) -> PredictionBatchRecord:
    """Write ground-truth labels for prediction ids now (the newest one wins).

    All or nothing: every label must be valid (a finite number in the
    int64/float64 range, a string or a boolean; one type), for a prediction
    of ``model`` in the log, and for an id without a label unless
    ``overwrite`` (the replaced label is kept in the new row, with ``user``
    and the time).

    Args:
        workspace: whose log to write.
        model: the model that made the predictions.
        labels: prediction id -> label.
        received_at: when the labels arrived (default: now).
        overwrite: replace labels the ids already have.
        user: who gives them (default: the workspace's user).

    Raises:
        InvalidInputError: a label was refused (nothing is written; every
            reason is listed, per id).

    Example:
        >>> log_feedback(ws, "churn", {ids[0]: 1, ids[1]: 0})  # doctest: +SKIP
    """
    from rung.serving._intake import FeedbackIntake

    request = parse_feedback({"labels": dict(labels)})
    result = FeedbackIntake(workspace, model).review(
        request.ids,
        request.labels,
        overwrite=overwrite,
        user=workspace.user if user is None else user,
        received_at=received_at,
    )
    result.raise_rejections()
    entry = result.entry
    if entry is None:  # pragma: no cover - parse_feedback refuses no labels
        raise ServingError("No labels to write.")
    return write_batch(
        workspace,
        feedback_table([entry]),
        BatchOrigin(model, None),
        kind="feedback",
        first_at=entry.received_at,
        last_at=entry.received_at,
    )


def origin_for(
    model: str, version: int, deployment_id: str | None = None
) -> BatchOrigin:
    """Where logged rows come from: the deployment, or the current step run."""
    from rung.tracking import current_scope

    scope = current_scope()
    if scope is None or deployment_id is not None:
        return BatchOrigin(model, version, deployment_id)
    return BatchOrigin(model, version, None, scope.run_id, scope.step_run_id)


def as_outputs(outputs: Any) -> Outputs:
    """Model outputs in any of the shapes ``log_predictions`` takes."""
    if isinstance(outputs, Outputs):
        return outputs
    if isinstance(outputs, Mapping):
        proba = outputs.get("probabilities")
        classes = outputs.get("classes")
        return Outputs(
            np.asarray(outputs["prediction"]),
            None if proba is None else np.asarray(proba),
            None if classes is None else tuple(classes),
        )
    columns = getattr(outputs, "columns", None)
    if columns is not None and "prediction" in columns:
        probas = [c for c in columns if str(c).startswith("proba_")]
        return Outputs(
            outputs["prediction"].to_numpy(),
            outputs[probas].to_numpy() if probas else None,
            tuple(str(c)[len("proba_") :] for c in probas) if probas else None,
        )
    return Outputs(np.asarray(outputs))


def _version(
    workspace: Workspace, model_version: ModelVersionRecord | str
) -> ModelVersionRecord:
    if isinstance(model_version, str):
        from rung.registry import resolve_model

        return resolve_model(workspace, model_version)
    return model_version
