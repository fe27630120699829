"""Rules every store keeps, whatever its domain or backend.

JSON round-trips of mappings (what a SQL column holds is what a record
returns), key checks, id prefixes and the errors for them. Pure Python: no
SQLAlchemy, so domain ``store.py`` modules can use them at no import cost.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from rung.errors import AmbiguousIdError, InvalidRecordError

__all__ = [
    "MAX_CANDIDATES",
    "MIN_PREFIX",
    "SHOWN_CANDIDATES",
    "already_exists",
    "check_choice",
    "check_keys",
    "clean_mapping",
    "clean_params",
    "clean_strings",
    "dump_json",
    "load_json",
    "refuse_ambiguous",
]

MIN_PREFIX = 4
"""Shortest id prefix a store accepts for lookups by prefix."""

SHOWN_CANDIDATES = 10
MAX_CANDIDATES = SHOWN_CANDIDATES + 1
"""How many prefix matches a backend fetches at most (one more than shown)."""


def dump_json(value: Any, what: str) -> str:
    """Encode ``value`` as JSON text, or raise InvalidRecordError naming ``what``."""
    if type(value) is dict and not value:  # most params and metadata
        return "{}"
    try:
        return json.dumps(value, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise InvalidRecordError(
            f"{what} cannot be stored as JSON: {exc}. Convert it to str, int, "
            "float, bool, None, list or dict first."
        ) from exc


def load_json(text: str) -> Any:
    """Decode JSON text written by :func:`dump_json`."""
    return json.loads(text)


def clean_mapping(value: Mapping[str, Any], what: str) -> dict[str, Any]:
    """Return the JSON round-trip of a mapping (what every backend stores)."""
    check_keys(value, what)
    if not value:
        return {}
    return dict(load_json(dump_json(dict(value), what)))


def clean_params(params: Mapping[str, Any], what: str) -> dict[str, Any]:
    """Return params with each value JSON round-tripped (stored one per row)."""
    check_keys(params, what)
    return {k: load_json(dump_json(v, f"{what}[{k!r}]")) for k, v in params.items()}


def clean_strings(value: Mapping[str, str], what: str) -> dict[str, str]:
    """Check a str -> str mapping (tags, inputs, outputs, packages)."""
    check_keys(value, what)
    for key, item in value.items():
        if not isinstance(item, str):
            raise InvalidRecordError(
                f"{what}[{key!r}] must be a str, got {item!r}. Convert it with str()."
            )
    return dict(value)


def check_keys(value: Mapping[str, Any], what: str) -> None:
    if not isinstance(value, Mapping):
        raise InvalidRecordError(f"{what} must be a mapping, got {value!r}.")
    for key in value:
        if not isinstance(key, str):
            raise InvalidRecordError(f"{what} keys must be str, got {key!r}.")


def already_exists(kind: str, record_id: str) -> InvalidRecordError:
    """Return the error for an id that is already taken."""
    return InvalidRecordError(
        f"{kind} {record_id!r} already exists. Create it with a new id "
        "(rung._internal.ids.new_id()) or change the existing one."
    )


def check_changeable(
    changes: Mapping[str, Any], allowed: Collection[str], what: str
) -> None:
    """Raise InvalidRecordError naming the fields of ``changes`` not in
    ``allowed`` (``what``: the record, e.g. "a rollout")."""
    bad = sorted(set(changes) - set(allowed))
    if bad:
        raise InvalidRecordError(
            f"Cannot change {', '.join(map(repr, bad))} of {what}. "
            f"Changeable: {', '.join(sorted(allowed))}."
        )


def check_choice(value: object, allowed: tuple[str, ...], what: str) -> None:
    """Raise InvalidRecordError unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        raise InvalidRecordError(
            f"{what} must be one of {', '.join(allowed)}, got {value!r}."
        )


def refuse_ambiguous(kind: str, given: str, candidates: Sequence[str]) -> None:
    """Raise AmbiguousIdError when several ids start with ``given``."""
    if len(candidates) <= 1:
        return
    shown = ", ".join(sorted(candidates)[:SHOWN_CANDIDATES])
    more = ", ..." if len(candidates) > SHOWN_CANDIDATES else ""
    raise AmbiguousIdError(
        f"The {kind} id prefix {given!r} matches several {kind}s: {shown}{more}. "
        "Type more characters of the id."
    )
