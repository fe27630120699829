"""Reading CBPE's data: classes, probability columns, predicted labels.

Columns follow Rung's prediction log: ``label``, ``prediction`` and one
``proba_<class>`` column per class (``proba_True`` for boolean labels). For a
binary task, the positive class's column is enough, and the negative class's
is accepted in its place (the positive's probability is then 1 - it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from rung.errors import EstimationError
from rung.monitoring._estimate_inputs import Classes, class_text, column

if TYPE_CHECKING:
    from rung.monitoring._columns import Columns

__all__ = [
    "NEED_PREDICTIONS",
    "NO_PROBABILITIES",
    "Labelled",
    "predicted_classes",
    "probability_scores",
    "read_labelled",
]

NEED_PREDICTIONS = frozenset({"accuracy", "precision", "recall", "f1"})
NO_PROBABILITIES = (
    "CBPE estimates performance from the predicted probabilities, so it needs a "
    "proba_<class> column per class (Rung's prediction log writes them for "
    "classifiers with predict_proba). A classifier without predict_proba (e.g. "
    "LinearSVC) can be wrapped in sklearn.calibration.CalibratedClassifierCV; "
    "or name the columns with proba=."
)


@dataclass(frozen=True, slots=True)
class Labelled:
    """The reference as CBPE needs it.

    Attributes:
        classes: the classes (binary: the positive class last).
        codes: each row's class index.
        columns: the probability column of each class (binary: one).
        complement: the binary column holds the negative class's probability.
        scores: the probabilities (binary: of the positive class), rows x
            classes for multiclass.
        predicted: each row's predicted class index (None: not needed).
    """

    classes: Classes
    codes: np.ndarray
    columns: tuple[str, ...]
    complement: bool
    scores: np.ndarray
    predicted: np.ndarray | None


def read_labelled(
    columns: Columns,
    *,
    label: str,
    prediction: str,
    proba: str | Mapping[Any, str] | None,
    positive: Any,
    metrics: Sequence[str],
) -> Labelled:
    """Check and read the labelled reference rows."""
    labels = column(
        columns,
        label,
        "reference",
        "CBPE learns how far the probabilities can be trusted from labelled "
        "reference rows. Give the label column with label=, or a labelled "
        "reference (the validation set).",
    )
    classes, codes = _reference_classes(labels, label, positive)
    names, complement = _proba_columns(columns, classes, proba)
    scores = probability_scores(columns, names, complement, "reference")
    predicted = None
    if NEED_PREDICTIONS & set(metrics):
        predicted = predicted_classes(
            columns, prediction, classes, metrics, "reference"
        )
    return Labelled(classes, codes, names, complement, scores, predicted)


def predicted_classes(
    columns: Columns, name: str, classes: Classes, metrics: Sequence[str], what: str
) -> np.ndarray:
    """The class index of every row's predicted label."""
    values = column(columns, name, what, _prediction_why(metrics))
    return classes.encode(values, what, name)


def _reference_classes(
    labels: np.ndarray, name: str, positive: Any
) -> tuple[Classes, np.ndarray]:
    classes, codes = Classes.from_labels(labels, "reference", name)
    if len(classes.names) < 2:
        raise EstimationError(
            f"The reference labels (column {name!r}) hold one class only "
            f"({classes.names[0]!r}): CBPE learns from rows of every class. Give a "
            "reference window where each class occurs."
        )
    if positive is None:
        return classes, codes
    if len(classes.names) > 2:
        raise EstimationError(
            f"positive={positive!r} applies to binary tasks; the reference has "
            f"{len(classes.names)} classes {list(classes.names)}."
        )
    wanted = class_text(positive)
    if wanted not in classes.names:
        raise EstimationError(
            f"positive={positive!r} is not a class of the reference labels "
            f"{list(classes.names)}."
        )
    ordered = classes.ordered(wanted)
    return ordered, np.where(codes == classes.names.index(wanted), 1, 0)


def _proba_columns(
    columns: Columns,
    classes: Classes,
    proba: str | Mapping[Any, str] | None,
) -> tuple[tuple[str, ...], bool]:
    """The probability column of each class (binary: of the positive class)."""
    binary = len(classes.names) == 2
    if isinstance(proba, str):
        if not binary:
            raise EstimationError(
                f"proba={proba!r} names one column, but the reference has "
                f"{len(classes.names)} classes: give a mapping class -> column."
            )
        column(columns, proba, "reference", NO_PROBABILITIES)
        return (proba,), False
    given = {class_text(k): v for k, v in (proba or {}).items()}
    found = {c: given.get(c) or _default_column(columns, c) for c in classes.names}
    if binary:
        negative, positive = classes.names
        if found[positive]:
            return (str(found[positive]),), False
        if found[negative]:
            return (str(found[negative]),), True  # the positive's is 1 - this
    missing = [c for c, name in found.items() if not name]
    if missing:
        raise EstimationError(
            f"The reference has no probability column for classes {missing} "
            f"(columns: {sorted(columns)}). {NO_PROBABILITIES}"
        )
    return tuple(str(found[c]) for c in classes.names), False


def _default_column(columns: Columns, name: str) -> str | None:
    candidates = [f"proba_{name}", f"proba_{name.capitalize()}"]
    if name.lstrip("-").isdigit():
        candidates.append(f"proba_{float(name)}")
    return next((c for c in candidates if c in columns), None)


def probability_scores(
    columns: Columns, names: tuple[str, ...], complement: bool, what: str
) -> np.ndarray:
    """The probability columns, checked (binary: one array)."""
    arrays = []
    for name in names:
        values = column(columns, name, what, NO_PROBABILITIES)
        _check_probabilities(values, name, what)
        arrays.append(1.0 - values if complement else values)
    return arrays[0] if len(arrays) == 1 else np.column_stack(arrays)


def _check_probabilities(values: np.ndarray, name: str, what: str) -> None:
    if values.dtype.kind != "f":
        raise EstimationError(
            f"Column {name!r} of the {what} holds non-numeric values (e.g. "
            f"{values[0]!r}), not probabilities."
        )
    missing = np.isnan(values)
    if missing.any():
        raise EstimationError(
            f"Column {name!r} of the {what} has {int(missing.sum())} missing "
            f"probabilities (first at row {int(np.argmax(missing))}): CBPE cannot "
            "estimate rows without one. Drop or fill those rows first."
        )
    low, high = float(values.min()), float(values.max())
    if low < 0.0 or high > 1.0:
        raise EstimationError(
            f"Column {name!r} of the {what} holds values from {low:g} to {high:g}; "
            "probabilities lie in [0, 1]. Log predict_proba, not decision_function "
            "scores."
        )


def _prediction_why(metrics: Sequence[str]) -> str:
    needing = [m for m in metrics if m in NEED_PREDICTIONS]
    return (
        f"{', '.join(needing)} need the predicted labels. Name the column with "
        "prediction=, or estimate metrics=['roc_auc'] only."
    )
