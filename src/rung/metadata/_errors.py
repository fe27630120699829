"""Errors of the metadata layer that ``rung.errors`` does not define yet.

Each one subclasses the matching family of ``rung.errors`` (and the builtin
callers may already catch), so ``except MetadataError`` or ``except
LookupError`` keeps working if they later move into ``rung.errors``.
"""

from __future__ import annotations

from rung.errors import MetadataError, RunNotFoundError

__all__ = ["EnvironmentNotFoundError", "InvalidRecordError", "StepRunNotFoundError"]


class StepRunNotFoundError(RunNotFoundError):
    """No step run has the given id."""

    headline = "Unknown step run"


class EnvironmentNotFoundError(MetadataError, LookupError):
    """No installed-packages lock is stored under the given hash."""

    headline = "Unknown environment"


class InvalidRecordError(MetadataError, ValueError):
    """A record, or a change to one, is invalid: unknown field, bad value, clash."""

    headline = "Invalid record"
