"""Signatures: inference from tables and mappings, type families, compatibility."""

from __future__ import annotations

import pytest

from rung.errors import ModelSignatureError
from rung.registry import infer_signature, signature_problems, type_kind
from rung.registry.records import SignatureColumn


def test_infer_from_pandas_keeps_types_and_nullability() -> None:
    import pandas as pd

    frame = pd.DataFrame({"age": [30, 40], "plan": ["a", None], "score": [0.5, None]})
    age, plan, score = infer_signature(frame)
    assert age == SignatureColumn("age", "int64", False)
    assert score == SignatureColumn("score", "float64", True)
    # pandas 2 says "object", pandas 3 "str": the same family either way.
    assert (plan.name, type_kind(plan.type), plan.nullable) == ("plan", "string", True)
    assert [c.name for c in infer_signature(frame, columns=["score", "age"])] == [
        "score",
        "age",
    ]
    with pytest.raises(ModelSignatureError, match=r"no column\(s\) \['label'\]"):
        infer_signature(frame, columns=["label"])


def test_infer_from_polars_arrow_and_mappings() -> None:
    import polars as pl
    import pyarrow as pa

    assert infer_signature(pl.DataFrame({"n": [1, None]})) == (
        SignatureColumn("n", "Int64", True),
    )
    assert infer_signature(pa.table({"s": ["x"]})) == (SignatureColumn("s", "string"),)
    assert infer_signature({"a": "int64", "b": {"type": "bool", "nullable": True}}) == (
        SignatureColumn("a", "int64"),
        SignatureColumn("b", "bool", True),
    )
    with pytest.raises(
        ModelSignatureError, match=r"Signature column 'a': expected a type"
    ):
        infer_signature({"a": 3})


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("int32", "integer"),
        ("UInt8", "integer"),
        ("float64", "float"),
        ("double", "float"),
        ("bool", "boolean"),
        ("object", "string"),
        ("large_string", "string"),
        ("datetime64[ns, UTC]", "datetime"),
        ("timestamp[us]", "datetime"),
        ("category", "category"),
        ("mystery", "mystery"),
    ],
)
def test_type_kind_groups_library_spellings(name: str, kind: str) -> None:
    assert type_kind(name) == kind


def test_compatibility_allows_widening_only() -> None:
    old = infer_signature({"n": "int64", "c": "category"})
    assert (
        signature_problems(infer_signature({"n": "float32", "c": "object"}), old) == []
    )
    assert signature_problems(
        old, infer_signature({"n": "float64", "c": "object"})
    ) == [
        "column 'n' is int64, the champion's is float64",
        "column 'c' is category, the champion's is object",
    ]
    assert signature_problems(infer_signature({"n": "int8", "x": "bool"}), old) == [
        "column 'c' is missing",
        "new column 'x' is not in the champion's",
    ]
