"""Artifact key validation shared by every store.

A key is a ``/``-separated path of simple names (``objects/ab/abcdef...``). The
rules are an allowlist, so no key can climb out of a store's root, name a
drive, or collide with the files a store keeps for itself (``tmp/``, markers).
"""

from __future__ import annotations

import re

from rung.errors import ArtifactError

__all__ = [
    "COMPLETE_MARKER",
    "RESERVED_ROOT",
    "ancestors",
    "check_key",
    "check_relative_path",
]

COMPLETE_MARKER = "_rung_complete"
"""File a store writes last inside a key's folder: its presence means complete."""

RESERVED_ROOT = "tmp"
"""First key part a store keeps for its own temp folders."""

_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_HINT = (
    "Keys are '/'-separated names made of letters, digits, '.', '_' and '-' "
    "that start with a letter or digit, e.g. 'objects/ab/ab12...'."
)


def check_key(key: str) -> tuple[str, ...]:
    """Validate ``key`` and return its parts.

    Args:
        key: the key to check.

    Returns:
        The key split on ``/``.

    Raises:
        ArtifactError: the key is empty, absolute, contains ``..``, a
            backslash, an empty part or other characters, or starts with the
            reserved ``tmp/`` folder.

    Example:
        >>> check_key("objects/ab/ab12")
        ('objects', 'ab', 'ab12')
    """
    reason = _key_problem(key)
    if reason:
        raise ArtifactError(f"Invalid artifact key {key!r}: {reason}. {_HINT}")
    return tuple(key.split("/"))


def ancestors(key: str) -> list[str]:
    """Return the keys of the folders above ``key``, shortest first."""
    parts = key.split("/")
    return ["/".join(parts[:end]) for end in range(1, len(parts))]


def check_relative_path(path: str, folder: str) -> str:
    """Return ``path`` relative to ``folder``, refusing anything that climbs out.

    Used on file names listed by a remote store before writing them locally.

    Raises:
        ArtifactError: ``path`` is not below ``folder`` or has ``..``/empty parts.
    """
    rel = path[len(folder) + 1 :] if path.startswith(folder + "/") else ""
    parts = rel.split("/")
    if not rel or "\\" in rel or any(p in ("", ".", "..") for p in parts):
        raise ArtifactError(
            f"Refusing to download {path!r}: it is not a plain file path below "
            f"{folder!r}. The store may have been tampered with."
        )
    return rel


def _key_problem(key: object) -> str:
    if not isinstance(key, str) or not key:
        return "it is empty or not a string"
    if "\\" in key:
        return "it contains a backslash"
    if key.startswith("/"):
        return "it is absolute (starts with '/')"
    parts = key.split("/")
    if ".." in parts:
        return "it contains '..'"
    if "" in parts:
        return "it has an empty part ('//' or a trailing '/')"
    if parts[0] == RESERVED_ROOT:
        return f"'{RESERVED_ROOT}/' is reserved for the store's temp folders"
    bad = [part for part in parts if not _PART.fullmatch(part)]
    if bad:
        return f"part {bad[0]!r} has characters outside the allowed set"
    return ""
