"""Fresh domain stores for the contract suites: SQLite in memory, SQLite, PostgreSQL.

Every suite runs against one backend (one database) and reaches each domain's
store through it, exactly as a workspace does.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from rung.store import StoreBackend, open_backend
from rung.store._backend import registered
from rung.store.sql import STORE_GROUP

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = [
    "memory",
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.integration),
]


STORE_NAMES = tuple(sorted(registered(STORE_GROUP)))
"""Every domain store wired in pyproject.toml: a new domain is covered unedited."""


class DomainStores:
    """Every domain store of one backend; ``stores.add_monitor(...)`` calls the
    store that defines the method (the suites set up runs, artifacts and
    models beside the records they test)."""

    def __init__(self, backend: StoreBackend) -> None:
        self.backend = backend
        self.url = backend.url

    def __getattr__(self, name: str) -> Any:
        for store_name in STORE_NAMES:
            store = self.backend.open_store(store_name)
            if hasattr(store, name):
                return getattr(store, name)
        raise AttributeError(name)

    def close(self) -> None:
        self.backend.close()


def opened(url: str) -> Iterator[Any]:
    """Open a backend, yield its stores, close it."""
    stores = DomainStores(open_backend(url))
    try:
        yield stores
    finally:
        stores.close()


@contextlib.contextmanager
def backend_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh database of ``backend`` (one of :data:`BACKENDS`)."""
    if backend == "postgresql":
        with pg_schema_url() as url:
            yield url
    elif backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'metadata.db'}"
    else:
        yield "memory://"


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
