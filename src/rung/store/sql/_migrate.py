"""Bring a metadata database to the head schema revision, once, under a lock.

Opening an up-to-date database costs one ``SELECT`` and never imports
Alembic. Otherwise one process at a time migrates: a file lock next to a
SQLite file, a transaction-level advisory lock on PostgreSQL. Whoever gets the
lock second sees the head revision and does nothing.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from rung.errors import MigrationError

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["HEAD_REVISION", "MIGRATIONS_DIR", "ensure_schema", "upgrade"]

HEAD_REVISION = "0013"
"""The newest revision in ``migrations/versions`` (a test checks it)."""

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

_LOCK_TIMEOUT_S = 300.0
# Any constant works; it only has to be the same in every Rung process.
_PG_LOCK_KEY = int.from_bytes(b"rungmeta", "big") >> 1
_VERSION_SQL = "SELECT version_num FROM alembic_version"


def ensure_schema(reader: sa.Engine, writer: sa.Engine, lock_path: Path | None) -> None:
    """Migrate the database to :data:`HEAD_REVISION` unless it is there already.

    Args:
        reader: an engine whose connections begin ordinary transactions.
        writer: the same pool, but transactions take the write lock at once.
        lock_path: the file lock to hold while migrating (SQLite file), or None.

    Raises:
        MigrationError: the schema cannot be brought up to date.
        sqlalchemy.exc.DBAPIError: the database cannot be reached.
    """
    with reader.connect() as conn:
        if _read_revision(conn) == HEAD_REVISION:
            return
    with _file_lock(lock_path), writer.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})")
        if _read_revision_safely(conn) != HEAD_REVISION:
            upgrade(conn)


def upgrade(conn: sa.Connection) -> None:
    """Run the Alembic scripts up to head on ``conn`` (inside its transaction).

    Raises:
        MigrationError: Alembic failed, e.g. the database is newer than Rung.
    """
    from alembic import command
    from alembic.config import Config
    from alembic.util import CommandError

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = conn
    try:
        command.upgrade(config, "head")
    except CommandError as exc:
        raise MigrationError(
            f"Cannot bring the metadata schema to revision {HEAD_REVISION}: {exc}. "
            "If another Rung version wrote this database, upgrade Rung."
        ) from exc


def _read_revision(conn: sa.Connection) -> str | None:
    # A missing table (new database) fails the query: that means "no revision".
    try:
        return conn.exec_driver_sql(_VERSION_SQL).scalar()
    except sa.exc.DBAPIError:
        conn.rollback()
        return None


def _read_revision_safely(conn: sa.Connection) -> str | None:
    # Inside the migration transaction a failed query would abort it on
    # PostgreSQL, so look the table up first.
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.exec_driver_sql(_VERSION_SQL).scalar()


@contextlib.contextmanager
def _file_lock(lock_path: Path | None) -> Iterator[None]:
    if lock_path is None:
        yield
        return
    from filelock import FileLock, Timeout

    try:
        with FileLock(str(lock_path), timeout=_LOCK_TIMEOUT_S):
            yield
    except Timeout as exc:
        raise MigrationError(
            f"Waited {_LOCK_TIMEOUT_S:.0f} s for the migration lock {lock_path}. "
            "Another process is migrating the metadata database; if none is, "
            "delete the lock file and retry."
        ) from exc
