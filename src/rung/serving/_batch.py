"""Batch scoring: a file or a DataFrame through a model version, logged.

``rung predict churn@production input.parquet -o out.parquet`` and the
built-in step :data:`batch_predict_step` both come here: inputs are checked
against the signature like the server's, predicted in chunks, and every row
is written to the prediction log (one batch per chunk) with its id.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rung._internal.timeutil import now
from rung.errors import ServingError
from rung.pipelines import Step
from rung.serving._api import IDS, origin_for
from rung.serving._model import ServedModel
from rung.serving._write import Entry, predictions_table, write_batch
from rung.workspace import ArtifactRead

if TYPE_CHECKING:
    import pandas as pd

    from rung.workspace import Workspace

__all__ = ["batch_predict_step", "predict_file", "predict_frame", "read_table_file"]

_CHUNK_ROWS = 100_000


def predict_frame(
    workspace: Workspace,
    uri: str,
    frame: pd.DataFrame,
    *,
    allow_pickle: bool = False,
    nan_policy: str = "reject",
    log: bool = True,
    chunk_rows: int = _CHUNK_ROWS,
) -> pd.DataFrame:
    """Predict every row of ``frame`` with the version ``uri`` names now.

    Returns:
        ``frame`` with ``prediction_id``, ``prediction`` and (classifiers)
        ``proba_<class>`` columns added.

    The model is read as ``predict`` by the current step (its region label)
    or, outside a step, by this session (the workspace's region): residency
    policies judge it like any artifact read.

    Raises:
        InvalidInputError: rows do not match the signature (every problem).
        PolicyViolationError: a residency policy refuses the model here.

    Example:
        >>> scored = predict_frame(ws, "churn@production", df)  # doctest: +SKIP
    """
    import numpy as np
    import pandas as pd

    served = ServedModel.load(
        workspace,
        uri,
        allow_pickle=allow_pickle,
        nan_policy=nan_policy,
        read=ArtifactRead("predict"),
    )
    columns = served.schema.from_frame(frame)
    ids: list[str] = []
    preds: list[Any] = []
    probas: list[Any] = []
    for start in range(0, len(frame), chunk_rows):
        part = {k: v[start : start + chunk_rows] for k, v in columns.items()}
        outputs = served.predict(part)
        chunk_ids = IDS.take(len(outputs))
        if log:
            origin = origin_for(served.name, served.version)
            at = now()
            entry = Entry(origin, at, chunk_ids, part, outputs)
            table = predictions_table([entry])
            write_batch(
                workspace, table, origin, kind="predictions", first_at=at, last_at=at
            )
        ids += chunk_ids.tolist()
        preds.append(outputs.predictions)
        probas.append(outputs.probabilities)
    out = frame.copy()
    out["prediction_id"] = ids
    out["prediction"] = np.concatenate(preds)
    present = [p for p in probas if p is not None]
    if served.classes is not None and present:
        matrix = np.concatenate(present)
        extra = {f"proba_{c}": matrix[:, k] for k, c in enumerate(served.classes)}
        out = pd.concat([out, pd.DataFrame(extra, index=out.index)], axis=1)
    return out


def read_table_file(path: Path) -> pd.DataFrame:
    """Read a Parquet or CSV file.

    Raises:
        ServingError: missing, unreadable, or of another format.
    """
    import pandas as pd

    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".pq", ".csv"):
        raise ServingError(f"Cannot read {str(path)!r}: use a .parquet or .csv file.")
    try:
        if suffix == ".csv":
            return pd.read_csv(path)
        return pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise ServingError(f"Cannot read {str(path)!r}: {exc}") from exc
    except Exception as exc:  # pyarrow raises its own errors for corrupt files
        raise ServingError(f"Cannot read {str(path)!r}: {exc}") from exc


def predict_file(
    workspace: Workspace,
    uri: str,
    source: Path,
    target: Path,
    *,
    allow_pickle: bool = False,
    nan_policy: str = "reject",
) -> int:
    """Score a Parquet/CSV file into another (format by suffix); return rows."""
    if target.suffix.lower() not in (".parquet", ".pq", ".csv"):
        raise ServingError(f"Cannot write {str(target)!r}: use .parquet or .csv.")
    scored = predict_frame(
        workspace,
        uri,
        read_table_file(source),
        allow_pickle=allow_pickle,
        nan_policy=nan_policy,
    )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.suffix.lower() == ".csv":
            scored.to_csv(target, index=False)
        else:
            scored.to_parquet(target, index=False)
    except OSError as exc:
        raise ServingError(f"Cannot write {str(target)!r}: {exc}") from exc
    return len(scored)


def _batch_predict(data: Any, model: str, allow_pickle: bool = False) -> Any:
    """Score ``data`` (a DataFrame) with the version ``model`` names, logged."""
    from rung.tracking import current_scope

    scope = current_scope()
    if scope is None:
        from rung._internal import defaults

        workspace = defaults.current_workspace()
    else:
        workspace = scope.workspace
    return predict_frame(workspace, model, data, allow_pickle=allow_pickle)


batch_predict_step = Step(
    _batch_predict, name="batch_predict", outputs=["scored"], cache=False
)
"""Pipeline step: ``batch_predict_step(frame, model="churn@production")``.

Never cached: the alias may point elsewhere and the rows must be logged. The
prediction batches it writes link to its step run in lineage.

Example:
    >>> @pipeline
    ... def scoring():  # doctest: +SKIP
    ...     batch_predict_step(load_customers(), model="churn@production")
"""
