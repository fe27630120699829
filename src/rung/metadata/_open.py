"""``open_metadata_store``: URL scheme -> backend class, resolved on first use.

Backends register in the ``rung.metadata_stores`` entry-point group as
``scheme = "module:Class"``. The built-in ones are also listed here, so Rung
works from a source checkout without installed entry points; they win over an
entry point of the same name. Nothing is discovered or imported until a store
is opened.
"""

from __future__ import annotations

import functools
import importlib
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, cast

from rung.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable

    from rung.metadata.base import MetadataStore

__all__ = ["open_metadata_store"]

ENTRY_POINT_GROUP = "rung.metadata_stores"
BUILTIN_BACKENDS: dict[str, str] = {
    "sqlite": "rung.metadata.sql:SqlMetadataStore",
    "postgresql": "rung.metadata.sql:SqlMetadataStore",
    "memory": "rung.metadata.memory:InMemoryMetadataStore",
}


def open_metadata_store(url: str) -> MetadataStore:
    """Return the metadata store for ``url``, chosen by the URL's scheme.

    The scheme is the part before ``://``; a driver suffix after ``+`` is
    ignored for the lookup (``postgresql+psycopg`` uses ``postgresql``). The
    store does no I/O until its first call.

    Args:
        url: ``sqlite:///.rung/metadata.db``, ``postgresql+psycopg://...``,
            ``memory://`` or a scheme a plugin registered.

    Returns:
        A store implementing :class:`~rung.metadata.MetadataStore`.

    Raises:
        ConfigError: the URL has no known scheme, or its backend cannot load.

    Example:
        >>> store = open_metadata_store("memory://")
        >>> type(store).__name__
        'InMemoryMetadataStore'
    """
    scheme = _scheme(url)
    backends = _backends()
    target = backends.get(scheme)
    if target is None:
        raise ConfigError(
            f"Unknown metadata store scheme {scheme!r} in URL {url!r}. Known schemes: "
            f"{', '.join(sorted(backends))}. Install the plugin that provides it, "
            "or use e.g. 'sqlite:///.rung/metadata.db'."
        )
    return _load(scheme, target)(url)


def _scheme(url: str) -> str:
    scheme, sep, _rest = url.partition("://")
    if not sep or not scheme:
        raise ConfigError(
            f"Metadata store URL {url!r} has no scheme. Write it as "
            "'sqlite:///path/metadata.db', 'postgresql+psycopg://host/db' or 'memory://'."
        )
    return scheme.split("+", 1)[0].lower()


@functools.cache
def _backends() -> dict[str, str]:
    found = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return {**found, **BUILTIN_BACKENDS}


def _load(scheme: str, target: str) -> Callable[[str], MetadataStore]:
    module_name, _, attr = target.partition(":")
    try:
        return cast(
            "Callable[[str], MetadataStore]",
            getattr(importlib.import_module(module_name), attr),
        )
    except (ImportError, AttributeError) as exc:
        raise ConfigError(
            f"The metadata store backend for {scheme!r} ({target}) cannot be loaded: "
            f"{exc}. Reinstall the package that provides it."
        ) from exc
