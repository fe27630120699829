"""Model signatures: the input columns (name, type, nullability) a model expects.

A signature is a tuple of :class:`~rung.metadata.SignatureColumn`. It is
inferred from a DataFrame, from the metadata of a stored Parquet artifact
(the materializer records ``schema`` and ``nullable``), or given explicitly.
Two signatures are compatible when they have the same columns and each type
accepts what the other one's callers send.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from rung.errors import ModelSignatureError
from rung.registry.records import SignatureColumn

__all__ = [
    "Signature",
    "feature_names",
    "infer_signature",
    "signature_from_metadata",
    "signature_problems",
    "type_kind",
]

Signature = tuple[SignatureColumn, ...]

_KINDS = (
    (("uint", "int"), "integer"),
    (("float", "double", "halffloat", "decimal"), "float"),
    (("bool",), "boolean"),
    (("datetime", "timestamp", "date"), "datetime"),
    (("timedelta", "duration"), "duration"),
    (("category", "categorical", "dictionary"), "category"),
    (("object", "str", "string", "utf8", "large_string", "large_utf8"), "string"),
)
# Callers of the champion send values of its types; the candidate must take them.
_WIDENS = frozenset({("float", "integer"), ("string", "category")})


def type_kind(type_name: str) -> str:
    """The family of a pandas, polars or Arrow type name.

    Example:
        >>> type_kind("int32"), type_kind("Float64"), type_kind("large_string")
        ('integer', 'float', 'string')
    """
    text = type_name.strip().lower()
    for prefixes, kind in _KINDS:
        if text.startswith(prefixes):
            return kind
    return text


def infer_signature(data: Any, *, columns: Sequence[str] | None = None) -> Signature:
    """Return the signature of a table, a ``{column: type}`` mapping or columns.

    Args:
        data: a pandas, polars or pyarrow DataFrame/Table; a mapping of column
            name to a type name (or to ``{"type": ..., "nullable": ...}``); or
            a sequence of ``SignatureColumn``.
        columns: keep only these columns, in this order (e.g. the model's
            feature names, to leave the label out).

    Raises:
        ModelSignatureError: ``data`` is none of these, or lacks a column.

    Example:
        >>> infer_signature({"age": "int64", "plan": "object"})[0]
        SignatureColumn(name='age', type='int64', nullable=False)
    """
    found = _columns_of(data)
    if columns is None:
        return found
    by_name = {col.name: col for col in found}
    missing = [name for name in columns if name not in by_name]
    if missing:
        raise ModelSignatureError(
            f"The signature has no column(s) {missing}; it has "
            f"{sorted(by_name)}. Pass the data the model was trained on."
        )
    return tuple(by_name[name] for name in columns)


def signature_from_metadata(
    metadata: Mapping[str, Any], columns: Sequence[str] | None = None
) -> Signature | None:
    """The signature recorded in a Parquet artifact's metadata, if any.

    Returns None when the metadata has no ``schema`` or lacks one of
    ``columns`` (then the artifact is not the model's direct input).
    """
    schema = metadata.get("schema")
    if not isinstance(schema, Mapping) or not schema:
        return None
    nullable = metadata.get("nullable")
    nulls = nullable if isinstance(nullable, Mapping) else {}
    names = list(schema) if columns is None else list(columns)
    if any(name not in schema for name in names):
        return None
    return tuple(
        SignatureColumn(str(n), str(schema[n]), bool(nulls.get(n, False)))
        for n in names
    )


def feature_names(model: Any) -> list[str] | None:
    """The column names a fitted model was trained on, when it records them."""
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        return None
    try:
        return [str(name) for name in names]
    except TypeError:
        return None


def signature_problems(candidate: Signature, champion: Signature) -> list[str]:
    """Why ``candidate`` cannot replace ``champion`` (empty when compatible).

    Example:
        >>> old = infer_signature({"age": "int64"})
        >>> signature_problems(infer_signature({"age": "float64"}), old)
        []
        >>> signature_problems(infer_signature({"age": "object"}), old)
        ["column 'age' is object, the champion's is int64"]
    """
    new = {col.name: col for col in candidate}
    old = {col.name: col for col in champion}
    problems = [f"column {n!r} is missing" for n in old if n not in new]
    problems += [
        f"new column {n!r} is not in the champion's" for n in new if n not in old
    ]
    for name in (n for n in old if n in new):
        have, had = type_kind(new[name].type), type_kind(old[name].type)
        if have != had and (have, had) not in _WIDENS:
            problems.append(
                f"column {name!r} is {new[name].type}, "
                f"the champion's is {old[name].type}"
            )
    return problems


def _columns_of(data: Any) -> Signature:
    if isinstance(data, Mapping):
        return tuple(_from_entry(name, spec) for name, spec in data.items())
    if isinstance(data, Sequence) and all(isinstance(c, SignatureColumn) for c in data):
        return tuple(data)
    if _is(data, "pandas", "DataFrame"):
        nulls = data.isna().any()
        return tuple(
            SignatureColumn(str(name), str(dtype), bool(nulls[name]))
            for name, dtype in data.dtypes.items()
        )
    if _is(data, "polars", "DataFrame"):
        counts = data.null_count().row(0)
        return tuple(
            SignatureColumn(name, str(dtype), count > 0)
            for name, dtype, count in zip(
                data.columns, data.dtypes, counts, strict=True
            )
        )
    if _is(data, "pyarrow", "Table"):
        return tuple(
            SignatureColumn(f.name, str(f.type), data.column(f.name).null_count > 0)
            for f in data.schema
        )
    raise ModelSignatureError(
        f"Cannot read a signature from a {type(data).__qualname__}. Pass a "
        "pandas/polars DataFrame, a pyarrow Table, or a mapping such as "
        "{'age': 'int64', 'plan': 'object'}."
    )


def _from_entry(name: Any, spec: Any) -> SignatureColumn:
    if isinstance(spec, str):
        return SignatureColumn(str(name), spec)
    if isinstance(spec, Mapping) and isinstance(spec.get("type"), str):
        return SignatureColumn(str(name), spec["type"], bool(spec.get("nullable")))
    raise ModelSignatureError(
        f"Signature column {name!r}: expected a type name such as 'int64' or "
        f"{{'type': 'int64', 'nullable': True}}, got {spec!r}."
    )


def _is(value: Any, module: str, name: str) -> bool:
    # Never import a data library just to check a type.
    lib = sys.modules.get(module)
    kind = getattr(lib, name, None) if lib is not None else None
    return isinstance(kind, type) and isinstance(value, kind)
