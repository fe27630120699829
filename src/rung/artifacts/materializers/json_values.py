"""``json``: None, bool, int, float (nan and inf too), str, lists and str-keyed dicts.

Tuples are refused rather than silently loaded back as lists: JSON has no
tuple, and a marker would make some dicts ambiguous. Convert tuples to lists.
Dict key order is kept, so equal dicts in a different order get different ids.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rung.errors import ArtifactError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

__all__ = ["JsonMaterializer"]

_FILE = "value.json"
_SCALARS = frozenset({type(None), bool, int, float, str})


class JsonMaterializer:
    """Stores JSON-able builtins as ``value.json``.

    Example:
        >>> JsonMaterializer().can_save({"a": [1, None, float("nan")]})
        True
        >>> JsonMaterializer().can_save((1, 2))
        False
    """

    name = "json"
    version = 1
    is_pickled = False

    def can_save(self, value: Any) -> bool:
        """Return True for exact builtin scalars, lists and str-keyed dicts."""
        return _json_problem(value) is None

    def explain_refusal(self, value: Any) -> str | None:
        """Say why a list, dict or tuple is not JSON-able (None for other types)."""
        if type(value) not in (list, dict, tuple):
            return None
        problem = _json_problem(value)
        return f"json: {problem}." if problem else None

    def save(self, value: Any, folder: Path) -> dict[str, Any]:
        """Write ``value.json``; return the Python type and container length."""
        files, metadata = self.encode(value)
        (folder / _FILE).write_bytes(files[_FILE])
        return metadata

    def encode(self, value: Any) -> tuple[dict[str, bytes], dict[str, Any]]:
        """The bytes of ``value.json`` and the metadata, without writing."""
        try:
            text = json.dumps(value, separators=(",", ":"), allow_nan=True)
        except ValueError as exc:  # a reference cycle, or an int too long
            raise ArtifactError(f"Cannot write the value as JSON: {exc}.") from exc
        metadata: dict[str, Any] = {"python_type": type(value).__name__}
        if isinstance(value, list | dict):
            metadata["length"] = len(value)
        return {_FILE: text.encode("utf-8")}, metadata

    def load(self, folder: Path, metadata: Mapping[str, Any]) -> Any:
        """Read ``value.json`` back."""
        return json.loads((folder / _FILE).read_text(encoding="utf-8"))

    def decode(self, files: Mapping[str, bytes], metadata: Mapping[str, Any]) -> Any:
        """The value of files ``encode`` made, without reading the folder."""
        return json.loads(files[_FILE].decode("utf-8"))


def _json_problem(value: Any) -> str | None:
    """Return what makes ``value`` not JSON-able, or None. Iterative: no recursion."""
    stack: list[tuple[Any, str]] = [(value, "the value")]
    seen: set[int] = set()
    while stack:
        obj, where = stack.pop()
        kind = type(obj)
        if kind in _SCALARS or id(obj) in seen:
            continue
        if kind is tuple:
            return f"{where} is a tuple; JSON has no tuples, convert it to a list"
        if kind is not list and kind is not dict:
            return f"{where} has type {kind.__module__}.{kind.__qualname__}"
        seen.add(id(obj))
        if kind is dict:
            for key in obj:
                if type(key) is not str:
                    return f"{where} has the non-string key {key!r}"
        items = obj.items() if kind is dict else enumerate(obj)
        stack.extend(
            (item, f"{where}[{key!r}]")
            for key, item in items
            if type(item) not in _SCALARS
        )
    return None
