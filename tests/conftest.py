"""Fixtures shared by every test folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import rung
from rung.workspace import Workspace, WorkspaceOptions, artifact_read_checks

# The artifact read hooks pyproject.toml wires (an install that predates them
# lacks the entry points; adding them again has no effect).
ARTIFACT_READ_HOOKS = (
    "rung.governance:check_artifact_read",
    "rung.catalog._read:record_snapshot_read",
)


@pytest.fixture(autouse=True)
def _artifact_read_hooks() -> Iterator[None]:
    """Every artifact read passes the wired hooks, as in an installed Rung."""
    saved = artifact_read_checks.entries()
    for hook in ARTIFACT_READ_HOOKS:
        artifact_read_checks.add(hook)
    yield
    artifact_read_checks.replace(saved)


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
