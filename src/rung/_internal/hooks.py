"""A thread-safe list of callables, each given directly or as ``"module:attr"``.

Domains register extension points with it (plan checks, read checks, run
listeners): a string entry is imported only when the hooks are first used, so
registering one costs nothing at import time.
"""

from __future__ import annotations

import importlib
import threading
from typing import Generic, TypeVar

__all__ = ["HookList", "resolve"]

T = TypeVar("T")


def resolve(reference: str) -> object:
    """Import ``"package.module:attribute"`` and return the attribute."""
    module, _, attr = reference.partition(":")
    return getattr(importlib.import_module(module), attr)


class HookList(Generic[T]):
    """Registered hooks, in registration order, without duplicates.

    Example:
        >>> checks: HookList[object] = HookList()
        >>> checks.add("json:dumps")
        >>> checks.add("json:dumps")
        >>> [hook.__name__ for hook in checks.resolved()]
        ['dumps']
    """

    def __init__(self) -> None:
        self._entries: list[T | str] = []
        self._lock = threading.Lock()

    def add(self, hook: T | str) -> None:
        """Register ``hook`` (registering it again has no effect)."""
        with self._lock:
            if hook not in self._entries:
                self._entries.append(hook)

    def remove(self, hook: T | str) -> None:
        """Unregister ``hook`` (an unknown hook is ignored)."""
        with self._lock:
            if hook in self._entries:
                self._entries.remove(hook)

    def replace(self, entries: list[T | str]) -> None:
        """Set the entries (tests restore a saved list with it)."""
        with self._lock:
            self._entries = list(entries)

    def __contains__(self, hook: object) -> bool:
        with self._lock:
            return hook in self._entries

    def entries(self) -> list[T | str]:
        """The registered entries as given (strings not imported)."""
        with self._lock:
            return list(self._entries)

    def resolved(self) -> list[T]:
        """The registered hooks, strings imported."""
        return [
            resolve(entry) if isinstance(entry, str) else entry  # type: ignore[misc]
            for entry in self.entries()
        ]
