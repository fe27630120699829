"""Time helpers: records store POSIX seconds (float, UTC)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

__all__ = ["format_duration", "format_time", "now"]


def now() -> float:
    """Return the current time as POSIX seconds."""
    return time.time()


def format_time(ts: float | None) -> str:
    """Format POSIX seconds as an ISO-8601 UTC string, or "" for None."""
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def format_duration(seconds: float | None) -> str:
    """Format a duration for people: ``850 ms``, ``12.3 s``, ``4m 05s``."""
    if seconds is None:
        return ""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"
