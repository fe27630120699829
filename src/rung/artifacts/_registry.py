"""Which materializer stores a value: registration, opt-ins and selection."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rung.artifacts.base import Materializer
from rung.errors import ArtifactError, MaterializerNotFoundError, UnsafeArtifactError

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "REGISTRY",
    "MaterializerRegistry",
    "allow_pickle",
    "materializer_for",
    "register_materializer",
    "trust_types",
    "type_name",
]

_SUPPORTED = (
    "JSON-able builtins (None, bool, int, float, str, list, dict with str keys), "
    "numpy arrays and scalars, pandas DataFrames and Series, polars DataFrames, "
    "pyarrow Tables, scikit-learn estimators, pathlib.Path"
)


def type_name(value_or_type: Any) -> str:
    """Return ``module.QualName`` of a value's type (or of a type).

    Example:
        >>> type_name(3), type_name(int)
        ('builtins.int', 'builtins.int')
    """
    kind = value_or_type if isinstance(value_or_type, type) else type(value_or_type)
    return f"{kind.__module__}.{kind.__qualname__}"


class MaterializerRegistry:
    """The materializers of this process and the user's opt-ins.

    Attributes:
        custom: materializers added with ``register_materializer``, tried first.
        pickle_types: type names the user allowed to pickle.
        trusted_types: type names the user trusts inside skops files.
    """

    def __init__(self) -> None:
        self.custom: list[Materializer] = []
        self.pickle_types: set[str] = set()
        self.trusted_types: set[str] = set()
        self._builtins: list[Materializer] | None = None
        self._pickle: Materializer | None = None

    def builtins(self) -> list[Materializer]:
        """Return the built-in materializers in their fixed selection order."""
        if self._builtins is None:
            from rung.artifacts import materializers as m

            self._builtins = [
                m.JsonMaterializer(),
                m.NumpyMaterializer(),
                m.PandasParquetMaterializer(),
                m.PolarsParquetMaterializer(),
                m.ArrowParquetMaterializer(),
                m.SkopsMaterializer(extra_trusted=self.trusted_types),
                m.PathMaterializer(),
            ]
        return self._builtins

    def pickle(self) -> Materializer:
        """Return the pickle materializer (used only after an opt-in)."""
        if self._pickle is None:
            from rung.artifacts.materializers import PickleMaterializer

            self._pickle = PickleMaterializer()
        return self._pickle

    def get(self, name: str) -> Materializer:
        """Return the materializer called ``name``.

        Raises:
            ArtifactError: no materializer has that name.
        """
        for materializer in [*self.custom, *self.builtins(), self.pickle()]:
            if materializer.name == name:
                return materializer
        raise ArtifactError(
            f"No materializer is called {name!r}. Known: {sorted(self.names())}. "
            "If it comes from a plugin, register it with "
            "rung.artifacts.register_materializer(...) before saving or loading."
        )

    def names(self) -> list[str]:
        """Return the names of every known materializer."""
        return [m.name for m in [*self.custom, *self.builtins(), self.pickle()]]

    def may_pickle(self, type_names: Iterable[str], allowed: bool) -> bool:
        """Return True when pickling is allowed, by flag or by type opt-in."""
        return allowed or any(name in self.pickle_types for name in type_names)

    def select(
        self, value: Any, *, allow_pickle: bool = False, name: str | None = None
    ) -> Materializer:
        """Pick the materializer for ``value``; see ``materializer_for``."""
        pickle_ok = self.may_pickle([type_name(value)], allow_pickle)
        if name is not None:
            return self._explicit(value, name, pickle_ok)
        for materializer in [*self.custom, *self.builtins()]:
            if materializer.can_save(value) and (
                pickle_ok or not materializer.is_pickled
            ):
                return materializer
        if pickle_ok:
            return self.pickle()
        raise MaterializerNotFoundError(self._not_found_message(value))

    def _explicit(self, value: Any, name: str, pickle_ok: bool) -> Materializer:
        materializer = self.get(name)
        if materializer.is_pickled and not pickle_ok:
            raise UnsafeArtifactError(
                f"Materializer {name!r} pickles values, which runs code when "
                "they are loaded. Pass allow_pickle=True to opt in."
            )
        if not materializer.can_save(value):
            raise MaterializerNotFoundError(
                f"Materializer {name!r} cannot store a value of type "
                f"{type_name(value)!r}. Choose another materializer or none."
            )
        return materializer

    def _not_found_message(self, value: Any) -> str:
        kind = type_name(value)
        hints = [
            hint
            for m in [*self.custom, *self.builtins()]
            if (hint := _refusal(m, value))
        ]
        details = "".join(f"\n  - {hint}" for hint in hints)
        return (
            f"No materializer can store a value of type {kind!r}.{details}\n"
            f"Fix it in one of three ways: return a supported type ({_SUPPORTED}); "
            "register a materializer for it with "
            "rung.artifacts.register_materializer(...); or opt in to pickle with "
            f"@step(allow_pickle=True) or rung.artifacts.allow_pickle({kind}) "
            "if you trust whoever will load it."
        )


def _refusal(materializer: Materializer, value: Any) -> str | None:
    explain = getattr(materializer, "explain_refusal", None)
    return explain(value) if callable(explain) else None


REGISTRY = MaterializerRegistry()
"""The process-wide registry used by ``save_value`` and ``load_value``."""


def register_materializer(materializer: Materializer) -> Materializer:
    """Add a materializer, tried before the built-ins (in registration order).

    Args:
        materializer: an object with ``name``, ``version``, ``is_pickled``,
            ``can_save``, ``save`` and ``load`` (see ``Materializer``).

    Returns:
        The materializer, unchanged.

    Raises:
        ArtifactError: it lacks part of the protocol, or its name is taken.

    Example:
        >>> class Text:
        ...     name, version, is_pickled = "doc.text", 1, False
        ...     def can_save(self, value): return False
        ...     def save(self, value, folder): return {}
        ...     def load(self, folder, metadata): return None
        >>> register_materializer(Text()).name  # doctest: +SKIP
        'doc.text'
    """
    if not isinstance(materializer, Materializer):
        raise ArtifactError(
            f"{materializer!r} is not a materializer: it needs name, version, "
            "is_pickled, can_save(), save() and load()."
        )
    name = materializer.name
    if not name or "\n" in name or name in REGISTRY.names():
        raise ArtifactError(
            f"Cannot register a materializer named {name!r}: the name is empty, "
            f"has a newline or is taken (taken: {sorted(REGISTRY.names())})."
        )
    REGISTRY.custom.append(materializer)
    return materializer


def allow_pickle(*types: type) -> None:
    """Allow values of exactly these types to be pickled, and unpickled again.

    Pickle is used only when no safe materializer fits. Loading a pickle runs
    code from the file, so opt in only for types whose artifacts you trust.
    Subclasses need their own opt-in.

    Example:
        >>> class Opaque: ...
        >>> allow_pickle(Opaque)  # doctest: +SKIP
    """
    REGISTRY.pickle_types.update(type_name(kind) for kind in types)


def trust_types(types: Iterable[type | str]) -> None:
    """Trust these types when loading scikit-learn models stored with skops.

    Rung trusts skops' defaults (public scikit-learn estimators, NumPy and
    SciPy ufuncs, dtypes) and an exact list of reviewed names
    (``rung.artifacts.materializers.sklearn_models.TRUSTED_TYPES``); any other
    type or function inside a skops file is refused unless listed here. Names
    are exact: a module prefix such as ``"numpy."`` trusts nothing.

    Args:
        types: types, or names as ``module.Name`` (as skops reports them).

    Example:
        >>> trust_types(["mypackage.models.MyEstimator"])  # doctest: +SKIP
    """
    for kind in types:
        name = f"{kind.__module__}.{kind.__name__}" if isinstance(kind, type) else kind
        REGISTRY.trusted_types.add(name)


def materializer_for(
    value: Any, *, allow_pickle: bool = False, name: str | None = None
) -> Materializer:
    """Return the materializer that ``save_value`` would use for ``value``.

    Order: the materializer called ``name``; user-registered ones; built-ins
    (json, numpy, pandas, polars, arrow, sklearn, path); pickle, if allowed.

    Raises:
        MaterializerNotFoundError: nothing fits; the message lists the fixes.

    Example:
        >>> materializer_for({"a": [1, 2.5]}).name
        'json'
    """
    return REGISTRY.select(value, allow_pickle=allow_pickle, name=name)


def materializer_fingerprint() -> str:
    """A hash of every known materializer's name and version.

    Cache keys include it, so a new materializer version (a new file format)
    re-runs steps instead of reusing outputs written in the old format.

    Example:
        >>> len(materializer_fingerprint())
        16
    """
    # Asked for every step: the built-ins never change, so the answer is
    # remembered per set of custom materializers.
    custom = tuple((m.name, m.version) for m in REGISTRY.custom)
    found = _fingerprints.get(custom)
    if found is None:
        from rung._internal.hashing import hash_text

        known = [
            *custom,
            *((m.name, m.version) for m in (*REGISTRY.builtins(), REGISTRY.pickle())),
        ]
        text = "\n".join(sorted(f"{name}:{version}" for name, version in known))
        found = _fingerprints[custom] = hash_text(text)[:16]
    return found


_fingerprints: dict[tuple[tuple[str, int], ...], str] = {}
