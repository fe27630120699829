"""``FsspecArtifactStore``: artifact folders on a local disk or any fsspec URL."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rung.artifacts._gc import DEFAULT_TEMP_MAX_AGE, sweep_once
from rung.artifacts._keys import RESERVED_ROOT
from rung.artifacts._local import LocalTree
from rung.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from rung.artifacts._remote import RemoteTree

__all__ = ["FsspecArtifactStore", "local_root"]


class FsspecArtifactStore:
    """Immutable artifact folders under a local path or any fsspec URL.

    Local paths (a plain path or ``file://``) use plain ``os`` calls: a put
    copies into ``<root>/tmp/<random>`` and renames the whole folder to
    ``<root>/<key>`` in one atomic step. Other URLs (``s3://``, ``gcs://``,
    fsspec's ``memory://``, ...) upload the files, then a ``_rung_complete``
    marker; a key exists only once its marker does. Reads from those stores go
    through a local cache folder. The constructor does no I/O.

    On first use the store removes, once per process, the temporary folders
    that writes killed halfway left behind (``<root>/tmp/`` for local stores,
    ``<cache_dir>/tmp/`` for others): one directory listing.

    Args:
        url: a local path or an fsspec URL.
        cache_dir: where remote artifacts are downloaded for reading; default a
            private folder under the system temp dir. Unused for local stores.
        fsync: flush every write to disk before ``put`` returns (power-loss
            durability for local stores, at a cost of milliseconds per put).
        storage_options: extra options for the fsspec filesystem.
        temp_max_age: seconds without change after which a temporary folder
            counts as abandoned and is removed on first use; None keeps them
            (``rung artifacts gc`` removes them on demand).

    Example:
        >>> store = FsspecArtifactStore("/tmp/rung-doc-store")
        >>> store.url
        '/tmp/rung-doc-store'
    """

    def __init__(
        self,
        url: str,
        *,
        cache_dir: str | Path | None = None,
        fsync: bool = False,
        storage_options: Mapping[str, Any] | None = None,
        temp_max_age: float | None = DEFAULT_TEMP_MAX_AGE,
    ) -> None:
        self.url = url
        self.cache_dir = cache_dir
        self.fsync = fsync
        self.storage_options = storage_options
        self.temp_max_age = temp_max_age
        self._tree: LocalTree | RemoteTree | None = None

    @property
    def is_local(self) -> bool:
        """True when the store is a folder on the local disk."""
        return local_root(self.url) is not None

    def put(self, key: str, source: Path) -> bool:
        """Copy the local folder ``source`` under ``key`` atomically.

        Returns:
            True when written; False when ``key`` already held an artifact.

        Raises:
            ArtifactError: the key is invalid or the copy failed (nothing is
                left visible under ``key``).
        """
        return self._backend().put(key, source)

    def staging_folder(self) -> Path:
        """Return a new empty local folder to prepare a ``put`` in.

        For a local store the folder is inside the store (``tmp/``) and ``put``
        renames it into place instead of copying it: it is consumed. For other
        stores it is a temp folder that ``put`` uploads. The caller removes it
        if it still exists afterwards.
        """
        backend = self._backend()
        if isinstance(backend, LocalTree):
            return backend.staging_folder()
        return Path(tempfile.mkdtemp(prefix="rung-stage-"))

    def exists(self, key: str) -> bool:
        """Return True when ``key`` holds a complete artifact."""
        return self._backend().exists(key)

    def open_folder(self, key: str) -> Path:
        """Return a local folder with the artifact's files, to read only.

        Raises:
            ArtifactNotFoundError: ``key`` holds no complete artifact.
        """
        return self._backend().open_folder(key)

    def delete(self, key: str) -> None:
        """Remove ``key``; a missing key is not an error."""
        self._backend().delete(key)

    def temp_folders(self) -> list[Path]:
        """Return the local folders that hold this store's temporary folders.

        ``rung.artifacts.collect_garbage`` cleans them. Asking does not open
        the store (and so does not run the sweep on first use).
        """
        root = local_root(self.url)
        if root is not None:
            return [root.absolute() / RESERVED_ROOT]
        return [self._cache_folder() / RESERVED_ROOT]

    def __repr__(self) -> str:
        return f"FsspecArtifactStore({self.url!r})"

    def _backend(self) -> LocalTree | RemoteTree:
        if self._tree is None:
            self._tree = self._make_backend()
            if self.temp_max_age is not None:
                for folder in self.temp_folders():
                    sweep_once(folder, self.temp_max_age)
        return self._tree

    def _make_backend(self) -> LocalTree | RemoteTree:
        root = local_root(self.url)
        if root is not None:
            return LocalTree(root.absolute(), self.url, fsync=self.fsync)
        from rung.artifacts._remote import RemoteTree

        try:
            return RemoteTree(
                self.url, self._cache_folder(), self.storage_options or {}
            )
        except (ImportError, ValueError) as exc:
            raise ConfigError(
                f"Cannot open the artifact store {self.url!r}: {exc}. Check the URL "
                "and install the fsspec package for its scheme (e.g. s3fs, gcsfs)."
            ) from exc

    def _cache_folder(self) -> Path:
        from rung.artifacts._remote import default_cache_dir

        return Path(self.cache_dir) if self.cache_dir else default_cache_dir(self.url)


def local_root(url: str) -> Path | None:
    """Return the folder of a local store URL, or None for a remote URL.

    Example:
        >>> local_root("file:///data/rung"), local_root("s3://bucket/x")
        (PosixPath('/data/rung'), None)
    """
    if url.startswith("file://"):
        return Path(url.removeprefix("file://"))
    if "://" in url or "::" in url:
        return None
    return Path(url)
