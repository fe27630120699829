"""The SQL backend: engine set-up, SQLite tuning, retries and error translation.

One :class:`Database` serves every domain store of a workspace (they share
its connections, so a transaction can span domains). Every query runs through
:meth:`Database.read` or :meth:`Database.write`, which open the database on
first use (and migrate it), run a function in one transaction, retry it while
SQLite reports a lock,
and turn driver errors into ``rung.errors`` errors with a clear message.
"""

from __future__ import annotations

import contextlib
import random
import re
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event, exc

from rung.errors import (
    ConfigError,
    InvalidRecordError,
    MetadataError,
    StoreUnavailableError,
)
from rung.store._backend import load_entry_point, lookup, registered
from rung.store.sql import _migrate
from rung.store.sql._direct import (
    DirectConnection,
    StatementCache,
    ThreadConnections,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from contextlib import AbstractContextManager

__all__ = ["Database"]

_T = TypeVar("_T")
_ATTEMPTS = 6
_BACKOFF_S = 0.05
_BUSY_TIMEOUT_MS = 30_000
_WRITE_OPTION = "rung_write"
# Serialization failure and deadlock: PostgreSQL rolled back, safe to retry.
_RETRY_SQLSTATES = frozenset({"40001", "40P01"})
_PASSWORD = re.compile(r"(://[^:/@]*:)[^@/]*@")


STORE_GROUP = "rung.sql_stores"
"""Entry-point group: store name (``runs``, ``models``...) -> ``"module:Class"``;
each class is built with the :class:`Database`."""


def load_schema() -> sa.MetaData:
    """Import every registered SQL store and return the whole head schema.

    Each domain declares its tables on :data:`rung.store.sql.schema` when its
    SQL module is imported; migrations' autogenerate and the schema test need
    them all.
    """
    from rung.store.sql._schema import schema

    for name, target in registered(STORE_GROUP).items():
        load_entry_point(target, name)
    return schema


class Database:
    """A lazily opened, migrated, thread-safe SQLAlchemy engine for one URL.

    It is the SQL :class:`~rung.store.StoreBackend`: ``open_store(name)``
    builds the domain store registered under ``name`` in the
    ``rung.sql_stores`` entry-point group, once.

    Args:
        url: a SQLAlchemy URL (``sqlite:///path``, ``postgresql+psycopg://...``),
            or ``memory://`` for a private SQLite database in memory.

    Example:
        >>> db = Database("memory://")
        >>> db.open_store("runs").list_runs()
        []
        >>> db.close()
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._open_lock = threading.Lock()
        self._reader: sa.Engine | None = None
        self._writer: sa.Engine | None = None
        self._statements: StatementCache | None = None
        self._threads: ThreadConnections | None = None
        self._serial: AbstractContextManager[Any] = contextlib.nullcontext()
        self._stores: dict[str, Any] = {}

    def open_store(self, name: str) -> Any:
        """Return the domain store registered as ``name``, built once.

        Raises:
            ConfigError: no store of that name is registered.
        """
        store = self._stores.get(name)
        if store is None:
            target = lookup(STORE_GROUP, name)
            if target is None:
                known = ", ".join(sorted(registered(STORE_GROUP))) or "none"
                raise ConfigError(
                    f"No SQL store named {name!r} is registered (entry-point group "
                    f"{STORE_GROUP!r}; registered: {known}). Reinstall Rung "
                    "(pip install -e .) so that its entry points are current."
                )
            with self._open_lock:
                store = self._stores.get(name)
                if store is None:
                    store = load_entry_point(target, name)(self)
                    self._stores[name] = store
        return store

    @property
    def display_url(self) -> str:
        """The URL with any password masked, for messages."""
        return _PASSWORD.sub(r"\1***@", self.url)

    def read(self, fn: Callable[[sa.Connection], _T]) -> _T:
        """Run ``fn(connection)`` in a read transaction and return its result."""
        return self._run(self._engines()[0].begin, fn, None)

    def write(
        self,
        fn: Callable[[sa.Connection], _T],
        diagnose: Callable[[sa.Connection], None] | None = None,
    ) -> _T:
        """Run ``fn(connection)`` in a write transaction, committed on success.

        Args:
            fn: the work; raising rolls the transaction back.
            diagnose: called in a new transaction when a constraint fails, to
                raise the precise error (unknown run, duplicate id...).
        """
        return self._run(self._engines()[1].begin, fn, diagnose)

    def read_direct(self, fn: Callable[[DirectConnection], _T]) -> _T:
        """:meth:`read` for hot paths: statements run on the driver's connection.

        ``fn`` gets a :class:`~rung.store.sql.DirectConnection`, whose
        statements SQLAlchemy compiles once and the driver then runs without
        SQLAlchemy's per-statement work (see ``rung.store.sql._direct``).
        """
        engine = self._engines()[0]  # opened first: it may set self._serial
        return self._run(lambda: self._direct(engine, write=False), fn, None)

    def write_direct(
        self,
        fn: Callable[[DirectConnection], _T],
        diagnose: Callable[[sa.Connection], None] | None = None,
    ) -> _T:
        """:meth:`write` for hot paths (see :meth:`read_direct`); ``diagnose``
        still gets a SQLAlchemy connection."""
        engine = self._engines()[0]
        return self._run(lambda: self._direct(engine, write=True), fn, diagnose)

    def close(self) -> None:
        """Dispose of the pool; the next call opens the database again."""
        with self._open_lock:
            if self._threads is not None:
                self._threads.close()
            if self._reader is not None:
                self._reader.dispose()
            self._reader = self._writer = None
            self._statements = None
            self._threads = None

    def _run(
        self,
        begin: Callable[[], AbstractContextManager[Any]],
        fn: Callable[[Any], _T],
        diagnose: Callable[[sa.Connection], None] | None,
    ) -> _T:
        for attempt in range(_ATTEMPTS):
            try:
                with self._serial, begin() as conn:
                    return fn(conn)
            except exc.IntegrityError as error:
                if diagnose is not None:
                    self.read(diagnose)
                raise self._translate(error) from error
            except exc.DBAPIError as error:
                if attempt + 1 == _ATTEMPTS or not _is_transient(error):
                    raise self._translate(error) from error
            time.sleep(_BACKOFF_S * 2**attempt * (1 + random.random()))  # noqa: S311
        raise AssertionError("unreachable")  # pragma: no cover

    @contextlib.contextmanager
    def _direct(self, engine: sa.Engine, *, write: bool) -> Iterator[DirectConnection]:
        """One transaction on a DB-API connection (SQLite files: this thread's
        own; otherwise one from the pool); driver errors come out as
        SQLAlchemy's (``_run`` retries and translates those)."""
        threads = self._threads
        if threads is not None:
            with threads.connection() as kept:
                yield from self._transaction(engine, kept.dbapi, kept.retire, write)
            return
        pooled = engine.raw_connection()
        try:
            yield from self._transaction(
                engine, pooled.driver_connection, pooled.invalidate, write
            )
        finally:
            pooled.close()

    def _transaction(
        self,
        engine: sa.Engine,
        dbapi_conn: Any,
        lost: Callable[[BaseException], None],
        write: bool,
    ) -> Iterator[DirectConnection]:
        statements = self._statements
        if statements is None:
            statements = self._statements = StatementCache(engine.dialect)
        dialect = engine.dialect
        base_error = dialect.loaded_dbapi.Error
        try:
            if dialect.name == "sqlite":
                # As _on_sqlite_begin: writers take the write lock up front.
                dbapi_conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield DirectConnection(dbapi_conn, statements)
                dbapi_conn.commit()
            except BaseException as failure:
                # Never leave a transaction open on a connection kept for
                # the next one; one that cannot roll back is not kept.
                try:
                    dbapi_conn.rollback()
                except Exception:
                    lost(failure)
                raise
        except base_error as error:
            is_lost = dialect.is_disconnect(error, dbapi_conn, None)
            if is_lost:
                lost(error)
            raise exc.DBAPIError.instance(
                None,
                None,
                error,
                base_error,
                connection_invalidated=is_lost,
                dialect=dialect,
            ) from error

    def _engines(self) -> tuple[sa.Engine, sa.Engine]:
        reader, writer = self._reader, self._writer
        if reader is None or writer is None:
            with self._open_lock:
                if self._reader is None or self._writer is None:
                    self._reader, self._writer = self._open()
                reader, writer = self._reader, self._writer
        return reader, writer

    def _open(self) -> tuple[sa.Engine, sa.Engine]:
        url = self._parse()
        engine, lock_path = self._create_engine(url)
        writer = engine.execution_options(**{_WRITE_OPTION: True})
        try:
            _migrate.ensure_schema(engine, writer, lock_path)
        except exc.DBAPIError as error:
            engine.dispose()
            raise self._unavailable(error, url.get_backend_name()) from error
        except BaseException:
            engine.dispose()
            raise
        return engine, writer

    def _parse(self) -> sa.URL:
        if self.url.lower().startswith("memory://"):
            return sa.make_url("sqlite://")
        try:
            url = sa.make_url(self.url)
        except exc.ArgumentError as error:
            raise StoreUnavailableError(
                f"Cannot open metadata database {self.display_url!r}: it is not a "
                "database URL. Use e.g. 'sqlite:///.rung/metadata.db' or "
                "'postgresql+psycopg://user@host:5432/dbname'."
            ) from error
        # Rung depends on psycopg 3; SQLAlchemy's default would be psycopg2.
        if url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        return url

    def _create_engine(self, url: sa.URL) -> tuple[sa.Engine, Path | None]:
        try:
            if url.get_backend_name() == "sqlite":
                return self._create_sqlite_engine(url)
            return sa.create_engine(url, pool_pre_ping=True), None
        except (exc.NoSuchModuleError, ImportError) as error:
            raise StoreUnavailableError(
                f"Cannot open metadata database {self.display_url!r}: no driver "
                f"({error}). For PostgreSQL install it with: "
                "pip install 'rung[postgres]'."
            ) from error

    def _create_sqlite_engine(self, url: sa.URL) -> tuple[sa.Engine, Path | None]:
        database = url.database or ""
        if database in ("", ":memory:") or url.query.get("mode") == "memory":
            # One shared connection, so all threads see the same database;
            # the serial lock stops them from using it at the same time.
            self._serial = threading.RLock()
            engine = sa.create_engine(
                url,
                poolclass=sa.StaticPool,
                connect_args={"check_same_thread": False},
            )
            _tune_sqlite(engine)
            return engine, None
        path = Path(database)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreUnavailableError(
                f"Cannot open metadata database {self.display_url!r}: cannot create "
                f"folder {str(path.parent)!r} ({error.strerror}). Check the path and "
                "its permissions."
            ) from error
        engine = sa.create_engine(url, connect_args={"check_same_thread": False})
        _tune_sqlite(engine)
        self._threads = ThreadConnections(engine)
        return engine, path.with_name(path.name + ".lock")

    def _unavailable(
        self, error: exc.DBAPIError, backend: str
    ) -> StoreUnavailableError:
        fix = (
            "Check that the folder exists and is writable."
            if backend == "sqlite"
            else "Check that the server runs and the URL is right."
        )
        return StoreUnavailableError(
            f"Cannot open metadata database {self.display_url!r}: "
            f"{_reason(error)}. {fix}"
        )

    def _translate(self, error: exc.DBAPIError) -> MetadataError:
        reason = _reason(error)
        if isinstance(error, exc.IntegrityError):
            return InvalidRecordError(
                f"The metadata database refused a change: {reason}."
            )
        if _is_transient(error):
            return StoreUnavailableError(
                f"The metadata database {self.display_url!r} stayed busy ({reason}) "
                f"through {_ATTEMPTS} attempts. Another process holds a long write "
                "transaction; retry later."
            )
        if isinstance(error, exc.OperationalError) or error.connection_invalidated:
            return StoreUnavailableError(
                f"Lost the metadata database {self.display_url!r}: {reason}. "
                "Check that the server runs and the disk is not full."
            )
        return MetadataError(
            f"The metadata database {self.display_url!r} failed: {reason}."
        )


def _tune_sqlite(engine: sa.Engine) -> None:
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)


def _on_sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    # Take transaction control away from pysqlite: _on_sqlite_begin emits BEGIN.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # 64 MiB of page cache (default 2 MiB): batched metric inserts keep the
        # metrics indexes in memory instead of re-reading pages.
        cursor.execute("PRAGMA cache_size=-65536")
    finally:
        cursor.close()


def _on_sqlite_begin(conn: sa.Connection) -> None:
    # A writer takes the write lock up front: a deferred transaction that
    # upgrades from read to write can fail at once with "database is locked"
    # (busy_timeout does not apply), which is what makes writers collide.
    if conn.get_execution_options().get(_WRITE_OPTION):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def _is_transient(error: exc.DBAPIError) -> bool:
    text = str(error.orig).lower()
    if "database is locked" in text or "database table is locked" in text:
        return True
    return getattr(error.orig, "sqlstate", None) in _RETRY_SQLSTATES


def _reason(error: exc.DBAPIError) -> str:
    lines = str(error.orig).strip().splitlines()
    return lines[0].rstrip(".") if lines else type(error.orig).__name__
