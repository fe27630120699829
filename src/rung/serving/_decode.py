"""Request bodies in, response bodies out: JSON (msgspec) and Arrow IPC.

No pickle anywhere: JSON goes through msgspec's parser, Arrow IPC through
pyarrow's stream reader. Accepted JSON shapes (``inputs`` is Rung's; the
others are MLflow's and pandas' names, so existing clients keep working):

- records: ``{"inputs": [{...}, ...]}`` or ``{"dataframe_records": [...]}``
- columns: ``{"columns": {"a": [...], ...}}``
- split: ``{"columns": [...], "data": [[...], ...]}`` or
  ``{"dataframe_split": {"columns": [...], "data": [...]}}``

The standard library's parser took half the server's time on large bodies.
msgspec parses the same documents several times faster, and for an all-float
signature a split body is decoded straight into typed lists (numbers only,
no other key): the type checks happen inside the parser. Whatever msgspec
refuses (``NaN`` literals, integers beyond 64 bits, UTF-16 bodies, lone
surrogates, deep nesting, a body of another shape) goes to the standard
library's parser and the generic checks, so what is accepted, and every
error message, stays the same.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import msgspec
import numpy as np

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
    try:
        split = _DECODE_SPLIT.decode(body)
    except (ValueError, RecursionError):  # msgspec.DecodeError and the like
        return None
    if split.dataframe_split is not None:
        if split.columns is not None or split.data is not None:
            return None
        columns, data = split.dataframe_split.columns, split.dataframe_split.data
    elif split.columns is not None and split.data is not None:
        columns, data = split.columns, split.data
    else:
        return None
    return schema.float_split(columns, data)


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
