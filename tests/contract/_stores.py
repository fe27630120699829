"""Fresh metadata stores for the contract suites: memory, SQLite, PostgreSQL."""

from __future__ import annotations

import contextlib
import uuid
from typing import TYPE_CHECKING

import pytest

from rung.metadata import MetadataStore, open_metadata_store

if TYPE_CHECKING:
    from collections.abc import Iterator

PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = [
    "memory",
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.integration),
]


def opened(url: str) -> Iterator[MetadataStore]:
    """Open a store, yield it, close it."""
    store = open_metadata_store(url)
    try:
        yield store
    finally:
        store.close()


@contextlib.contextmanager
def pg_schema_url() -> Iterator[str]:
    """Create a PostgreSQL schema, yield a URL that uses it, then drop it."""
    import psycopg

    schema = f"rung_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=3) as db:
        db.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as db:
            db.execute(f'DROP SCHEMA "{schema}" CASCADE')
