"""Importing a filled labelling sheet as feedback labels.

A sheet (see ``sample_predictions``) holds one prediction per row with a
``label`` column people filled in. Importing it checks every row as the
server checks ``POST /feedback`` (``rung.serving._intake``: a known
prediction id of that model, a label of the model's type, no label yet
unless ``overwrite``), then writes the labels:

- rows with an empty label are skipped and counted (not labelled yet);
- a row whose id already has this very label is skipped and counted, so
  importing the same sheet twice writes nothing the second time;
- anything else wrong (an unknown id, a label of the wrong type, an id given
  twice, a different label where one exists) fails the whole import with the
  sheet's row numbers: a bad sheet writes nothing.

The model's label type is that of its logged predictions (a classifier
predicts its labels' type; a regressor floats), so ``"1"`` in a CSV becomes
the integer 1 for an integer classifier. A sheet spanning several models is
checked whole first, then written one batch per model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rung.errors import InvalidInputError, ServingError

if TYPE_CHECKING:
    import pandas as pd

    from rung.serving._feedback import FeedbackEntry
    from rung.serving.records import PredictionBatchRecord
    from rung.workspace import Workspace

__all__ = ["FeedbackImport", "import_feedback"]

_SHOWN = 10
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})


@dataclass(frozen=True, slots=True)
class FeedbackImport:
    """What importing a sheet did.

    Attributes:
        written: model -> labels written.
        empty: rows left without a label (skipped).
        unchanged: rows whose id already had this label (skipped).
        batches: the feedback batches written (one per model).
    """

    written: dict[str, int] = field(default_factory=dict)
    empty: int = 0
    unchanged: int = 0
    batches: list[PredictionBatchRecord] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Labels written, over every model."""
        return sum(self.written.values())


@dataclass(slots=True)
class _Review:
    """One model's rows checked: the entry to write, problems, rows unchanged."""

    entry: FeedbackEntry | None
    problems: list[str]
    unchanged: int


@dataclass(slots=True)
class _Rows:
    """The labelled rows of one model: sheet row names, ids, label texts."""

    where: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    texts: list[Any] = field(default_factory=list)


def import_feedback(
    workspace: Workspace,
    sheet: pd.DataFrame | str | Path,
    *,
    model: str | None = None,
    overwrite: bool = False,
    user: str | None = None,
    received_at: float | None = None,
) -> FeedbackImport:
    """Load a filled labelling sheet as ground-truth labels (all or nothing).

    Args:
        workspace: whose prediction log to label.
        sheet: a .csv or .parquet file, or a DataFrame, with ``prediction_id``
            and ``label`` columns, and ``model`` (as the sheet
            ``sample_predictions`` writes) unless ``model`` is given.
        model: the model of every row (when the sheet has no ``model``
            column; if it has one, every row must name this model).
        overwrite: replace labels the ids already have (the old ones stay in
            the log's history).
        user: who gives them (default: the workspace's user).
        received_at: when they arrived (default: now).

    Returns:
        Labels written per model, and the rows skipped (empty, unchanged).

    Raises:
        ServingError: the file cannot be read, or lacks a column.
        InvalidInputError: a row is wrong (every problem, with its row);
            nothing is written.

    Example:
        >>> done = import_feedback(ws, "labels.csv")  # doctest: +SKIP
        >>> done.written, done.empty  # doctest: +SKIP
        ({'churn': 180}, 20)
    """
    frame, rows_are_lines = _read(sheet)
    by_model, empty, problems = _rows(frame, model, rows_are_lines)
    accepted = []
    unchanged = 0
    for name, rows in by_model.items():
        review = _review(
            workspace, name, rows, overwrite=overwrite, user=user, at=received_at
        )
        problems += review.problems
        unchanged += review.unchanged
        if review.entry is not None:
            accepted.append((name, review.entry))
    if problems:
        _raise(problems)
    return _write(workspace, accepted, empty, unchanged)


def _read(sheet: pd.DataFrame | str | Path) -> tuple[pd.DataFrame, bool]:
    """The sheet, every value as given (CSV cells as text)."""
    import pandas as pd

    if isinstance(sheet, pd.DataFrame):
        return sheet.reset_index(drop=True), False
    path = Path(sheet)
    if path.suffix.lower() != ".csv":
        from rung.serving._batch import read_table_file

        return read_table_file(path).reset_index(drop=True), False
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False), True
    except (OSError, ValueError) as exc:
        raise ServingError(f"Cannot read {str(path)!r}: {exc}") from exc


def _rows(
    frame: pd.DataFrame, model: str | None, lines: bool
) -> tuple[dict[str, _Rows], int, list[str]]:
    columns = set(map(str, frame.columns))
    needed = {"prediction_id", "label"} | (set() if model else {"model"})
    missing = sorted(needed - columns)
    if missing:
        raise ServingError(
            f"The sheet has no {', '.join(missing)} column: it needs "
            "prediction_id and label, and model (or give the model)."
        )
    problems: list[str] = []
    by_model: dict[str, _Rows] = {}
    seen: dict[str, str] = {}
    empty = 0
    names = frame["model"] if "model" in columns else [model] * len(frame)
    for i, (given_id, label, given_model) in enumerate(
        zip(frame["prediction_id"], frame["label"], names, strict=True)
    ):
        where = f"line {i + 2}" if lines else f"row {i}"
        if _blank(label):
            empty += 1
            continue
        pid, name = _text(given_id), _text(given_model) or model
        if model is not None and name != model:
            problems.append(f"{where}: model {name!r}, but the import is for {model!r}")
            continue
        if not pid or not name:
            problems.append(f"{where}: a label without a prediction_id or model")
            continue
        if pid in seen:
            problems.append(f"{where}: prediction id {pid} is on {seen[pid]} too")
            continue
        seen[pid] = where
        rows = by_model.setdefault(name, _Rows())
        rows.where.append(where)
        rows.ids.append(pid)
        rows.texts.append(label)
    return by_model, empty, problems


def _review(
    workspace: Workspace,
    model: str,
    rows: _Rows,
    *,
    overwrite: bool,
    user: str | None,
    at: float | None,
) -> _Review:
    """Check one model's rows as the server checks feedback."""
    from rung.serving._intake import FeedbackIntake
    from rung.serving._lookup import newest_labels

    kind = _label_kind(workspace, model, rows.ids)
    problems: list[str] = []
    values: list[Any] = []
    keep: list[int] = []
    for i, text in enumerate(rows.texts):
        value, why = _value(text, kind)
        if why is None:
            values.append(value)
            keep.append(i)
        else:
            problems.append(f"{rows.where[i]} ({rows.ids[i]}): invalid label: {why}")
    stored = newest_labels(workspace, model, [rows.ids[i] for i in keep])
    fresh = [
        (i, v)
        for i, v in zip(keep, values, strict=True)
        if not _same(stored.get(rows.ids[i], _NONE), v)
    ]
    unchanged = len(keep) - len(fresh)
    if not fresh:
        return _Review(None, problems, unchanged)
    result = FeedbackIntake(workspace, model).review(
        [rows.ids[i] for i, _ in fresh],
        [v for _, v in fresh],
        overwrite=overwrite,
        kind=kind,
        user=workspace.user if user is None else user,
        received_at=at,
    )
    where = {rows.ids[i]: rows.where[i] for i, _ in fresh}
    for rejection in result.rejections:
        reason = rejection.reason
        if reason.startswith("already labelled"):
            previous = stored.get(rejection.prediction_id)
            reason = (
                f"already labelled {previous!r}: import with overwrite to replace it"
            )
        problems.append(
            f"{where[rejection.prediction_id]} ({rejection.prediction_id}): {reason}"
        )
    return _Review(result.entry, problems, unchanged)


_NONE = object()


def _label_kind(workspace: Workspace, model: str, ids: list[str]) -> str | None:
    """The type of the model's logged predictions: what its labels must be."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from rung.serving._lookup import find_predictions
    from rung.serving._query import batch_files

    found = find_predictions(workspace, ids[:1000], model=model)
    if not found:
        return None
    batch = next(iter(found.values()))
    for record, path in batch_files(workspace, "predictions", model=model):
        if record.id != batch.id:
            continue
        schema = pq.read_schema(path)
        if "prediction" not in schema.names:
            return None
        kind = schema.field("prediction").type
        if pa.types.is_boolean(kind):
            return "boolean"
        if pa.types.is_integer(kind):
            return "integer"
        if pa.types.is_floating(kind):
            return "float"
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            return "string"
    return None


def _value(given: Any, kind: str | None) -> tuple[Any, str | None]:
    """A sheet cell as a label of ``kind``, or why it cannot be one."""
    if hasattr(given, "item") and not isinstance(given, str):
        given = given.item()  # NumPy scalars from a Parquet sheet
    if not isinstance(given, str):
        return given, None  # typed already; the intake checks it
    text = given.strip()
    wrong = f"the model's labels are {kind}s, got {text!r}"
    if kind == "string":
        return text, None
    if kind == "boolean":
        lowered = text.lower()
        if lowered in _TRUE | _FALSE:
            return lowered in _TRUE, None
        return None, f"{wrong} (write true or false)"
    number = _number(text)
    if kind in ("integer", "float"):
        return (number, None) if number is not None else (None, wrong)
    return (text if number is None else number), None


def _number(text: str) -> int | float | None:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return None


def _same(stored: Any, value: Any) -> bool:
    """Whether the label stored for an id is this one (1 and 1.0 are)."""
    if stored is _NONE or stored is None:
        return False
    if isinstance(stored, bool) or isinstance(value, bool):
        return stored is value
    return bool(stored == value)


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _text(value: Any) -> str:
    return "" if _blank(value) else str(value).strip()


def _raise(problems: list[str]) -> None:
    shown = problems[:_SHOWN]
    more = len(problems) - len(shown)
    lines = shown + ([f"... and {more} more"] if more > 0 else [])
    labelled = any("already labelled" in p for p in problems)
    raise InvalidInputError(
        f"{len(problems)} row(s) of the sheet refused; nothing was imported:\n  - "
        + "\n  - ".join(lines),
        [{"column": "label", "problem": p} for p in problems],
        **({"reason": "already_labelled_sheet"} if labelled else {}),
    )


def _write(
    workspace: Workspace,
    accepted: list[tuple[str, FeedbackEntry]],
    empty: int,
    unchanged: int,
) -> FeedbackImport:
    from rung.serving._feedback import feedback_table
    from rung.serving._write import BatchOrigin, write_batch

    written: dict[str, int] = {}
    batches = []
    for model, entry in accepted:
        batches.append(
            write_batch(
                workspace,
                feedback_table([entry]),
                BatchOrigin(model, None),
                kind="feedback",
                first_at=entry.received_at,
                last_at=entry.received_at,
            )
        )
        written[model] = len(entry.ids)
    return FeedbackImport(written, empty, unchanged, batches)
