"""Fixtures for the catalog tests: small data files in every format."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from rung.catalog import _lineage, _read


def claims_frame(rows: int = 3) -> pd.DataFrame:
    """A tiny claims table: id, email (one null), amount, status."""
    return pd.DataFrame(
        {
            "id": list(range(1, rows + 1)),
            "email": [f"u{i}@x.org" if i != 2 else None for i in range(1, rows + 1)],
            "amount": [10.0 * i for i in range(1, rows + 1)],
            "status": ["open" if i % 2 else "closed" for i in range(1, rows + 1)],
        }
    )


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    """``claims.csv`` with three rows."""
    path = tmp_path / "data" / "claims.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    claims_frame().to_csv(path, index=False)
    return path


@pytest.fixture
def parquet_file(tmp_path: Path) -> Path:
    """``claims.parquet`` with three rows."""
    path = tmp_path / "data" / "claims.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    claims_frame().to_parquet(path, index=False)
    return path


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Path]:
    """``claims.db`` with a ``claims`` table of three rows."""
    path = tmp_path / "data" / "claims.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    try:
        claims_frame().to_sql("claims", conn, index=False)
        conn.commit()
    finally:
        conn.close()
    yield path


@pytest.fixture(autouse=True)
def _restore_extension_points() -> Iterator[None]:
    """Read checks and lineage sources a test adds do not leak into others."""
    checks, sources = _read._checks.entries(), _lineage._sources.entries()
    yield
    _read._checks.replace(checks)
    _lineage._sources.replace(sources)
