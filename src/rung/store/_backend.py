"""Backends: where a workspace's records live, chosen by URL scheme on first use.

A backend hands out one typed store per domain (``open_store("models")``).
Backends register in the ``rung.backends`` entry-point group as
``scheme = "module:Class"``; the built-in SQL backend is also listed here, so
it wins over an entry point of the same name (and opening it scans no
entry points). Which class implements which domain's store is the backend's
business: the SQL backend reads the ``rung.sql_stores`` group, which
``pyproject.toml`` fills (the composition root), so no lower layer names a
domain. :func:`lookup` reads Rung's own entry points first and scans the other
installed distributions only for a name Rung does not register: a scan reads
every distribution's metadata, which costs more than a CLI command's query.
"""

from __future__ import annotations

import functools
import importlib
from typing import TYPE_CHECKING, Any, Protocol, cast, runtime_checkable

from rung.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "BACKEND_GROUP",
    "StoreBackend",
    "load_entry_point",
    "lookup",
    "open_backend",
    "registered",
]

BACKEND_GROUP = "rung.backends"
BUILTIN_BACKENDS: dict[str, str] = {
    "sqlite": "rung.store.sql:Database",
    "postgresql": "rung.store.sql:Database",
    "memory": "rung.store.sql:Database",
}


@runtime_checkable
class StoreBackend(Protocol):
    """Where a workspace's records live: one database, or a Rung server.

    Constructors take the URL and do no I/O; the first store call connects.
    """

    url: str

    def open_store(self, name: str) -> Any:
        """Return the store of one domain (``runs``, ``models``, ...), cached.

        Raises:
            ConfigError: no store of that name is registered for this backend.
        """
        ...

    def close(self) -> None:
        """Release connections. Calling it twice is harmless."""
        ...


def open_backend(url: str) -> StoreBackend:
    """Return the backend for ``url``, chosen by the URL's scheme (no I/O yet).

    The scheme is the part before ``://``; a driver suffix after ``+`` is
    ignored for the lookup (``postgresql+psycopg`` uses ``postgresql``).

    Args:
        url: ``sqlite:///.rung/metadata.db``, ``postgresql+psycopg://...``,
            ``memory://`` (SQLite in memory) or a scheme a plugin registered.

    Raises:
        ConfigError: the URL has no known scheme, or its backend cannot load.

    Example:
        >>> backend = open_backend("memory://")
        >>> type(backend).__name__
        'Database'
    """
    scheme = _scheme(url)
    target = BUILTIN_BACKENDS.get(scheme) or lookup(BACKEND_GROUP, scheme)
    if target is None:
        backends = {**registered(BACKEND_GROUP), **BUILTIN_BACKENDS}
        raise ConfigError(
            f"Unknown metadata store scheme {scheme!r} in URL {url!r}. Known schemes: "
            f"{', '.join(sorted(backends))}. Install the plugin that provides it, "
            "or use e.g. 'sqlite:///.rung/metadata.db'."
        )
    factory = cast("Callable[[str], StoreBackend]", load_entry_point(target, scheme))
    return factory(url)


def load_entry_point(target: str, name: str) -> Any:
    """Import ``"module:attribute"`` registered under ``name``.

    Raises:
        ConfigError: the module or the attribute cannot be loaded.
    """
    module_name, _, attr = target.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(
            f"The backend for {name!r} ({target}) cannot be loaded: {exc}. "
            "Reinstall the package that provides it."
        ) from exc


def _scheme(url: str) -> str:
    scheme, sep, _rest = url.partition("://")
    if not sep or not scheme:
        raise ConfigError(
            f"Metadata store URL {url!r} has no scheme. Write it as "
            "'sqlite:///path/metadata.db', 'postgresql+psycopg://host/db' or 'memory://'."
        )
    return scheme.split("+", 1)[0].lower()


def lookup(group: str, name: str) -> str | None:
    """Return the ``"module:attribute"`` registered as ``name`` in ``group``.

    Rung's own entry points answer first, without scanning the other
    installed distributions; the scan (cached) runs only for a name Rung does
    not register, so plugins that add names are still found.
    """
    own = _own_entry_points().get(group, {})
    return own.get(name) or registered(group).get(name)


@functools.cache
def registered(group: str) -> dict[str, str]:
    """Return ``name -> "module:attribute"`` of an entry-point group (cached).

    Every installed distribution is read; for a name registered both by Rung
    and by another distribution, Rung's own entry point wins.
    """
    return {**_scan(group), **_own_entry_points().get(group, {})}


@functools.cache
def _own_entry_points() -> dict[str, dict[str, str]]:
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        points = distribution("rung").entry_points
    except PackageNotFoundError:  # a source tree on sys.path, not installed
        return {}
    groups: dict[str, dict[str, str]] = {}
    for point in points:
        groups.setdefault(point.group, {})[point.name] = point.value
    return groups


def _scan(group: str) -> dict[str, str]:
    from importlib.metadata import entry_points

    return {ep.name: ep.value for ep in entry_points(group=group)}
