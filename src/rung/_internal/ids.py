"""Identifiers."""

from __future__ import annotations

import os
import threading

from rung._internal.process import current_pid

__all__ = ["new_id"]

_BATCH = 256  # ids per read of the system's randomness


class _Randomness:
    """Bytes from the operating system, read a batch at a time, per process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool = b""
        self._offset = 0
        self._pid = 0

    def take16(self) -> bytearray:
        with self._lock:
            if self._offset >= len(self._pool) or self._pid != current_pid():
                self._pool, self._offset = os.urandom(16 * _BATCH), 0
                self._pid = current_pid()  # a forked child reads its own
            chunk = bytearray(self._pool[self._offset : self._offset + 16])
            self._offset += 16
        return chunk


_randomness = _Randomness()


def new_id() -> str:
    """Return a new random 32-character hex id (a UUID4).

    The random bytes are read from the operating system 256 ids at a time:
    a read can cost a context switch (tens to hundreds of microseconds on
    some kernels and sandboxes), and a run takes several ids per step.

    Example:
        >>> len(new_id()), new_id() != new_id()
        (32, True)
    """
    chunk = _randomness.take16()
    chunk[6] = (chunk[6] & 0x0F) | 0x40  # version 4
    chunk[8] = (chunk[8] & 0x3F) | 0x80  # RFC 4122 variant
    return chunk.hex()
