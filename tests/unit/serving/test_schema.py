"""Input checks compiled from a signature: every problem, every shape."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from rung.errors import InvalidInputError, ServingError
from rung.registry.records import SignatureColumn
from rung.serving import InputSchema

SIGNATURE = [
    SignatureColumn("age", "int64"),
    SignatureColumn("score", "float64"),
    SignatureColumn("plan", "object"),
    SignatureColumn("vip", "bool"),
    SignatureColumn("seen", "datetime64[ns]"),
    SignatureColumn("note", "object", nullable=True),
]
GOOD = {
    "age": 3,
    "score": 1,
    "plan": "pro",
    "vip": True,
    "seen": "2026-01-02",
    "note": None,
}


def test_records_convert_to_typed_arrays() -> None:
    columns = InputSchema(SIGNATURE).from_records([GOOD, {**GOOD, "age": 4}])
    assert columns["age"].dtype.kind == "i" and columns["score"].dtype.kind == "f"
    assert columns["vip"].tolist() == [True, True]
    assert str(columns["seen"].dtype).startswith("datetime64")
    assert columns["note"].tolist() == [None, None]


def test_every_problem_is_listed_once() -> None:
    bad = {
        "age": 1.5,
        "score": True,
        "plan": 3,
        "vip": "yes",
        "seen": "nope",
        "note": 1,
    }
    with pytest.raises(InvalidInputError, match="6 problem") as info:
        InputSchema(SIGNATURE).from_records([GOOD, bad])
    assert {p["column"]: p["rows"] for p in info.value.problems} == {
        "age": [1],
        "score": [1],
        "plan": [1],
        "vip": [1],
        "seen": [1],
        "note": [1],
    }


def test_nan_policy_allow_passes_nulls_to_the_model() -> None:
    schema = InputSchema([SignatureColumn("score", "float64")], nan_policy="allow")
    assert schema.from_columns({"score": [None, 1.0]})["score"].tolist()[1] == 1.0
    with pytest.raises(ServingError, match="Unknown NaN policy 'maybe'"):
        InputSchema(SIGNATURE, nan_policy="maybe")


def test_split_rows_must_have_the_right_width() -> None:
    schema = InputSchema(
        [SignatureColumn("a", "float64"), SignatureColumn("b", "float64")]
    )
    assert schema.from_split(["b", "a"], [[1, 2.5]])["a"].tolist() == [2.5]
    with pytest.raises(InvalidInputError, match="rows must be lists of 2 values"):
        schema.from_split(["a", "b"], [[1.0]])
    with pytest.raises(InvalidInputError, match="column 'a': expected float"):
        schema.from_split(["a", "b"], [["x", 1.0]])


def test_columns_of_different_lengths_are_refused() -> None:
    schema = InputSchema([SignatureColumn("a", "int64"), SignatureColumn("b", "int64")])
    with pytest.raises(InvalidInputError, match="different lengths"):
        schema.from_columns({"a": [1, 2], "b": [1]})
    with pytest.raises(InvalidInputError, match="out of the int64 range"):
        schema.from_columns({"a": [2**70], "b": [1]})


def test_arrow_types_and_nulls_are_checked() -> None:
    schema = InputSchema(
        [SignatureColumn("a", "float64"), SignatureColumn("b", "object")]
    )
    good = pa.table({"a": pa.array([1, 2], pa.int32()), "b": ["x", "y"]})
    assert schema.from_arrow(good)["a"].dtype.kind == "f"
    bad = pa.table({"a": [1.0, float("nan")], "b": [1, 2], "c": [0, 0]})
    with pytest.raises(InvalidInputError, match="3 problem") as info:
        schema.from_arrow(bad)
    assert {p["problem"].split(" (")[0] for p in info.value.problems} == {
        "unexpected column",
        "NaN in a non-nullable column",
        "expected string",
    }


BIG = 2**63 + 5  # above int64, within uint64


@pytest.mark.parametrize(
    "given",
    [
        pytest.param(
            lambda: pa.table({"n": pa.array([1, BIG], pa.uint64())}), id="arrow"
        ),
        pytest.param(
            lambda: pd.DataFrame({"n": np.array([1, BIG], dtype=np.uint64)}),
            id="pandas",
        ),
        pytest.param(lambda: {"n": [1, BIG]}, id="json"),
    ],
)
def test_every_format_refuses_an_integer_beyond_int64(
    given: Callable[[], Any],
) -> None:
    schema = InputSchema([SignatureColumn("n", "int64")])
    data = given()
    read = (
        schema.from_arrow
        if isinstance(data, pa.Table)
        else schema.from_frame
        if isinstance(data, pd.DataFrame)
        else schema.from_columns
    )
    with pytest.raises(InvalidInputError, match="out of the int64 range") as info:
        read(data)
    assert info.value.problems[0]["rows"] == [1]


def test_a_nullable_integer_column_checks_the_range_too() -> None:
    schema = InputSchema([SignatureColumn("n", "int64", nullable=True)])
    with pytest.raises(InvalidInputError, match="out of the int64 range"):
        schema.from_columns({"n": [None, BIG]})
    assert np.isnan(schema.from_columns({"n": [None, 3]})["n"][0])


def test_integer_columns_reach_the_model_as_the_declared_type() -> None:
    schema = InputSchema([SignatureColumn("n", "int64")])
    for array in (pa.array([1, 2], pa.uint8()), pa.array([1, 2], pa.int32())):
        assert schema.from_arrow(pa.table({"n": array}))["n"].dtype == np.int64
    frame = pd.DataFrame({"n": np.array([1, 2], dtype=np.uint32)})
    assert schema.from_frame(frame)["n"].dtype == np.int64
    narrow = InputSchema([SignatureColumn("n", "int8")])
    with pytest.raises(InvalidInputError, match="out of the int8 range"):
        narrow.from_arrow(pa.table({"n": pa.array([1, 300], pa.int64())}))
