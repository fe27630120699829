"""``rung init``: create a workspace in a folder."""

from __future__ import annotations

from pathlib import Path

import typer

from rung.cli._common import console

__all__ = ["init"]


def init(
    path: Path = typer.Argument(Path("."), help="Project folder (default: here)."),
) -> None:
    """Create a Rung workspace (.rung/: SQLite metadata + artifact folder)."""
    from rung._session import workspace_from_settings
    from rung.errors import WorkspaceError
    from rung.settings import WORKSPACE_DIRNAME, load_settings

    folder = path.resolve()
    if not folder.is_dir():
        raise WorkspaceError(
            f"{folder} is not a folder. Create it first, or pick another."
        )
    existed = (folder / WORKSPACE_DIRNAME).is_dir()
    settings = load_settings(folder, create=True, root=folder)
    with workspace_from_settings(settings) as workspace:
        workspace.runs.list_runs(limit=1)  # connects and migrates the schema
    verb = "Using existing" if existed else "Created"
    console.print(f"{verb} workspace [bold]{settings.workspace_dir}[/]")
    console.print(f"  metadata:  {settings.metadata_url}")
    console.print(f"  artifacts: {settings.artifact_url}")
    console.print(f"  project:   {settings.project}")
