"""This process's id, without a system call per ask.

Objects that must not cross a fork (open connections, buffered randomness)
compare the pid they were made in with the current one on every use; on
some kernels and sandboxes ``os.getpid()`` is a real system call each time.
The answer is kept here and renewed in a forked child.
"""

from __future__ import annotations

import os

__all__ = ["current_pid"]

_pid = os.getpid()


def current_pid() -> int:
    """The id of this process (renewed after a fork).

    Example:
        >>> import os
        >>> current_pid() == os.getpid()
        True
    """
    return _pid


def _renew() -> None:
    global _pid  # noqa: PLW0603 - one value, renewed only in a forked child
    _pid = os.getpid()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_renew)
