"""Artifact folders on the local disk: stage under ``tmp/``, then one rename."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from rung.artifacts import _files
from rung.artifacts._keys import COMPLETE_MARKER, RESERVED_ROOT, ancestors, check_key
from rung.errors import ArtifactError, ArtifactNotFoundError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["LocalTree"]


class LocalTree:
    """The local half of ``FsspecArtifactStore``: plain ``os`` calls, no fsspec.

    Args:
        root: the store's root folder (created on the first write).
        url: the store URL, for messages.
        fsync: flush files and folders to disk before a put returns.
    """

    def __init__(self, root: Path, url: str, *, fsync: bool = False) -> None:
        self.root = root
        self.url = url
        self.fsync = fsync
        self._real_root = os.path.realpath(root)

    def put(self, key: str, source: Path) -> bool:
        """Copy ``source`` to ``tmp/<random>``, then rename it to ``key``.

        A folder from ``staging_folder()`` is renamed directly, without a copy.
        """
        dest = self.path(key)
        if self._is_complete(dest):
            return False
        self._refuse_nested(key)
        if self._is_staging(source):
            staged = source
            self._seal(key, staged, fsync_files=self.fsync)
        else:
            staged = self._stage(key, source)
        return self._commit(key, staged, dest)

    def staging_folder(self) -> Path:
        """Return a new empty folder under ``tmp/``; ``put`` moves it, no copy."""
        return self._temp_folder()

    def exists(self, key: str) -> bool:
        """Return True when ``key`` holds a complete artifact."""
        return self._is_complete(self.path(key))

    def open_folder(self, key: str) -> Path:
        """Return the stored folder itself."""
        dest = self.path(key)
        if not self._is_complete(dest):
            raise ArtifactNotFoundError(f"No artifact under key {key!r} in {self.url}.")
        return dest

    def delete(self, key: str) -> None:
        """Move the folder out of sight with one rename, then remove it."""
        dest = self.path(key)
        if not self._is_complete(dest):
            return
        trash = self._temp_folder()
        try:
            os.rename(dest, trash)
        except FileNotFoundError:
            return  # deleted concurrently
        _files.remove_tree(trash)

    def path(self, key: str) -> Path:
        """Return the folder of ``key``, refusing keys that resolve outside the root.

        Raises:
            ArtifactError: the key is invalid or a symlink leads outside the root.
        """
        check_key(key)
        dest = self.root.joinpath(key)
        if str(self.root) == self._real_root:
            inside = _files.key_stays_inside(self._real_root, key)
        else:
            inside = _files.is_inside(self._real_root, str(dest))
        if not inside:
            raise ArtifactError(
                f"Artifact key {key!r} resolves outside the store root "
                f"{str(self.root)!r} (through a symlink). Remove the symlink."
            )
        return dest

    def _stage(self, key: str, source: Path) -> Path:
        staged = self._temp_folder()
        try:
            for rel, path in _files.list_files(source):
                _files.copy_file(path, staged / rel, fsync=self.fsync)
        except OSError as exc:
            _files.remove_tree(staged)
            raise ArtifactError(
                f"Cannot copy {str(source)!r} into {self.url} under key {key!r}: {exc}"
            ) from exc
        except BaseException:
            _files.remove_tree(staged)
            raise
        self._seal(key, staged, fsync_files=False)
        return staged

    def _seal(self, key: str, staged: Path, *, fsync_files: bool) -> None:
        """Write the marker (and flush, if asked) before the folder is renamed."""
        try:
            if fsync_files:
                for _rel, path in _files.list_files(staged):
                    _files.fsync_path(path)
            _files.create_empty(staged / COMPLETE_MARKER)
            if self.fsync:
                _files.fsync_path(staged)
        except OSError as exc:
            _files.remove_tree(staged)
            raise ArtifactError(
                f"Cannot store key {key!r} in {self.url}: {exc}"
            ) from exc

    def _commit(self, key: str, staged: Path, dest: Path) -> bool:
        try:
            _rename_making_parents(staged, dest)
        except OSError as exc:
            _files.remove_tree(staged)
            if self._is_complete(dest):
                return False  # another writer stored the same key first
            raise ArtifactError(
                f"Cannot store key {key!r} in {self.url}: {exc}. A folder that "
                "is not an artifact may be in the way (is the key a prefix of "
                "other keys?)."
            ) from exc
        if self.fsync:
            _files.fsync_path(dest.parent)
        return True

    def _is_staging(self, source: Path) -> bool:
        return source.parent == self.root / RESERVED_ROOT

    def _temp_folder(self) -> Path:
        folder = self.root / RESERVED_ROOT / _files.new_temp_name()
        try:
            folder.mkdir()
        except FileNotFoundError:
            folder.mkdir(parents=True)
        return folder

    def _refuse_nested(self, key: str) -> None:
        for above in ancestors(key):
            if self._is_complete(os.path.join(self.root, above)):
                raise ArtifactError(
                    f"Cannot store key {key!r}: {above!r} is already an artifact "
                    "and artifacts are immutable. Use a key outside it."
                )

    @staticmethod
    def _is_complete(folder: Path | str) -> bool:
        return os.path.isfile(os.path.join(folder, COMPLETE_MARKER))


def _rename_making_parents(source: Path, dest: Path) -> None:
    try:
        os.rename(source, dest)
    except FileNotFoundError:
        if not source.exists():
            raise
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.rename(source, dest)
