"""Artifact folders on any fsspec filesystem: upload, then a completion marker.

Object stores have no atomic folder rename, so a key counts as stored only once
its ``_rung_complete`` marker exists; the marker is written last. Reads go
through a local cache folder that is filled atomically (download, then rename).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rung.artifacts import _files
from rung.artifacts._keys import (
    COMPLETE_MARKER,
    RESERVED_ROOT,
    ancestors,
    check_key,
    check_relative_path,
)
from rung.errors import ArtifactError, ArtifactNotFoundError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["RemoteTree", "default_cache_dir"]


class RemoteTree:
    """The fsspec half of ``FsspecArtifactStore``.

    Args:
        url: the store URL (``s3://bucket/prefix``, ``memory://name``, ...).
        cache_dir: the local folder that holds downloaded artifacts.
        storage_options: passed to ``fsspec.core.url_to_fs``.
    """

    def __init__(
        self, url: str, cache_dir: Path, storage_options: Mapping[str, Any]
    ) -> None:
        import fsspec

        self.url = url
        self.cache_dir = cache_dir
        self.fs, root = fsspec.core.url_to_fs(url, **storage_options)
        self.root = str(root).rstrip("/")

    def put(self, key: str, source: Path) -> bool:
        """Upload every file under ``key``, then write the marker.

        Nothing is deleted on failure or before uploading: another process may
        be uploading the same content-addressed key at the same time. Files
        left by an interrupted upload have no marker, so they stay invisible,
        and the next put of the key overwrites them.
        """
        dest = self.path(key)
        if self.fs.exists(f"{dest}/{COMPLETE_MARKER}"):
            return False
        self._refuse_nested(key, dest)
        try:
            for rel, path in _files.list_files(source):
                self.fs.put_file(str(path), f"{dest}/{rel}")
            self.fs.pipe_file(f"{dest}/{COMPLETE_MARKER}", b"")
        except OSError as exc:
            raise ArtifactError(
                f"Cannot upload {str(source)!r} to {self.url} under key {key!r}: {exc}"
            ) from exc
        return True

    def exists(self, key: str) -> bool:
        """Return True when the key's marker exists."""
        return bool(self.fs.exists(f"{self.path(key)}/{COMPLETE_MARKER}"))

    def open_folder(self, key: str) -> Path:
        """Return the cached local copy, downloading it first if needed."""
        dest = self.path(key)
        local = self._cache_path(key)
        if (local / COMPLETE_MARKER).is_file():
            return local
        if not self.exists(key):
            raise ArtifactNotFoundError(f"No artifact under key {key!r} in {self.url}.")
        staged = self._download(dest)
        try:
            local.parent.mkdir(parents=True, exist_ok=True)
            os.rename(staged, local)
        except OSError:
            _files.remove_tree(staged)
            if not (local / COMPLETE_MARKER).is_file():
                raise
        return local

    def delete(self, key: str) -> None:
        """Remove the marker first (so the key stops existing), then the files."""
        dest = self.path(key)
        marker = f"{dest}/{COMPLETE_MARKER}"
        if not self.fs.exists(marker):
            return
        self.fs.rm_file(marker)
        self._remove_quietly(dest)
        _files.remove_tree(self._cache_path(key))

    def path(self, key: str) -> str:
        """Return the remote path of ``key`` (validated)."""
        check_key(key)
        return f"{self.root}/{key}"

    def _download(self, dest: str) -> Path:
        staged = self._cache_root() / RESERVED_ROOT / _files.new_temp_name()
        try:
            for remote in self.fs.find(dest):
                target = staged / check_relative_path(str(remote), dest)
                target.parent.mkdir(parents=True, exist_ok=True)
                self.fs.get_file(remote, str(target))
        except BaseException:
            _files.remove_tree(staged)
            raise
        return staged

    def _cache_root(self) -> Path:
        root = self.cache_dir
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        return root

    def _cache_path(self, key: str) -> Path:
        return self.cache_dir.joinpath(key)

    def _refuse_nested(self, key: str, dest: str) -> None:
        for above in ancestors(key):
            if self.fs.exists(f"{self.root}/{above}/{COMPLETE_MARKER}"):
                raise ArtifactError(
                    f"Cannot store key {key!r}: {above!r} is already an artifact "
                    "and artifacts are immutable. Use a key outside it."
                )
        if not self.fs.exists(dest):
            return
        if any(path.endswith(f"/{COMPLETE_MARKER}") for path in self.fs.find(dest)):
            raise ArtifactError(
                f"Cannot store key {key!r}: other artifacts are stored below it. "
                "Use a key that is not a prefix of other keys."
            )

    def _remove_quietly(self, dest: str) -> None:
        try:
            self.fs.rm(dest, recursive=True)
        except (OSError, ValueError):
            pass  # nothing uploaded yet, or already gone


def default_cache_dir(url: str) -> Path:
    """Return this user's private cache folder for the store at ``url``.

    Raises:
        ArtifactError: the per-user folder exists but belongs to another user.
    """
    user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    base = Path(tempfile.gettempdir()) / f"rung-{user}"
    base.mkdir(mode=0o700, exist_ok=True)
    if hasattr(os, "getuid") and base.stat().st_uid != os.getuid():
        raise ArtifactError(
            f"The artifact cache folder {str(base)!r} belongs to another user. "
            "Pass cache_dir= to FsspecArtifactStore to use a private folder."
        )
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    return base / "artifact-cache" / digest
