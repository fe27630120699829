"""What every command shares: the console, output helpers, opening the workspace."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from rung.client import Client

__all__ = ["console", "err_console", "open_client", "print_json", "short", "state"]


class _LazyConsole:
    """A Rich console built on first use, so ``rung --help`` never imports Rich."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def real(self) -> Console:
        """The Rich console itself (for Rich objects that take a console)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real(), name)


def real_console(lazy: Console) -> Console:
    """The real console behind a lazy one (Progress and Live need it)."""
    return lazy.real() if isinstance(lazy, _LazyConsole) else lazy


console: Console = _LazyConsole(highlight=False)  # type: ignore[assignment]
err_console: Console = _LazyConsole(stderr=True, highlight=False)  # type: ignore[assignment]


class _State:
    verbose = False


state = _State()


@contextmanager
def open_client(
    *,
    create: bool = False,
    overrides: Mapping[str, Any] | None = None,
    root: Path | None = None,
) -> Iterator[Client]:
    """Build settings (rung.toml, RUNG_*, flags), open the workspace, yield a client.

    ``root`` pins the project folder (else the nearest ``.rung/`` upwards).
    """
    from rung._internal import defaults
    from rung._session import workspace_from_settings
    from rung.client import Client
    from rung.settings import load_settings

    settings = load_settings(root or Path.cwd(), overrides, create=create, root=root)
    workspace = workspace_from_settings(settings)
    defaults.use(workspace)
    try:
        yield Client(workspace)
    finally:
        defaults.use(None)
        workspace.close()


def short(identifier: str | None, size: int = 12) -> str:
    """The first characters of an id, as shown in tables."""
    return (identifier or "")[:size]


def to_jsonable(value: Any) -> Any:
    """Records and containers as plain JSON-able data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_jsonable(getattr(value, f.name))
            for f in dataclasses.fields(value)
        }
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


def print_json(value: Any) -> None:
    """Write ``value`` as JSON to stdout (for scripts)."""
    sys.stdout.write(json.dumps(to_jsonable(value), indent=2, default=str) + "\n")


def format_bytes(size: int | None) -> str:
    """``1.2 MB``-style sizes."""
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


STATUS_STYLE = {
    "completed": "green",
    "cached": "cyan",
    "reused": "cyan",
    "running": "yellow",
    "failed": "red",
    "cancelled": "magenta",
    "skipped": "dim",
    "not run": "dim",
}


def styled_status(status: str) -> str:
    """Status text with its colour markup."""
    return f"[{STATUS_STYLE.get(status, 'white')}]{status}[/]"
