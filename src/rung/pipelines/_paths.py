"""Fingerprints of the local files and folders a step is given by path.

A step argument such as ``path="data/claims.csv"`` is a plain string to the
cache key: change the file in place and the step would stay cached with
stale results. So every string among a step's constant arguments that names
an existing local file or folder adds the content's fingerprint to the key.

Hashing a large file on every run would cost seconds, so a memo keeps, per
file, the size and modification time it had when it was last hashed, and
that content hash: a file whose size and mtime are unchanged is not read
again. A file modified in the last seconds is not memoised (two writes
within one clock tick can leave the same size and mtime). The memo lives in
the user's cache folder (``~/.cache/rung/path-fingerprints.json``), shared
by every process. In a folder, hidden entries (``.git``, ``.rung``,
``.venv``...) are left out, so a step given the project folder does not miss
the cache because Rung's own records changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rung._internal.hashing import hash_tree

if TYPE_CHECKING:
    from rung.workspace import Workspace

__all__ = ["PathFingerprints", "path_fingerprints"]

_MAX_PATH = 4096
_RACY_NS = 2_000_000_000


def path_fingerprints(
    workspace: Workspace, params: Mapping[str, Any]
) -> dict[str, str]:
    """``path:<argument>`` -> content fingerprint, for every argument string
    (also inside lists and dicts) that names an existing local path.

    Example:
        >>> path_fingerprints(ws, {"path": "claims.csv"})  # doctest: +SKIP
        {'path:path': 'file:9f86d0...'}
    """
    found = dict(_local_paths(params))
    if not found:
        return {}
    memo = workspace.attach("pipelines.path_fingerprints", PathFingerprints)
    return {f"path:{where}": memo.fingerprint(path) for where, path in found.items()}


class PathFingerprints:
    """Content fingerprints of files and folders, re-hashing only what changed.

    Args:
        memo_file: where the (size, mtime, hash) of hashed files are kept
            (default: ``~/.cache/rung/path-fingerprints.json``).
    """

    def __init__(self, memo_file: Path | None = None) -> None:
        self.memo_file = memo_file or (
            Path.home() / ".cache" / "rung" / "path-fingerprints.json"
        )
        self._lock = threading.Lock()
        self._memo: dict[str, list[Any]] | None = None

    def fingerprint(self, path: Path) -> str:
        """``file:<sha256>`` of a file, ``folder:<sha256>`` over a folder's files."""
        with self._lock:
            memo = self._load()
            changed = False
            if path.is_file():
                digest, changed = self._file_hash(memo, path)
                result = f"file:{digest}"
            else:
                folder = hashlib.sha256()
                for file in _visible_files(path):
                    digest, new = self._file_hash(memo, file)
                    changed |= new
                    name = file.relative_to(path).as_posix()
                    folder.update(f"{name}\0{digest}\0".encode())
                result = f"folder:{folder.hexdigest()}"
            if changed:
                self._save(memo)
            return result

    def _file_hash(self, memo: dict[str, list[Any]], file: Path) -> tuple[str, bool]:
        stat = file.stat()
        key = str(file)
        known = memo.get(key)
        if known is not None and known[:2] == [stat.st_size, stat.st_mtime_ns]:
            return str(known[2]), False
        digest = hash_tree(file)
        if time.time_ns() - stat.st_mtime_ns < _RACY_NS:
            return digest, False  # may change again within the same mtime
        memo[key] = [stat.st_size, stat.st_mtime_ns, digest]
        return digest, True

    def _load(self) -> dict[str, list[Any]]:
        if self._memo is None:
            try:
                data = json.loads(self.memo_file.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = {}  # no memo yet, or unreadable: hash again
            self._memo = data if isinstance(data, dict) else {}
        return self._memo

    def _save(self, memo: dict[str, list[Any]]) -> None:
        """Write the memo atomically; a memo that cannot be written only costs
        hashing again later."""
        with contextlib.suppress(OSError):
            self.memo_file.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(
                dir=self.memo_file.parent, prefix=".fingerprints-"
            )
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    json.dump(memo, out, separators=(",", ":"))
                Path(temp).replace(self.memo_file)
            except OSError:
                Path(temp).unlink(missing_ok=True)
                raise


def _local_paths(value: Any, where: str = "") -> Iterator[tuple[str, Path]]:
    """(argument, absolute path) of every string in ``value`` naming a local path."""
    if isinstance(value, str):
        path = _existing_path(value)
        if path is not None:
            yield where, path
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _local_paths(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _local_paths(item, f"{where}[{index}]")


def _existing_path(text: str) -> Path | None:
    if not text or len(text) > _MAX_PATH or "\n" in text or "://" in text:
        return None
    try:
        path = Path(text).absolute()
        if not (path.is_file() or path.is_dir()):
            return None
    except (OSError, ValueError):
        return None
    if path == Path(path.anchor):  # a filesystem root is never one step's input
        return None
    return path


def _visible_files(folder: Path) -> list[Path]:
    found: list[Path] = []
    for directory, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(directory) / n for n in names if not n.startswith("."))
    return sorted(found)
