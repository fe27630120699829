"""Fixtures for the metadata unit tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests._runs_store import RunsStore

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where a test's SQLite metadata database lives (not created yet)."""
    return tmp_path / "ws" / "metadata.db"


@pytest.fixture
def sql_store(db_path: Path) -> Iterator[RunsStore]:
    """A SQL store on a fresh SQLite file, closed after the test."""
    store = RunsStore(f"sqlite:///{db_path}")
    yield store
    store.close()
