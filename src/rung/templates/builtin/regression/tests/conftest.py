"""Every test runs in the project folder, recording into an in-memory workspace."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import rung

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def workspace(monkeypatch: pytest.MonkeyPatch) -> Iterator[rung.Workspace]:
    """An in-memory Rung workspace, the default while a test runs."""
    monkeypatch.chdir(PROJECT)
    ws = rung.Workspace.from_urls("memory://", "memory://")
    rung.use_workspace(ws)
    try:
        yield ws
    finally:
        rung.use_workspace(None)
        ws.close()
