"""Batch scoring: a file or a DataFrame through a model version, logged.

``rung predict churn@production input.parquet -o out.parquet`` and the
built-in step :data:`batch_predict_step` both come here: inputs are checked
against the signature like the server's, predicted in chunks, and every row
is written to the prediction log (one batch per chunk) with its id. Rows the
signature refuses fail the whole table by default; ``on_bad_rows`` can leave
them out instead (``skip``) and write them apart with the reason (``route``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rung._internal.timeutil import now
from rung.errors import ServingError
from rung.pipelines import Step
from rung.serving._api import IDS, origin_for
from rung.serving._inputs import Problems
from rung.serving._model import ServedModel
from rung.serving._write import Entry, predictions_table, write_batch
from rung.workspace import ArtifactRead

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from rung.serving._inputs import Columns, InputSchema
    from rung.workspace import Workspace

__all__ = [
    "ON_BAD_ROWS",
    "BatchScores",
    "batch_predict_step",
    "predict_file",
    "predict_frame",
    "read_table_file",
    "score_frame",
]

ON_BAD_ROWS: tuple[str, ...] = ("fail", "skip", "route")
"""What batch scoring does with rows the signature refuses: raise (the
default), leave them out, or leave them out and write them to a file."""

_CHUNK_ROWS = 100_000
_log = logging.getLogger("rung.serving")


@dataclass(frozen=True, slots=True)
class BatchScores:
    """The outcome of scoring a table.

    Attributes:
        scored: the rows that were scored, with ``prediction_id``,
            ``prediction`` and (classifiers) ``proba_<class>`` added.
        bad_rows: the rows left out (``on_bad_rows`` skip or route), as given,
            with ``row`` (0-based position in the input) and ``reason``.
    """

    scored: pd.DataFrame
    bad_rows: pd.DataFrame


def score_frame(
    workspace: Workspace,
    uri: str,
    frame: pd.DataFrame,
    *,
    on_bad_rows: str = "fail",
    allow_pickle: bool = False,
    nan_policy: str = "reject",
    log: bool = True,
    chunk_rows: int = _CHUNK_ROWS,
) -> BatchScores:
    """Predict every row of ``frame`` with the version ``uri`` names now.

    Args:
        workspace: where the model is registered and the log is written.
        uri: ``name@alias`` or ``name/N``.
        frame: the input rows.
        on_bad_rows: ``fail`` raises when a row does not match the signature
            (a missing value where the signature forbids one, a wrong type...);
            ``skip`` and ``route`` leave such rows out and return them in
            ``bad_rows`` with the reason. A problem of the whole table (a
            missing column) always raises.
        allow_pickle / nan_policy: see :class:`ServedModel`.
        log: write every scored row to the prediction log.
        chunk_rows: rows per model call (and per log batch).

    Raises:
        InvalidInputError: rows do not match the signature (every problem).

    Example:
        >>> res = score_frame(ws, "churn/3", X, on_bad_rows="skip")  # doctest: +SKIP
        >>> res.bad_rows[["row", "reason"]]  # doctest: +SKIP
    """
    import pandas as pd

    _check_choice(on_bad_rows)
    served = ServedModel.load(
        workspace,
        uri,
        allow_pickle=allow_pickle,
        nan_policy=nan_policy,
        read=ArtifactRead("predict"),
    )
    if on_bad_rows == "fail":
        columns, kept = served.schema.from_frame(frame), frame
        reasons: dict[int, list[str]] = {}
    else:
        columns, kept, reasons = _without_bad_rows(served.schema, frame)
    bad = frame.iloc[sorted(reasons)].copy()
    bad.insert(0, "row", sorted(reasons))
    bad["reason"] = ["; ".join(reasons[i]) for i in sorted(reasons)]
    if reasons:
        _log.warning(
            "Left out %d row(s) the signature refuses, e.g. row %d: %s",
            len(reasons),
            bad["row"].iloc[0],
            bad["reason"].iloc[0],
        )
    if kept.empty:
        empty = kept.assign(prediction_id=pd.Series(dtype=str), prediction=None)
        return BatchScores(empty, bad.reset_index(drop=True))
    scored = _score(workspace, served, kept, columns, log, chunk_rows)
    return BatchScores(scored, bad.reset_index(drop=True))


def predict_frame(
    workspace: Workspace,
    uri: str,
    frame: pd.DataFrame,
    *,
    on_bad_rows: str = "fail",
    allow_pickle: bool = False,
    nan_policy: str = "reject",
    log: bool = True,
    chunk_rows: int = _CHUNK_ROWS,
) -> pd.DataFrame:
    """Predict every row of ``frame``; return it with the predictions added.

    Like :func:`score_frame` (``on_bad_rows="skip"`` leaves refused rows out,
    with a warning; :func:`score_frame` returns them), but returns only the
    scored rows.

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
    return score_frame(
        workspace,
        uri,
        frame,
        on_bad_rows=on_bad_rows,
        allow_pickle=allow_pickle,
        nan_policy=nan_policy,
        log=log,
        chunk_rows=chunk_rows,
    ).scored


def _score(  # noqa: PLR0917
    workspace: Workspace,
    served: ServedModel,
    frame: pd.DataFrame,
    columns: Columns,
    log: bool,
    chunk_rows: int,
) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

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


def _without_bad_rows(
    schema: InputSchema, frame: pd.DataFrame
) -> tuple[Columns, pd.DataFrame, dict[int, list[str]]]:
    """The checked columns of the good rows, those rows, and why the others not.

    A column stops at its first kind of problem (a wrong type hides a null),
    so checking repeats on what is left until nothing more is found.
    """
    import numpy as np

    positions: np.ndarray[Any, Any] = np.arange(len(frame))
    reasons: dict[int, list[str]] = {}
    kept = frame
    while True:
        problems = Problems()
        columns = schema.check_frame(kept, problems)
        if not problems.items:
            return columns, kept, reasons
        if not all(problems.row_sets):  # the whole table: refuse it
            problems.raise_if_any(schema.label)
        bad = set()
        for item, rows in zip(problems.items, problems.row_sets, strict=True):
            reason = f"column {item['column']!r}: {item['problem']}"
            for row in rows:
                reasons.setdefault(int(positions[row]), []).append(reason)
                bad.add(row)
        keep = np.array([i not in bad for i in range(len(kept))], dtype=bool)
        kept, positions = kept[keep], positions[keep]
        if kept.empty:
            return {}, kept, reasons


def _check_choice(on_bad_rows: str) -> None:
    if on_bad_rows not in ON_BAD_ROWS:
        raise ServingError(
            f"Unknown on_bad_rows {on_bad_rows!r}. Use one of: "
            f"{', '.join(ON_BAD_ROWS)}."
        )


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
    on_bad_rows: str = "fail",
    bad_rows_output: Path | None = None,
    allow_pickle: bool = False,
    nan_policy: str = "reject",
) -> BatchScores:
    """Score a Parquet/CSV file into another (format by suffix).

    Args:
        on_bad_rows: ``fail`` (default), ``skip`` or ``route`` (see
            :func:`score_frame`); ``route`` writes the rows left out to
            ``bad_rows_output`` with ``row`` and ``reason`` columns.
        bad_rows_output: where ``route`` writes (.parquet or .csv).

    Returns:
        The scored rows and the rows left out.

    Raises:
        ServingError: a file cannot be read or written, or the options clash.
        InvalidInputError: rows do not match the signature (``fail``).
    """
    _check_choice(on_bad_rows)
    if (on_bad_rows == "route") != (bad_rows_output is not None):
        raise ServingError(
            "Routing bad rows needs a file: give on_bad_rows='route' together "
            "with bad_rows_output.",
            reason="route_needs_file",
        )
    outputs = [target] if bad_rows_output is None else [target, bad_rows_output]
    for path in outputs:
        if path.suffix.lower() not in (".parquet", ".pq", ".csv"):
            raise ServingError(f"Cannot write {str(path)!r}: use .parquet or .csv.")
    result = score_frame(
        workspace,
        uri,
        read_table_file(source),
        on_bad_rows=on_bad_rows,
        allow_pickle=allow_pickle,
        nan_policy=nan_policy,
    )
    _write_table_file(result.scored, target)
    if bad_rows_output is not None:
        _write_table_file(result.bad_rows, bad_rows_output)
    return result


def _write_table_file(frame: pd.DataFrame, target: Path) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.suffix.lower() == ".csv":
            frame.to_csv(target, index=False)
        else:
            frame.to_parquet(target, index=False)
    except OSError as exc:
        raise ServingError(f"Cannot write {str(target)!r}: {exc}") from exc


def _batch_predict(
    data: Any, model: str, allow_pickle: bool = False, on_bad_rows: str = "fail"
) -> Any:
    """Score ``data`` (a DataFrame) with the version ``model`` names, logged.

    ``on_bad_rows="skip"`` leaves out the rows the signature refuses.
    """
    from rung.tracking import current_scope

    scope = current_scope()
    if scope is None:
        from rung._internal import defaults

        workspace = defaults.current_workspace()
    else:
        workspace = scope.workspace
    return predict_frame(
        workspace, model, data, allow_pickle=allow_pickle, on_bad_rows=on_bad_rows
    )


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
