"""Content hashing (SHA-256) for artifacts, sources and cache keys."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["hash_bytes", "hash_files", "hash_json", "hash_text", "hash_tree"]

_CHUNK = 1 << 20


def hash_bytes(data: bytes) -> str:
    """Return the SHA-256 hex digest of ``data``."""
    return hashlib.sha256(data).hexdigest()


def hash_text(text: str) -> str:
    """Return the SHA-256 hex digest of ``text`` encoded as UTF-8."""
    return hash_bytes(text.encode("utf-8"))


def hash_json(value: Any) -> str:
    """Return the SHA-256 of a canonical JSON encoding of ``value``.

    Keys are sorted and separators fixed, so equal values hash equally.
    Values JSON cannot encode are encoded with ``repr``.
    """
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=repr)
    return hash_text(text)


def hash_tree(root: Path, header: str = "") -> str:
    """Hash a file or a folder tree: relative paths and contents, in sorted order.

    Args:
        root: a file or a directory.
        header: text mixed into the digest first (e.g. the type of the value).

    Returns:
        The SHA-256 hex digest.
    """
    digest = hashlib.sha256(header.encode("utf-8"))
    files = [root] if root.is_file() else sorted(_walk_files(root))
    for path in files:
        rel = "" if path == root else path.relative_to(root).as_posix()
        digest.update(b"\0path\0" + rel.encode("utf-8") + b"\0")
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


def hash_files(files: Mapping[str, bytes], header: str = "") -> str:
    """The digest :func:`hash_tree` gives a folder holding exactly ``files``.

    Args:
        files: path relative to the folder (``/``-separated) -> content.
        header: as for :func:`hash_tree`.

    Lets a value already encoded in memory be addressed without writing it.
    """
    digest = hashlib.sha256(header.encode("utf-8"))
    # hash_tree sorts Paths, which compare part by part.
    for rel in sorted(files, key=lambda name: name.split("/")):
        digest.update(b"\0path\0" + rel.encode("utf-8") + b"\0")
        digest.update(files[rel])
    return digest.hexdigest()


def _walk_files(root: Path) -> list[Path]:
    found: list[Path] = []
    for dirpath, _dirs, names in os.walk(root):
        found.extend(Path(dirpath) / name for name in names)
    return found
