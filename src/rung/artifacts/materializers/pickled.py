"""``pickle``: anything picklable, only after an explicit opt-in.

Loading a pickle runs code chosen by whoever wrote the file. ``save_value``
uses this materializer only with ``allow_pickle=True`` or a type registered
with ``rung.artifacts.allow_pickle``, and ``load_value`` asks the same again.
"""

from __future__ import annotations

import pickle
from typing import TYPE_CHECKING, Any

from rung.errors import ArtifactError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

__all__ = ["PickleMaterializer"]

_FILE = "value.pkl"
_PROTOCOL = 5  # fixed, so a Python upgrade does not change the bytes


class PickleMaterializer:
    """Stores any picklable value as ``value.pkl`` (protocol 5).

    Example:
        >>> PickleMaterializer().is_pickled
        True
    """

    name = "pickle"
    version = 1
    is_pickled = True

    def can_save(self, value: Any) -> bool:
        """Return True: whether it pickles is only known by trying."""
        return True

    def save(self, value: Any, folder: Path) -> dict[str, Any]:
        """Pickle ``value``; refuse it with a clear error when it cannot be."""
        try:
            data = pickle.dumps(value, protocol=_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            raise ArtifactError(
                f"Cannot pickle a value of type {type(value).__qualname__!r}: "
                f"{exc}. Return a supported type or register a materializer."
            ) from exc
        (folder / _FILE).write_bytes(data)
        return {"python_type": f"{type(value).__module__}.{type(value).__qualname__}"}

    def load(self, folder: Path, metadata: Mapping[str, Any]) -> Any:
        """Unpickle the value; the caller has checked the user's opt-in."""
        with (folder / _FILE).open("rb") as handle:
            return pickle.load(handle)  # noqa: S301 - opt-in checked by load_value
