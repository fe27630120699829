"""``sklearn.skops``: scikit-learn estimators through skops, never pickle.

Loading asks skops which types in the file it does not trust by default and
checks each against Rung's allowlist of exact, reviewed type names
(``TRUSTED_TYPES``), plus what ``rung.artifacts.trust_types`` added. Any other
type refuses the load: no module prefix is trusted, since ``numpy.``,
``scipy.`` and ``sklearn.`` all hold functions that run code or touch files.
Files are rewritten in a canonical form, so equal fitted models get equal
artifact ids.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from rung.artifacts.materializers._skops_trusted import TRUSTED_TYPES
from rung.artifacts.materializers._skops_zip import canonicalize_skops_file
from rung.errors import ArtifactError, UnsafeArtifactError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path

__all__ = ["TRUSTED_TYPES", "SkopsMaterializer"]

_FILE = "model.skops"
_PARAM_REPR_LIMIT = 80


class SkopsMaterializer:
    """Stores scikit-learn estimators (anything with ``sklearn.`` in its MRO).

    Args:
        trusted: exact type names trusted on load (default: ``TRUSTED_TYPES``).
        extra_trusted: more exact type names trusted on load (a live set:
            names added later, by ``trust_types``, are honoured).

    Example:
        >>> from sklearn.linear_model import LogisticRegression
        >>> SkopsMaterializer().can_save(LogisticRegression())
        True
    """

    name = "sklearn.skops"
    version = 1
    is_pickled = False

    def __init__(
        self,
        trusted: Iterable[str] = TRUSTED_TYPES,
        extra_trusted: set[str] | None = None,
    ) -> None:
        self.trusted = frozenset(trusted)
        self.extra_trusted = extra_trusted if extra_trusted is not None else set()

    def can_save(self, value: Any) -> bool:
        """Return True when a class in the value's MRO comes from ``sklearn``."""
        return any(
            kind.__module__.startswith("sklearn.") for kind in type(value).__mro__
        )

    def save(self, value: Any, folder: Path) -> dict[str, Any]:
        """Dump with skops, canonicalize the file, return estimator metadata."""
        import sklearn
        import skops.io

        path = folder / _FILE
        try:
            skops.io.dump(value, path)
        except (TypeError, ValueError, NotImplementedError) as exc:
            raise ArtifactError(
                f"skops cannot store the {type(value).__qualname__} estimator: "
                f"{exc}. Opt in to pickle with allow_pickle=True if you trust "
                "whoever loads it."
            ) from exc
        canonicalize_skops_file(path)
        return {
            "estimator": f"{type(value).__module__}.{type(value).__qualname__}",
            "sklearn_version": sklearn.__version__,
            "params": _summarize_params(value),
        }

    def load(self, folder: Path, metadata: Mapping[str, Any]) -> Any:
        """Load with skops, trusting only the types Rung's allowlist accepts.

        Raises:
            UnsafeArtifactError: the file holds types outside the allowlist.
        """
        import skops.io

        path = folder / _FILE
        listed = skops.io.get_untrusted_types(file=path)
        refused = [name for name in listed if not self.is_trusted(name)]
        if refused:
            raise UnsafeArtifactError(
                f"The skops model file holds types Rung does not trust: {refused}. "
                "Loading or using them could run code from the file (Rung trusts "
                "only an exact list of reviewed types). If you wrote this model "
                "yourself or trust its source, opt in before loading with "
                f"rung.artifacts.trust_types({refused!r})."
            )
        return skops.io.load(path, trusted=listed)

    def is_trusted(self, type_name: str) -> bool:
        """Return True when ``type_name`` is exactly a trusted name."""
        return type_name in self.trusted or type_name in self.extra_trusted


def _summarize_params(value: Any) -> dict[str, Any]:
    get_params = getattr(value, "get_params", None)
    if not callable(get_params):
        return {}
    return {str(k): _json_param(v) for k, v in get_params(deep=False).items()}


def _json_param(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # JSON columns in PostgreSQL refuse NaN and inf
    if value is None or isinstance(value, str | int | float | bool):
        return value
    text = repr(value)
    return text if len(text) <= _PARAM_REPR_LIMIT else text[:_PARAM_REPR_LIMIT] + "..."
