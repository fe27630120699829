"""Identifiers."""

from __future__ import annotations

import uuid

__all__ = ["new_id"]


def new_id() -> str:
    """Return a new random 32-character hex id (a UUID4)."""
    return uuid.uuid4().hex
