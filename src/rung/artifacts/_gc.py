"""Stale temporary folders: what writes killed halfway leave behind.

A store stages every write in ``<root>/tmp/<random>`` and renames it into
place; remote stores download into ``<cache>/tmp/<random>`` the same way. A
process killed in between leaves its folder there. A folder counts as stale
when neither it nor anything inside it changed for ``older_than`` seconds, so
a slow writer that is still adding bytes is never touched.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rung.artifacts import _files
from rung.errors import ArtifactError, ConfigError

if TYPE_CHECKING:
    from rung.artifacts.base import ArtifactStore

__all__ = [
    "DEFAULT_TEMP_MAX_AGE",
    "StaleTemporary",
    "collect_garbage",
    "find_stale",
    "sweep_once",
]

DEFAULT_TEMP_MAX_AGE = 3600.0
"""Seconds without change after which a temporary folder counts as abandoned."""

# Roots swept in this process: the sweep on open is meant to cost one listing
# per root per process, whichever workspace or store object opens it.
_swept: set[str] = set()
_swept_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class StaleTemporary:
    """A temporary folder left by an interrupted write.

    Attributes:
        path: the folder.
        age_seconds: seconds since anything in it last changed.
        size_bytes: the size of the files in it.
    """

    path: str
    age_seconds: float
    size_bytes: int


def collect_garbage(
    store: ArtifactStore,
    *,
    older_than: float = DEFAULT_TEMP_MAX_AGE,
    dry_run: bool = False,
) -> list[StaleTemporary]:
    """Remove the temporary folders that interrupted writes left in ``store``.

    Stores without local temporaries (``InMemoryArtifactStore``, plugins
    without a ``temp_folders()`` method) have nothing to collect.

    Args:
        store: the artifact store.
        older_than: seconds without change after which a folder is stale;
            keep it well above your slowest write.
        dry_run: only list what would be removed.

    Returns:
        The stale folders found (removed unless ``dry_run``), oldest first.

    Raises:
        ConfigError: ``older_than`` is negative.
        ArtifactError: a temporaries folder cannot be listed.

    Example:
        >>> from rung.artifacts import InMemoryArtifactStore
        >>> collect_garbage(InMemoryArtifactStore())
        []
    """
    if older_than < 0:
        raise ConfigError(
            f"older_than must be zero or more seconds; got {older_than!r}."
        )
    found: list[StaleTemporary] = []
    for root in _temp_roots(store):
        try:
            found.extend(find_stale(root, older_than))
        except OSError as exc:
            raise ArtifactError(
                f"Cannot list the temporary folders of {store.url} in "
                f"{str(root)!r}: {exc}. Check the folder's permissions."
            ) from exc
    found.sort(key=lambda item: -item.age_seconds)
    if not dry_run:
        for item in found:
            _files.remove_tree(Path(item.path))
    return found


def find_stale(root: Path, older_than: float) -> list[StaleTemporary]:
    """List the stale temporary folders directly under ``root``.

    One directory listing; only folders whose own time is old are walked,
    to check that nothing inside them changed recently either.

    Raises:
        OSError: ``root`` exists but cannot be listed.
    """
    now = time.time()
    try:
        entries = list(os.scandir(root))
    except FileNotFoundError:
        return []
    stale = []
    for entry in entries:
        if not _files.is_temp_name(entry.name):
            continue
        try:
            if not entry.is_dir(follow_symlinks=False):
                continue
            if now - entry.stat(follow_symlinks=False).st_mtime < older_than:
                continue
            age = now - _newest_change(Path(entry.path))
            if age >= older_than:
                size = _files.folder_size(Path(entry.path))
                stale.append(StaleTemporary(entry.path, age, size))
        except FileNotFoundError:
            continue  # renamed into place or removed meanwhile
    return stale


def sweep_once(root: Path, older_than: float) -> None:
    """Remove stale temporaries under ``root``, once per process; never raises."""
    key = os.path.abspath(root)
    with _swept_lock:
        if key in _swept:
            return
        _swept.add(key)
    try:
        for item in find_stale(root, older_than):
            _files.remove_tree(Path(item.path))
    except OSError:
        pass  # best effort: ``rung artifacts gc`` reports what it cannot do


def _temp_roots(store: ArtifactStore) -> list[Path]:
    folders = getattr(store, "temp_folders", None)
    return list(folders()) if callable(folders) else []


def _newest_change(folder: Path) -> float:
    newest = os.lstat(folder).st_mtime
    for dirpath, dirs, names in os.walk(folder):
        for name in [*dirs, *names]:
            try:
                newest = max(newest, os.lstat(os.path.join(dirpath, name)).st_mtime)
            except FileNotFoundError:
                continue
    return newest
