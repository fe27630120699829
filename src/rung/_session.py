"""The default workspace of this process, built from settings on first use."""

from __future__ import annotations

import atexit
from pathlib import Path
from typing import TYPE_CHECKING

from rung.settings import Settings, load_settings

if TYPE_CHECKING:
    from rung.workspace import Workspace

__all__ = ["default_workspace", "open_workspace", "workspace_from_settings"]


def workspace_from_settings(settings: Settings) -> Workspace:
    """Build a workspace from resolved settings (creates ``.rung/`` if local)."""
    from rung.workspace import Workspace, WorkspaceOptions

    if (
        settings.metadata_url.startswith("sqlite:///")
        or "://" not in settings.artifact_url
    ):
        settings.workspace_dir.mkdir(parents=True, exist_ok=True)
        _write_gitignore(settings.workspace_dir)
    options = WorkspaceOptions(
        orchestrator=settings.orchestrator,
        max_workers=settings.max_workers,
        flush_interval=settings.flush_interval,
        heartbeat_interval=settings.heartbeat_interval,
        stale_after=settings.stale_after,
        # A relative OpenLineage file path is relative to the project folder.
        openlineage_url=(
            str(settings.root / settings.openlineage_url)
            if settings.openlineage_url and "://" not in settings.openlineage_url
            else settings.openlineage_url
        ),
        region=settings.region,
    )
    return Workspace.from_urls(
        settings.metadata_url,
        settings.artifact_url,
        project=settings.project,
        user=settings.user,
        options=options,
    )


def open_workspace(path: str | Path | None = None, *, create: bool = True) -> Workspace:
    """Open the workspace of the project at or above ``path`` (default: cwd).

    Args:
        path: a folder inside the project.
        create: start a new ``.rung/`` in ``path`` when none is found.

    Returns:
        The workspace; close it when done (or use it as a context manager).

    Example:
        >>> import rung
        >>> with rung.open_workspace("/tmp/project") as ws:  # doctest: +SKIP
        ...     print(ws.project)
    """
    start = Path(path) if path is not None else None
    return workspace_from_settings(load_settings(start, create=create))


def default_workspace() -> Workspace:
    """Build this process's default workspace; closed at interpreter exit."""
    workspace = open_workspace(create=True)
    atexit.register(workspace.close)
    return workspace


def _write_gitignore(folder: Path) -> None:
    marker = folder / ".gitignore"
    if not marker.exists():
        marker.write_text("# Rung workspace: runs, metrics and artifacts.\n*\n")
