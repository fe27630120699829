"""Fixtures shared by every test folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import rung
from rung.workspace import Workspace, WorkspaceOptions

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    """A SQLite + local-folder workspace in a temp folder, pinned as the default."""
    ws = Workspace.from_urls(
        f"sqlite:///{tmp_path / '.rung' / 'metadata.db'}",
        str(tmp_path / ".rung" / "artifacts"),
        project="test-project",
        user="tester",
        options=WorkspaceOptions(
            max_workers=4, flush_interval=0.2, heartbeat_interval=0.5
        ),
    )
    rung.use_workspace(ws)
    try:
        yield ws
    finally:
        rung.use_workspace(None)
        ws.close()


@pytest.fixture
def memory_workspace() -> Iterator[Workspace]:
    """A fully in-memory workspace, pinned as the default."""
    ws = Workspace.from_urls("memory://", "memory://", project="mem", user="tester")
    rung.use_workspace(ws)
    try:
        yield ws
    finally:
        rung.use_workspace(None)
        ws.close()
