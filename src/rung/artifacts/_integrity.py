"""Content checks: an artifact's stored files must hash to its id.

An artifact id is SHA-256 over ``materializer\\ntype\\n`` and the files of its
``data/`` folder. ``check_content`` re-hashes before a load and refuses a
mismatch, so a stored file overwritten with another valid model, or damaged on
disk, is never loaded in its place.

Hashing reads every byte, so each folder is hashed at most once per process:
a check that passed is remembered together with the size, times and inode of
every file it covered, and repeated only when one of them changed. The memory
lives in this module on purpose: it describes files on disk, which every
workspace and store object of the process sees alike.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Protocol

from rung._internal.hashing import hash_tree
from rung.errors import ArtifactIntegrityError

if TYPE_CHECKING:
    from pathlib import Path

    from rung.artifacts.base import ArtifactStore

__all__ = ["ContentRef", "check_content", "content_hash", "id_header"]

_MAX_REMEMBERED = 4096

_Stamp = tuple[tuple[str, int, int, int, int], ...]
_remembered: OrderedDict[tuple[str, str, str, str], _Stamp] = OrderedDict()
_lock = threading.Lock()


class ContentRef(Protocol):
    """What identifies stored content: ``StoredArtifact`` or a metadata record."""

    @property
    def id(self) -> str:
        """The SHA-256 content id."""
        ...

    @property
    def type(self) -> str:
        """The value's type as ``module.QualName``."""
        ...

    @property
    def materializer(self) -> str:
        """The name of the materializer that wrote it."""
        ...

    @property
    def uri(self) -> str:
        """The key in the artifact store."""
        ...


def id_header(materializer: str, kind: str) -> str:
    """Return the text hashed before an artifact's files to make its id."""
    return f"{materializer}\n{kind}\n"


def content_hash(data: Path, artifact: ContentRef) -> str:
    """Return the id that the files under ``data`` give ``artifact``'s header."""
    return hash_tree(data, header=id_header(artifact.materializer, artifact.type))


def check_content(store: ArtifactStore, artifact: ContentRef, data: Path) -> None:
    """Refuse ``data`` (an opened ``data/`` folder) unless it hashes to the id.

    Hashes at most once per process while the files stay the same (same
    sizes, modification and change times, inodes).

    Raises:
        ArtifactIntegrityError: the files do not hash to ``artifact.id``.
    """
    key = (str(data), artifact.id, artifact.materializer, artifact.type)
    stamp = _stamp(data)
    with _lock:
        if _remembered.get(key) == stamp:
            _remembered.move_to_end(key)
            return
    actual = content_hash(data, artifact)
    if actual != artifact.id:
        raise ArtifactIntegrityError(_mismatch_message(store, artifact, actual))
    if _stamp(data) != stamp:
        return  # changed while hashing: check again next time
    with _lock:
        _remembered[key] = stamp
        _remembered.move_to_end(key)
        while len(_remembered) > _MAX_REMEMBERED:
            _remembered.popitem(last=False)


def _stamp(data: Path) -> _Stamp:
    """Size, mtime, ctime and inode of every file under ``data``, sorted."""
    found = []
    for dirpath, _dirs, names in os.walk(data):
        for name in names:
            path = os.path.join(dirpath, name)
            info = os.stat(path)
            found.append(
                (path, info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
            )
    return tuple(sorted(found))


def _mismatch_message(store: ArtifactStore, artifact: ContentRef, actual: str) -> str:
    return (
        f"Artifact {artifact.id[:12]} ({artifact.type}) in the store at "
        f"{store.url} (key {artifact.uri!r}) does not match its id: its files "
        "were changed or damaged after it was written (they hash to "
        f"{actual[:12]}..., not {artifact.id[:12]}...). Rung refuses to load it. "
        "Restore that folder from a backup, or delete it and re-run the step "
        "that produced it (its cache then misses and it writes the artifact "
        "again)."
    )
