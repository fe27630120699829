"""Extension points: hooks from an entry-point group, plus ones added at run time.

Domains declare an extension point as a :class:`HookList` named after an
entry-point group (``rung.plan_checks``, ``rung.read_checks``, ...). Which
functions plug into it is wired in one place, ``pyproject.toml`` (the
composition root), or by a plugin package's own entry points; nothing is
imported until the hooks are first used. Tests and users may also add hooks
at run time, as callables or ``"module:attr"`` strings.
"""

from __future__ import annotations

import functools
import importlib
import threading
from importlib.metadata import entry_points
from typing import Generic, TypeVar

__all__ = ["HookList", "group_entries", "resolve"]

T = TypeVar("T")


def resolve(reference: str) -> object:
    """Import ``"package.module:attribute"`` and return the attribute."""
    module, _, attr = reference.partition(":")
    return getattr(importlib.import_module(module), attr)


@functools.cache
def group_entries(group: str) -> tuple[str, ...]:
    """The ``"module:attr"`` values of an entry-point group, in declared order."""
    return tuple(ep.value for ep in entry_points(group=group))


class HookList(Generic[T]):
    """Registered hooks, in order (the group's first), without duplicates.

    Args:
        group: the entry-point group whose hooks are always included (None:
            only hooks added at run time).

    Example:
        >>> checks: HookList[object] = HookList()
        >>> checks.add("json:dumps")
        >>> checks.add("json:dumps")
        >>> [hook.__name__ for hook in checks.resolved()]
        ['dumps']
    """

    def __init__(self, group: str | None = None) -> None:
        self.group = group
        self._entries: list[T | str] = []
        self._disabled: set[T | str] = set()
        self._lock = threading.Lock()

    def add(self, hook: T | str) -> None:
        """Register ``hook`` (registering it again has no effect)."""
        with self._lock:
            self._disabled.discard(hook)
            if hook not in self._entries:
                self._entries.append(hook)

    def remove(self, hook: T | str) -> None:
        """Unregister ``hook``; a hook of the entry-point group is disabled."""
        with self._lock:
            if hook in self._entries:
                self._entries.remove(hook)
            if self.group is not None and hook in group_entries(self.group):
                self._disabled.add(hook)

    def replace(self, entries: list[T | str]) -> None:
        """Set the run-time entries (tests restore a saved list with it)."""
        with self._lock:
            self._entries = list(entries)
            self._disabled.clear()

    def __contains__(self, hook: object) -> bool:
        return hook in self.entries()

    def entries(self) -> list[T | str]:
        """The hooks as given: the group's, then the added ones (not imported)."""
        wired: tuple[str, ...] = ()
        if self.group is not None:
            wired = group_entries(self.group)
        with self._lock:
            found: list[T | str] = [e for e in wired if e not in self._disabled]
            found += [e for e in self._entries if e not in found]
            return found

    def resolved(self) -> list[T]:
        """The hooks, strings imported."""
        return [
            resolve(entry) if isinstance(entry, str) else entry  # type: ignore[misc]
            for entry in self.entries()
        ]
