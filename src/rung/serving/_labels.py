"""Label types: which ground-truth labels a model takes, checked one by one.

A classifier knows the type of its labels (``classes_``), a regressor
predicts numbers; other models say nothing, and then any finite number in
the int64/float64 range, string or boolean is taken. A label is checked
before the server acknowledges it, so the log's writer never meets a value
it cannot store.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["LABEL_KINDS", "check_label", "label_family", "label_kind"]

LABEL_KINDS: tuple[str, ...] = ("integer", "float", "string", "boolean")
_INT64 = (-(2**63), 2**63 - 1)
_NAMES = {bool: "boolean", int: "integer", float: "float", str: "string"}


def label_kind(model: Any) -> str | None:
    """The kind of label ``model`` predicts (one of LABEL_KINDS), or None."""
    try:
        classes = getattr(model, "classes_", None)
    except AttributeError:  # sklearn's available_if raises for some estimators
        classes = None
    if classes is not None:
        return _array_kind(np.asarray(classes))
    if _estimator_type(model) == "regressor":
        return "float"
    return None


def check_label(value: Any, kind: str | None) -> tuple[Any, str | None]:
    """The label as it is stored, or ``(None, why it is refused)``.

    Example:
        >>> check_label(1.0, "integer"), check_label(float("nan"), None)[1]
        ((1, None), 'must be a finite number, got nan')
    """
    given = _NAMES.get(type(value))
    if given is None:
        return None, (
            "must be a number, a string or a boolean, got "
            f"{type(value).__name__} {_short(value)}"
        )
    if given == "float" and not math.isfinite(value):
        return None, f"must be a finite number, got {value}"
    if kind is None:
        if given == "integer" and not _INT64[0] <= value <= _INT64[1]:
            return None, f"integer out of the int64 range: {_short(value)}"
        return value, None
    return _as_kind(value, given, kind)


def label_family(value: Any) -> str:
    """``number``, ``string`` or ``boolean``: labels of one model share one."""
    name = _NAMES[type(value)]
    return "number" if name in ("integer", "float") else name


def _as_kind(value: Any, given: str, kind: str) -> tuple[Any, str | None]:
    wrong = f"the model's labels are {kind}s, got {given}"
    if kind == "integer":
        if given == "float" and value.is_integer():
            value, given = int(value), "integer"
        if given != "integer":
            return None, f"{wrong} {_short(value)}"
        if not _INT64[0] <= value <= _INT64[1]:
            return None, f"integer out of the int64 range: {_short(value)}"
        return value, None
    if kind == "float":
        if given not in ("integer", "float"):
            return None, f"{wrong} {_short(value)}"
        try:
            return float(value), None
        except OverflowError:
            return None, f"number out of the float64 range: {_short(value)}"
    if given != kind:
        return None, f"{wrong} {_short(value)}"
    return value, None


def _array_kind(classes: np.ndarray[Any, Any]) -> str | None:
    code = classes.dtype.kind
    if code == "b":
        return "boolean"
    if code in "iu":
        return "integer"
    if code == "f":
        return "float"
    if code in "US" or (code == "O" and all(isinstance(c, str) for c in classes)):
        return "string"
    return None


def _estimator_type(model: Any) -> str | None:
    try:
        tags = model.__sklearn_tags__()
    except Exception:  # not scikit-learn, or an estimator that cannot say
        return getattr(model, "_estimator_type", None)
    found = getattr(tags, "estimator_type", None)
    return found if isinstance(found, str) else None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
