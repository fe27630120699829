"""``InMemoryArtifactStore``: artifact folders kept as bytes in a dict."""

from __future__ import annotations

import os
import tempfile
import threading
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

from rung.artifacts import _files
from rung.artifacts._keys import COMPLETE_MARKER, ancestors, check_key
from rung.errors import ArtifactError, ArtifactNotFoundError

if TYPE_CHECKING:
    from types import TracebackType

__all__ = ["InMemoryArtifactStore"]


class InMemoryArtifactStore:
    """An artifact store in memory, for tests (ours and yours).

    Same semantics as ``FsspecArtifactStore``. ``open_folder`` writes the files
    into a private temp folder, removed by ``close()``, by leaving a ``with``
    block, or when the store is garbage-collected.

    Args:
        url: a name for messages; stores never share content.

    Example:
        >>> with InMemoryArtifactStore() as store:
        ...     store.exists("objects/ab/ab12")
        False
    """

    def __init__(self, url: str = "memory://") -> None:
        self.url = url
        self._objects: dict[str, dict[str, bytes]] = {}
        self._opened: dict[str, Path] = {}
        self._lock = threading.Lock()
        self._folder: Path | None = None
        self._cleanup: weakref.finalize[[Path], InMemoryArtifactStore] | None = None

    def put(self, key: str, source: Path) -> bool:
        """Read the files of ``source`` and store them under ``key`` at once.

        Returns:
            True when written; False when ``key`` already held an artifact.

        Raises:
            ArtifactError: the key is invalid or reading ``source`` failed.
        """
        check_key(key)
        if key in self._objects:
            return False
        content = _read_folder(key, source)
        with self._lock:
            if key in self._objects:
                return False
            self._refuse_nested(key)
            self._objects[key] = content
        return True

    def exists(self, key: str) -> bool:
        """Return True when ``key`` holds an artifact."""
        check_key(key)
        return key in self._objects

    def open_folder(self, key: str) -> Path:
        """Write the artifact's files to a temp folder (once) and return it.

        Raises:
            ArtifactNotFoundError: ``key`` holds no artifact.
        """
        check_key(key)
        with self._lock:
            content = self._objects.get(key)
            if content is None:
                raise ArtifactNotFoundError(
                    f"No artifact under key {key!r} in {self.url}."
                )
            if key not in self._opened:
                self._opened[key] = self._write_out(key, content)
            return self._opened[key]

    def delete(self, key: str) -> None:
        """Remove ``key`` and its opened copy; a missing key is not an error."""
        check_key(key)
        with self._lock:
            self._objects.pop(key, None)
            opened = self._opened.pop(key, None)
        if opened is not None:
            _files.remove_tree(opened)

    def close(self) -> None:
        """Remove the temp folder that ``open_folder`` wrote into."""
        with self._lock:
            self._opened.clear()
            if self._cleanup is not None:
                self._cleanup()

    def __enter__(self) -> InMemoryArtifactStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"InMemoryArtifactStore({self.url!r})"

    def _write_out(self, key: str, content: dict[str, bytes]) -> Path:
        staged = self._temp_root() / "tmp" / _files.new_temp_name()
        for rel, data in content.items():
            target = staged / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        _files.create_empty(staged / COMPLETE_MARKER)
        final = self._temp_root() / "opened" / key
        final.parent.mkdir(parents=True, exist_ok=True)
        os.rename(staged, final)
        return final

    def _temp_root(self) -> Path:
        if self._folder is None or self._cleanup is None or not self._cleanup.alive:
            folder = Path(tempfile.mkdtemp(prefix="rung-memory-store-"))
            self._cleanup = weakref.finalize(self, _files.remove_tree, folder)
            self._folder = folder
        return self._folder

    def _refuse_nested(self, key: str) -> None:
        for above in ancestors(key):
            if above in self._objects:
                raise ArtifactError(
                    f"Cannot store key {key!r}: {above!r} is already an artifact "
                    "and artifacts are immutable. Use a key outside it."
                )
        if any(other.startswith(key + "/") for other in self._objects):
            raise ArtifactError(
                f"Cannot store key {key!r}: other artifacts are stored below it. "
                "Use a key that is not a prefix of other keys."
            )


def _read_folder(key: str, source: Path) -> dict[str, bytes]:
    try:
        return {rel: path.read_bytes() for rel, path in _files.list_files(source)}
    except OSError as exc:
        raise ArtifactError(
            f"Cannot copy {str(source)!r} into the in-memory store under key "
            f"{key!r}: {exc}"
        ) from exc
