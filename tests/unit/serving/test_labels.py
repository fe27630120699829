"""Label types: what a model's feedback takes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

from rung.serving._labels import check_label, label_kind

X = np.arange(20, dtype=np.float64).reshape(10, 2)


def test_label_kind_comes_from_the_model() -> None:
    y = np.arange(10) % 2
    assert label_kind(LogisticRegression().fit(X, y)) == "integer"
    assert label_kind(LogisticRegression().fit(X, np.where(y, "a", "b"))) == "string"
    assert label_kind(LogisticRegression().fit(X, y.astype(bool))) == "boolean"
    assert label_kind(LinearRegression().fit(X, y)) == "float"
    assert label_kind(object()) is None


@pytest.mark.parametrize(
    ("value", "kind", "stored", "words"),
    [
        (1, "integer", 1, None),
        (1.0, "integer", 1, None),
        (1.5, "integer", None, "labels are integers, got float"),
        (True, "integer", None, "labels are integers, got boolean"),
        ("1", "integer", None, "labels are integers, got string"),
        (2**63, "integer", None, "out of the int64 range"),
        (3, "float", 3.0, None),
        (10**400, "float", None, "out of the float64 range"),
        ("yes", "string", "yes", None),
        (1, "boolean", None, "labels are booleans, got integer"),
        (2**63, None, None, "out of the int64 range"),
        (float("nan"), None, None, "finite number, got nan"),
        (float("-inf"), "float", None, "finite number, got -inf"),
        ([1], None, None, "a number, a string or a boolean, got list"),
        (None, None, None, "got NoneType"),
        ("yes", None, "yes", None),
        (0.5, None, 0.5, None),
    ],
)
def test_check_label(
    value: Any, kind: str | None, stored: Any, words: str | None
) -> None:
    got, why = check_label(value, kind)
    assert got == stored and type(got) is type(stored)
    assert (why is None) if words is None else (why is not None and words in why)
