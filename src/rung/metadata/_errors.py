"""Metadata errors, re-exported from ``rung.errors`` where they are defined."""

from __future__ import annotations

from rung.errors import (
    EnvironmentNotFoundError,
    InvalidRecordError,
    StepRunNotFoundError,
)

__all__ = ["EnvironmentNotFoundError", "InvalidRecordError", "StepRunNotFoundError"]
