"""Small local-file helpers shared by the stores and ``save_value``."""

from __future__ import annotations

import os
import re
import shutil
import stat
from pathlib import Path

from rung._internal.ids import new_id
from rung.errors import ArtifactError

__all__ = [
    "copy_file",
    "create_empty",
    "folder_size",
    "fsync_path",
    "is_inside",
    "is_temp_name",
    "list_files",
    "new_temp_name",
    "remove_tree",
]


def list_files(source: Path) -> list[tuple[str, Path]]:
    """List the files under ``source`` as ``(relative posix path, path)`` pairs.

    Walks like ``rung._internal.hashing.hash_tree`` (symlinked folders are not
    entered), so a store copies exactly the files the artifact id covers.

    Raises:
        ArtifactError: ``source`` is not a folder.
    """
    if not source.is_dir():
        raise ArtifactError(f"Cannot store {str(source)!r}: it is not a folder.")
    found: list[tuple[str, Path]] = []
    for dirpath, _dirs, names in os.walk(source):
        base = Path(dirpath)
        found.extend(
            ((base / name).relative_to(source).as_posix(), base / name)
            for name in names
        )
    return found


def copy_file(source: Path, target: Path, *, fsync: bool = False) -> None:
    """Copy one file's bytes (no permissions or times), creating parent folders."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    if fsync:
        fsync_path(target)


def create_empty(path: Path) -> None:
    """Create an empty file (one syscall, unlike ``Path.touch``)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o644))


def fsync_path(path: Path) -> None:
    """Flush a file or a folder entry to stable storage."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def folder_size(folder: Path) -> int:
    """Return the total size in bytes of the files under ``folder``."""
    return sum(
        os.stat(os.path.join(dirpath, name)).st_size
        for dirpath, _dirs, names in os.walk(folder)
        for name in names
    )


def is_inside(real_root: str, path: str) -> bool:
    """Return True when ``path``, symlinks resolved, is ``real_root`` or below it."""
    real = os.path.realpath(path)
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def key_stays_inside(real_root: str, key: str) -> bool:
    """:func:`is_inside` for ``real_root/key``, ``key`` a checked artifact key.

    A checked key has no ``..`` part, so only a symlink below the root can
    lead out: one ``lstat`` per key part, instead of resolving every part of
    the whole path. A symlink found is resolved as :func:`is_inside` does.
    """
    current = real_root
    for part in key.split("/"):
        current = os.path.join(current, part)
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            return True  # nothing below exists, so no symlink either
        except OSError:
            break
        if stat.S_ISLNK(mode):
            break
    else:
        return True
    return is_inside(real_root, os.path.join(real_root, key))


_TEMP_NAME = re.compile(r"[0-9a-f]{32}")


def new_temp_name() -> str:
    """Return a random folder name for a staging folder."""
    return new_id()


def is_temp_name(name: str) -> bool:
    """Return True when ``name`` is one that ``new_temp_name`` makes."""
    return _TEMP_NAME.fullmatch(name) is not None


def remove_tree(path: Path) -> None:
    """Delete a folder tree, ignoring errors (best-effort cleanup)."""
    shutil.rmtree(path, ignore_errors=True)
