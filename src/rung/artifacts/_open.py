"""``open_artifact_store``: URL scheme -> store class, resolved on first use."""

from __future__ import annotations

import functools
import importlib
from importlib.metadata import entry_points
from typing import Any

from rung.artifacts.base import ArtifactStore
from rung.errors import ConfigError

__all__ = ["BUILTIN_STORES", "ENTRY_POINT_GROUP", "open_artifact_store", "url_scheme"]

ENTRY_POINT_GROUP = "rung.artifact_stores"
BUILTIN_STORES = {
    "file": "rung.artifacts.fsspec_store:FsspecArtifactStore",
    "memory": "rung.artifacts.memory:InMemoryArtifactStore",
}
"""Built-in schemes, as ``module:Class`` strings (plugins add entry points)."""

_FSSPEC_STORE = "rung.artifacts.fsspec_store:FsspecArtifactStore"


def url_scheme(url: str) -> str:
    """Return the lower-case scheme of ``url``; a plain path is ``file``.

    Example:
        >>> url_scheme("s3://bucket/x"), url_scheme("./.rung/artifacts")
        ('s3', 'file')
    """
    if "::" in url:  # an fsspec chain such as simplecache::s3://...
        url = url.split("::", 1)[0] + "://"
    scheme, sep, _rest = url.partition("://")
    return scheme.lower() if sep else "file"


def open_artifact_store(url: str, **options: Any) -> ArtifactStore:
    """Open the artifact store a URL names.

    Rung's own schemes (``file`` or a plain path, ``memory``) come first, then
    plugins in the ``rung.artifact_stores`` entry-point group, then any scheme
    fsspec knows (``s3``, ``gcs``, ``az``, ...), served by FsspecArtifactStore.

    Args:
        url: a local path or a URL.
        **options: passed to the store's constructor (e.g. ``fsync=True``).

    Raises:
        ConfigError: the URL is empty, its scheme is unknown, or the plugin
            that serves it cannot be loaded.

    Example:
        >>> open_artifact_store("memory://scratch")
        InMemoryArtifactStore('memory://scratch')
    """
    if not url:
        raise ConfigError("The artifact store URL is empty. Use a path or a URL.")
    scheme = url_scheme(url)
    target = BUILTIN_STORES.get(scheme) or _plugins().get(scheme)
    if target is None and _fsspec_knows(scheme):
        target = _FSSPEC_STORE
    if target is None:
        raise ConfigError(
            f"Unknown artifact store scheme {scheme!r} in {url!r}. Use a local "
            "path, file://, memory://, or a URL whose scheme fsspec knows "
            "(s3://, gs://, az://, ...; install its package, e.g. s3fs). Rung "
            f"schemes: {sorted({*BUILTIN_STORES, *_plugins()})}. Plugins add "
            f"schemes in the {ENTRY_POINT_GROUP!r} entry-point group."
        )
    store = _load_class(target, scheme)(url, **options)
    if not isinstance(store, ArtifactStore):
        raise ConfigError(
            f"{target!r}, registered for scheme {scheme!r}, does not implement "
            "ArtifactStore (url, put, exists, open_folder, delete)."
        )
    return store


@functools.cache
def _plugins() -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def _fsspec_knows(scheme: str) -> bool:
    from fsspec.registry import known_implementations, registry

    return scheme in known_implementations or scheme in registry


def _load_class(target: str, scheme: str) -> Any:
    module_name, _, attr = target.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(
            f"Cannot load the artifact store {target!r} for scheme {scheme!r}: "
            f"{exc}. Check that the package providing it is installed."
        ) from exc
