"""Request bodies in, response bodies out: JSON (msgspec) and Arrow IPC.

No pickle anywhere: JSON goes through msgspec's parser, Arrow IPC through
pyarrow's stream reader. Accepted JSON shapes (``inputs`` is Rung's; the
others are MLflow's and pandas' names, so existing clients keep working):

- records: ``{"inputs": [{...}, ...]}`` or ``{"dataframe_records": [...]}``
- columns: ``{"columns": {"a": [...], ...}}``
- split: ``{"columns": [...], "data": [[...], ...]}`` or
  ``{"dataframe_split": {"columns": [...], "data": [...]}}``

The standard library's parser took half the server's time on large bodies.
msgspec parses the same documents several times faster. For an all-float
signature a split body goes further: simdjson parses it and copies its rows
straight into one float64 matrix, with no Python object per value (building
20,000 Python floats, then an array from them, cost three times the parse).
That path takes only bodies whose every row is a list of exactly one number
per column; anything else (``NaN`` literals, a null, a string, a nested list,
integers beyond 64 bits, UTF-16 bodies, lone surrogates, deep nesting, a
body of another shape) goes to msgspec or the standard library's parser and
the generic checks, so what is accepted, and every error message, stays the
same.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

import msgspec
import numpy as np
import simdjson

from rung.errors import MalformedPayloadError, UnsupportedMediaTypeError

if TYPE_CHECKING:
    from rung.serving._ids import IdRange
    from rung.serving._inputs import Columns, InputSchema
    from rung.serving._model import Outputs

__all__ = [
    "ARROW_TYPE",
    "JSON_TYPE",
    "decode_inputs",
    "encode_arrow",
    "encode_json",
    "parse_json",
    "wants_arrow",
]

JSON_TYPE = "application/json"
ARROW_TYPE = "application/vnd.apache.arrow.stream"
_SHAPES = (
    '{"inputs": [{...}]}, {"columns": {"a": [...]}}, '
    '{"columns": [...], "data": [[...]]} or {"dataframe_split": {...}}'
)


def media_type(content_type: str | None) -> str:
    """The bare media type of a Content-Type header (``""`` when absent)."""
    return (content_type or "").partition(";")[0].strip().lower()


class _Split(msgspec.Struct, forbid_unknown_fields=True):
    columns: list[str]
    data: list[list[float]]


class _SplitBody(msgspec.Struct, forbid_unknown_fields=True):
    """A split body with numbers only, at the top level or in dataframe_split."""

    dataframe_split: _Split | None = None
    columns: list[str] | None = None
    data: list[list[float]] | None = None


_DECODE = msgspec.json.Decoder()
_DECODE_SPLIT = msgspec.json.Decoder(_SplitBody)
_ENCODE = msgspec.json.Encoder()
# Smaller split bodies (a few rows) are decoded by msgspec into typed lists:
# for those, simdjson's set-up and checks cost more than the parse they save.
_SIMD_MIN_BYTES = 4096
_BRACKET = ord("[")
# Bodies up to this size reuse their thread's simdjson parser. A new parser
# per body allocated fresh buffers each time, and faulting their pages in
# cost as much as the parse; past this size a body gets a parser of its own,
# so one huge body does not leave the thread holding buffers its size.
_REUSE_BYTES = 2 * 1024 * 1024
_PARSERS = threading.local()


def parse_json(body: bytes) -> Any:
    """Parse a JSON body; errors become MalformedPayloadError.

    msgspec first; what it refuses is parsed by ``json.loads``, which accepts
    the same documents plus ``NaN``/``Infinity``, big integers and UTF-16/32,
    and words its errors as it always did.
    """
    try:
        return _DECODE.decode(body)
    except (ValueError, RecursionError):  # msgspec.DecodeError: json decides
        pass
    try:
        return json.loads(body)
    except RecursionError:
        raise MalformedPayloadError("The JSON body is nested too deeply.") from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise MalformedPayloadError(f"The body is not valid JSON: {exc}.") from None


def decode_inputs(
    body: bytes, content_type: str | None, schema: InputSchema
) -> tuple[Columns, int]:
    """Checked input columns and their row count, from a request body.

    Raises:
        UnsupportedMediaTypeError: neither JSON nor Arrow IPC.
        MalformedPayloadError: the body cannot be decoded, or has no known shape.
        InvalidInputError: the rows do not match the signature.
    """
    kind = media_type(content_type)
    if kind == ARROW_TYPE:
        columns = schema.from_arrow(_read_arrow(body))
    elif kind == JSON_TYPE or kind.endswith("+json"):
        fast = _float_split(body, schema) if schema.is_all_float else None
        columns = _from_json(parse_json(body), schema) if fast is None else fast
    else:
        raise UnsupportedMediaTypeError(
            f"Cannot read a {kind or 'body without Content-Type'}. Send "
            f"Content-Type: {JSON_TYPE} ({_SHAPES}) or {ARROW_TYPE} (an Arrow IPC "
            "stream), e.g. curl -H 'Content-Type: application/json' -d @rows.json."
        )
    rows = len(next(iter(columns.values()))) if columns else 0
    return columns, rows


def _float_split(body: bytes, schema: InputSchema) -> Columns | None:
    """A split body of numbers for an all-float signature, checked (else None).

    None sends the body down the generic path, which finds and words any
    problem; this path only takes bodies that path would accept unchanged.
    """
    width = len(schema.names)
    found = (
        _number_rows(body, width)
        if len(body) >= _SIMD_MIN_BYTES
        else _small_number_rows(body, width)
    )
    if found is None:
        return None
    names, matrix = found
    return schema.float_split(names, matrix)


def _small_number_rows(
    body: bytes, width: int
) -> tuple[list[str], np.ndarray[Any, Any]] | None:
    """:func:`_number_rows` through msgspec's typed decoding (numbers only,
    no other key: the parser checks the types)."""
    try:
        split = _DECODE_SPLIT.decode(body)
    except (ValueError, RecursionError):  # msgspec.DecodeError and the like
        return None
    if split.dataframe_split is not None:
        if split.columns is not None or split.data is not None:
            return None
        names, data = split.dataframe_split.columns, split.dataframe_split.data
    elif split.columns is not None and split.data is not None:
        names, data = split.columns, split.data
    else:
        return None
    if not data or any(len(row) != width for row in data):
        return None
    return names, np.array(data, dtype=np.float64)


def _number_rows(
    body: bytes, width: int
) -> tuple[list[str], np.ndarray[Any, Any]] | None:
    """Column names and a rows x ``width`` float64 matrix, or None.

    Only for ``{"columns": [names], "data": [rows]}`` (bare or in
    ``dataframe_split``, no other key, no key twice) whose every row is a list
    of ``width`` JSON numbers, each converted as the standard parser and
    ``float()`` would.
    """
    try:
        split = _split_object(_parser(len(body)).parse(body))
        if split is None:
            return None
        names, data = split["columns"], split["data"]
        if not isinstance(names, simdjson.Array) or not isinstance(
            data, simdjson.Array
        ):
            return None
        listed = names.as_list()
        # Every row a list of ``width`` values (len() of a number raises)...
        if not data or set(map(len, data)) != {width}:  # type: ignore[arg-type]
            return None
        # ...all numbers (a string, bool, null or object raises)...
        flat = np.frombuffer(data.as_buffer(of_type="d"), dtype=np.float64)
    except (KeyError, TypeError, ValueError, RuntimeError):
        return None
    text = [n for n in listed if isinstance(n, str)]
    if len(text) != len(listed):
        return None
    # ...and no list inside a row: the body has no "[" but those of "columns",
    # "data" and its rows. (A "[" byte is never part of an escape or of a
    # multi-byte UTF-8 character, so one written in a name also sends the
    # body down the generic path.)
    brackets = np.count_nonzero(np.frombuffer(body, dtype=np.uint8) == _BRACKET)
    if brackets != len(data) + 2 or flat.size != len(data) * width:
        return None
    return text, flat.reshape(len(data), width)


def _parser(size: int) -> simdjson.Parser:
    """A simdjson parser for a body of ``size`` bytes (see ``_REUSE_BYTES``).

    A parser can be reused once nothing of its last document is referenced:
    :func:`_number_rows` keeps no proxy object past its return.
    """
    if size > _REUSE_BYTES:
        return simdjson.Parser()
    parser: simdjson.Parser | None = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = simdjson.Parser()
    return parser


def _split_object(doc: Any) -> simdjson.Object | None:
    """The object holding ``columns`` and ``data``: the body or its split."""
    if isinstance(doc, simdjson.Object) and len(doc) == 1:
        doc = doc.get("dataframe_split")
    if isinstance(doc, simdjson.Object) and len(doc) == 2:
        return doc
    return None


def _from_json(payload: Any, schema: InputSchema) -> Columns:
    if isinstance(payload, dict):
        payload = payload.get("dataframe_split", payload)
    if not isinstance(payload, dict):
        raise MalformedPayloadError(
            f"Expected a JSON object such as {_SHAPES}; got {type(payload).__name__}."
        )
    records = payload.get("inputs", payload.get("dataframe_records"))
    if isinstance(records, list):
        return schema.from_records(records)
    columns = payload.get("columns")
    if isinstance(columns, dict):
        return schema.from_columns(columns)
    if isinstance(columns, list) and isinstance(payload.get("data"), list):
        if not all(isinstance(c, str) for c in columns):
            raise MalformedPayloadError("'columns' must be a list of column names.")
        return schema.from_split(columns, payload["data"])
    raise MalformedPayloadError(
        f"Cannot find rows in the JSON object (keys: {sorted(payload)[:10]}). "
        f"Send {_SHAPES}."
    )


def _read_arrow(body: bytes) -> Any:
    import pyarrow as pa

    try:
        with pa.ipc.open_stream(pa.BufferReader(body)) as reader:
            return reader.read_all()
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError, ValueError) as exc:
        raise MalformedPayloadError(
            f"The body is not an Arrow IPC stream: {exc}. Write it with "
            "pyarrow.ipc.new_stream(...)."
        ) from None


def wants_arrow(accept: str | None) -> bool:
    """True when the client asked for an Arrow IPC response."""
    return ARROW_TYPE in (accept or "")


def encode_json(model: str, version: int, ids: IdRange, outputs: Outputs) -> bytes:
    """The JSON response of ``/predict``."""
    body: dict[str, Any] = {
        "model": model,
        "version": version,
        # Many ids: written by NumPy (see IdRange.to_json); a few: as strings.
        "prediction_ids": msgspec.Raw(ids.to_json())
        if len(ids) >= 64
        else ids.tolist(),
        "predictions": _plain(outputs.predictions),
    }
    if outputs.probabilities is not None and outputs.classes is not None:
        body["classes"] = list(outputs.classes)
        body["probabilities"] = outputs.probabilities.tolist()
    return _ENCODE.encode(body)


def encode_arrow(ids: IdRange, outputs: Outputs) -> bytes:
    """The Arrow IPC response of ``/predict``: id, prediction, proba_<class>."""
    import pyarrow as pa

    data: dict[str, Any] = {
        "prediction_id": ids.to_arrow(),
        "prediction": pa.array(outputs.predictions),
    }
    if outputs.probabilities is not None and outputs.classes is not None:
        for k, label in enumerate(outputs.classes):
            data[f"proba_{label}"] = outputs.probabilities[:, k]
    table = pa.table(data)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue())


def _plain(values: np.ndarray[Any, Any]) -> list[Any]:
    if values.dtype.kind == "f" and not np.isfinite(values).all():
        # JSON has no NaN: send null.
        return [None if not np.isfinite(v) else float(v) for v in values]
    return list(values.tolist())
