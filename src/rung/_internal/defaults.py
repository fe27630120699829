"""Where domain code finds the default workspace without reading settings.

The top-level package registers a factory (as a ``"module:function"`` string,
resolved on first use); ``rung.use_workspace`` can pin one explicitly. Domain
code calls :func:`current_workspace` and never imports ``rung.settings``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from rung._internal.hooks import resolve

__all__ = ["current_workspace", "reset", "set_factory", "use"]

_lock = threading.Lock()
_factory: str | Callable[[], Any] | None = None
_pinned: Any = None


def set_factory(factory: str | Callable[[], Any]) -> None:
    """Register how to build the default workspace (first use only)."""
    global _factory  # noqa: PLW0603 - a process-wide registry by design
    _factory = factory


def use(workspace: Any) -> None:
    """Pin ``workspace`` as the default for this process (None unpins)."""
    global _pinned  # noqa: PLW0603
    with _lock:
        _pinned = workspace


def reset() -> None:
    """Forget the pinned workspace (tests call this between cases)."""
    use(None)


def current_workspace() -> Any:
    """Return the pinned workspace, else build (once) and pin the default one."""
    global _pinned  # noqa: PLW0603
    with _lock:
        if _pinned is not None:
            return _pinned
        factory = _factory
    if factory is None:
        raise RuntimeError("No default workspace factory is registered.")
    if isinstance(factory, str):
        factory = resolve(factory)  # type: ignore[assignment]
    workspace = factory()  # type: ignore[operator]
    with _lock:
        if _pinned is None:
            _pinned = workspace
        return _pinned
