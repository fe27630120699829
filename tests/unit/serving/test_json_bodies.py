"""JSON request bodies: the typed fast path for float signatures and the fallbacks.

Every body is decoded twice, through ``decode_inputs`` (which takes the fast
path where it applies) and through the generic parser and checks, and must
give the same columns or the same error.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from rung.errors import InvalidInputError, MalformedPayloadError
from rung.registry.records import SignatureColumn
from rung.serving import InputSchema
from rung.serving._decode import JSON_TYPE, decode_inputs, encode_json, parse_json
from rung.serving._ids import IdRange, PredictionIds
from rung.serving._model import Outputs

FLOATS = InputSchema([SignatureColumn("a", "float64"), SignatureColumn("b", "float64")])


@pytest.fixture(autouse=True, params=["simdjson", "msgspec"])
def _float_reader(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every test runs with each reader of float split bodies taking all sizes
    (by default simdjson reads the large ones, msgspec the small ones)."""
    from rung.serving import _decode

    threshold = 0 if request.param == "simdjson" else 1 << 62
    monkeypatch.setattr(_decode, "_SIMD_MIN_BYTES", threshold)


def ab_rows(data: bytes) -> bytes:
    """A split body for columns ``a`` and ``b`` with ``data`` as its rows."""
    return b'{"columns": ["a", "b"], "data": ' + data + b"}"


def generic(body: bytes, schema: InputSchema) -> dict[str, Any]:
    """The columns the generic path gives (any JSON parsed, generic checks)."""
    from rung.serving._decode import _from_json

    return _from_json(parse_json(body), schema)


def outcome(call: Any) -> Any:
    """Columns as dtype and bytes (-0.0 is not 0.0), or the error and problems."""
    try:
        return {k: (v.dtype.str, v.tobytes()) for k, v in call().items()}
    except (InvalidInputError, MalformedPayloadError) as exc:
        return type(exc).__name__, str(exc), getattr(exc, "problems", None)


@pytest.mark.parametrize(
    "body",
    [
        b'{"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2.5], [3.0, -4]]}}',
        b'{"columns": ["b", "a"], "data": [[1, 2.5], [1e300, 0]]}',
        b'{"columns": ["a", "b"], "data": [[1, 2.5], [3]]}',  # ragged
        b'{"columns": ["a", "b"], "data": [[1, true]]}',  # a bool
        b'{"columns": ["a", "b"], "data": [[1, null]]}',  # a null
        b'{"columns": ["a", "b"], "data": [[1, "2"]]}',  # a string
        b'{"columns": ["a", "b"], "data": [[1, 1e400]]}',  # overflows to inf
        b'{"columns": ["a", "c"], "data": [[1, 2]]}',  # unknown column
        b'{"columns": ["a", "a", "b"], "data": [[1, 2, 3]]}',  # a column twice
        b'{"columns": ["a", "b"], "data": []}',  # no rows
        b'{"columns": ["a", "b"], "data": [[1, 2]], "inputs": [{"a": 1}]}',
        b'{"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2]]}, "x": 1}',
        b'{"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2]], "index": [0]}}',
        b'{"columns": ["x"], "columns": ["a", "b"], "data": [[1, 2]]}',  # last wins
        b'{"inputs": [{"a": 1, "b": 2.5}]}',
        b'{"columns": {"a": [1], "b": [2]}}',
        b'{"columns": ["a", "b"], "data": [[1, 2, 3], [4]]}',  # ragged, 2 x 2 values
        b'{"columns": ["a", "b"], "data": [[[1], 2]]}',  # a list in a row
        b'{"columns": ["a", "b"], "data": [[1, [2, 3]]]}',
        b'{"columns": ["a", "b"], "data": [[[1, 2]]]}',
        b'{"columns": ["a", "b"], "data": [[1, 2], 3]}',  # a row that is a number
        b'{"columns": ["a", "b"], "data": ["ab"]}',  # a row that is a string
        b'{"columns": ["a", "b"], "data": [{"a": 1, "b": 2}]}',  # a row object
        b'{"columns": ["a", "b"], "data": [[1, {}]]}',
        b'{"columns": ["a", "b"], "data": {"a": [1]}}',
        b'{"columns": ["a", "b"], "data": [[1, 2]], "data": [[3, 4]]}',  # last wins
        b'{"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2]]},'
        b' "dataframe_split": {"columns": ["a", "b"], "data": [[3, 4]]}}',
        b'{"columns": ["a"], "data": [[1]]}',  # a column short
        b'{"columns": ["a", "b", "c"], "data": [[1, 2, 3]]}',  # a column more
        b'{"columns": ["a", 1], "data": [[1, 2]]}',  # a name that is a number
        b'{"columns": [["a"], "b"], "data": [[1, 2]]}',
        b'{"columns": ["\\u0061", "b"], "data": [[1, 2]]}',  # an escaped name
        b'{"columns": ["a", "b"], "data": [[1, 123456789012345678901234567890]]}',
        ab_rows(b"[[18446744073709551615, -9223372036854775808]]"),
        ab_rows(b"[[9007199254740993, -0], [-0.0, 0e5]]"),
        ab_rows(
            b"[[1e-400, 4.9e-324], [2.2250738585072011e-308, 1.7976931348623157e308]]"
        ),
        ab_rows(
            b"[[0.1000000000000000055511151231257827,"
            b" 1.00000000000000011102230246251565404236316680908203125]]"
        ),
        b' \n{ "columns" :\t[ "a" , "b" ] ,\r\n"data" : [ [ 1 , 2 ] ,[3,4] ] } \n',
        b"\xef\xbb\xbf" + b'{"columns": ["a", "b"], "data": [[1, 2]]}',  # a UTF-8 BOM
        b'{"columns": ["a", "b"], "data": [[1, 2]]} x',  # trailing text
        b'{"columns": ["a", "b"], "data": [[1, 2]]',  # cut short
    ],
)
def test_float_bodies_decode_as_the_generic_path_does(body: bytes) -> None:
    fast = outcome(lambda: decode_inputs(body, JSON_TYPE, FLOATS)[0])
    assert fast == outcome(lambda: generic(body, FLOATS))


@pytest.mark.parametrize(
    "body",
    [
        b'{"columns": ["a", "b"], "data": [[1, null], [NaN, 2]]}',
        b'{"columns": ["a", "b"], "data": [[1, Infinity]]}',
        b'{"columns": ["a", "b"], "data": [[1, 2]]}',
    ],
)
@pytest.mark.parametrize(
    "schema",
    [
        InputSchema(
            [SignatureColumn("a", "float64"), SignatureColumn("b", "float64")],
            nan_policy="allow",
        ),
        InputSchema(
            [
                SignatureColumn("a", "float64", nullable=True),
                SignatureColumn("b", "float64"),
            ]
        ),
    ],
)
def test_nulls_and_nan_are_handled_as_the_schema_says(
    body: bytes, schema: InputSchema
) -> None:
    fast = outcome(lambda: decode_inputs(body, JSON_TYPE, schema)[0])
    assert fast == outcome(lambda: generic(body, schema))  # NaN: same bytes


@pytest.mark.parametrize("rows", [20_000, 80_000])  # the second past 2 MiB
def test_a_large_split_body_decodes_to_the_same_values(rows: int) -> None:
    from rung.serving._decode import _float_split

    rng = np.random.default_rng(7)
    matrix = rng.normal(size=(rows, 2)) * 10.0 ** rng.integers(-300, 300, (rows, 2))
    data = matrix.tolist()
    data[5] = [1, -(2**63)]
    body = json.dumps({"dataframe_split": {"columns": ["b", "a"], "data": data}})
    columns, count = decode_inputs(body.encode(), JSON_TYPE, FLOATS)
    assert count == rows
    assert outcome(lambda: columns) == outcome(lambda: generic(body.encode(), FLOATS))
    assert columns["b"][:3].tolist() == matrix[:3, 0].tolist()
    assert _float_split(body.encode(), FLOATS) is not None


def test_a_column_name_with_a_bracket_decodes_as_the_generic_path_does() -> None:
    schema = InputSchema(
        [SignatureColumn("a[0]", "float64"), SignatureColumn("a[1]", "float64")]
    )
    for body in (
        b'{"columns": ["a[0]", "a[1]"], "data": [[1, 2], [3, 4]]}',
        b'{"columns": ["a[0]", "a[1]"], "data": [[[1], 2]]}',
        b'{"columns": ["a\\u005b0]", "a[1]"], "data": [[[1], 2]]}',
    ):
        fast = outcome(lambda b=body: decode_inputs(b, JSON_TYPE, schema)[0])
        assert fast == outcome(lambda b=body: generic(b, schema))


def test_deeply_nested_rows_get_the_same_error() -> None:
    body = b'{"columns": ["a", "b"], "data": [' + b"[" * 5000 + b"]" * 5000 + b"]}"
    with pytest.raises(MalformedPayloadError, match="nested too deeply"):
        decode_inputs(body, JSON_TYPE, FLOATS)


def test_nan_literals_still_reach_the_checks() -> None:
    body = b'{"columns": ["a", "b"], "data": [[NaN, 1], [2, Infinity]]}'
    with pytest.raises(InvalidInputError) as info:
        decode_inputs(body, JSON_TYPE, FLOATS)
    problems = {p["column"]: p["problem"] for p in info.value.problems}
    assert problems == {"a": "NaN in a non-nullable column", "b": "infinite value"}


@pytest.mark.parametrize(
    "body",
    [
        b"[1e400]",
        b"[1180591620717411303424]",
        b'"\\ud800"',
        b'{"a": 1, "a": 2}',
        "[1]".encode("utf-16"),
        b"\xef\xbb\xbf[1]",
    ],
)
def test_parse_json_accepts_what_the_standard_parser_accepts(body: bytes) -> None:
    assert parse_json(body) == json.loads(body)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"{nope", "not valid JSON"),
        (b"\xff\xfe\xff", "not valid JSON"),
        (b"[" * 5000 + b"]" * 5000, "nested too deeply"),
    ],
)
def test_parse_json_words_errors_as_before(body: bytes, words: str) -> None:
    with pytest.raises(MalformedPayloadError, match=words):
        parse_json(body)


def test_encoded_response_reads_back_as_the_outputs() -> None:
    ids = PredictionIds().take(3)
    outputs = Outputs(
        np.array([1.5, np.nan, 2.0]), np.array([[0.25, 0.75]] * 3), ("no", "yés")
    )
    body = json.loads(encode_json("m", 2, ids, outputs))
    assert body == {
        "model": "m",
        "version": 2,
        "prediction_ids": ids.tolist(),
        "predictions": [1.5, None, 2.0],
        "classes": ["no", "yés"],
        "probabilities": [[0.25, 0.75]] * 3,
    }


def test_numbers_only_split_bodies_take_the_matrix_path() -> None:
    from rung.serving._decode import _float_split

    body = b'{"dataframe_split": {"columns": ["b", "a"], "data": [[1, 2.5], [3, 4]]}}'
    columns = _float_split(body, FLOATS)
    assert columns is not None
    assert (columns["a"].tolist(), columns["b"].tolist()) == ([2.5, 4.0], [1.0, 3.0])
    for refused in (b"[[1, null]]", b"[[[1], 2]]", b"[[1, 2, 3], [4]]", b"[[1, "):
        assert _float_split(ab_rows(refused), FLOATS) is None
        assert _float_split(body, FLOATS) is not None  # still, after a refusal


@pytest.mark.parametrize(
    "ids",
    [
        IdRange("0123456789abcdef", 0, 100),
        IdRange("0123456789abcdef", 123_456_998_950, 2_100),  # carries over 10**6
        IdRange("0123456789abcdef", 999_999_999_900, 100),  # the last 12-digit ids
        IdRange("0123456789abcdef", 999_999_999_950, 100),  # past 12 digits
        IdRange("0123456789abcdef", 7, 0),
    ],
)
def test_many_ids_are_written_as_their_strings(ids: IdRange) -> None:
    assert json.loads(ids.to_json()) == ids.tolist()
    outputs = Outputs(np.zeros(len(ids)))
    assert json.loads(encode_json("m", 1, ids, outputs))["prediction_ids"] == (
        ids.tolist()
    )
