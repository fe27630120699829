"""Hot statements on the driver's own connection, compiled by SQLAlchemy once.

SQLAlchemy Core costs about 70 us of Python per transaction and 25-40 us per
statement on top of the driver (connection checkout, events, compiled-cache
lookup, parameter processing, result set-up); SQLite itself answers a
transaction of one indexed query in 2-10 us. Paths that run for every step of
every pipeline (step starts and ends, cache lookups, run records) therefore
run their statements here: each statement is still a Core construct, compiled
by SQLAlchemy for the database's dialect the first time it is used (the SQL
text and the order of its parameters are kept), and then executed on the
DB-API cursor directly. Bind and result processors of the columns' types
apply as in SQLAlchemy, so a value reads back the same through either path.

Only statements with a fixed shape qualify: an ``IN`` list whose length
varies (an "expanding" parameter) is refused; use :meth:`Database.read` for
those.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from rung._internal.process import current_pid

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    import sqlalchemy as sa

__all__ = [
    "DirectConnection",
    "DirectResult",
    "SqlConnection",
    "StatementCache",
    "ThreadConnections",
]

_MAX_STATEMENTS = 1024


class SqlConnection(Protocol):
    """What domain SQL shared by both paths may use of a connection.

    Both a SQLAlchemy ``Connection`` and a :class:`DirectConnection` fit:
    ``execute(statement, parameters)`` (a list of mappings runs the statement
    once per mapping), then ``first()``, ``one()``, ``all()``, ``scalar()``,
    ``scalars()``, ``mappings()``, ``rowcount`` or iteration on the result.
    """

    @property
    def dialect(self) -> sa.Dialect:
        """The database's SQLAlchemy dialect."""
        ...

    def execute(self, statement: Any, parameters: Any = None, /) -> Any:
        """Run one statement."""
        ...


@dataclass(slots=True)
class _Compiled:
    """One statement compiled for one dialect and one set of column keys."""

    sql: str
    #: Bind names in the order the SQL takes them (positional paramstyles),
    #: or None for named paramstyles (the parameters go as a mapping).
    positions: tuple[str, ...] | None
    #: Values of parameters fixed in the statement (``col == "x"``).
    fixed: Mapping[str, Any]
    binds: Mapping[str, Callable[[Any], Any]]
    #: Every bind name.
    names: tuple[str, ...]
    #: The selected columns' types, for result processors.
    types: tuple[Any, ...]
    #: Result processors per column (None: none needed), set at the first
    #: execution: some depend on the type the driver reports.
    results: tuple[Callable[[Any], Any] | None, ...] | None = None
    results_known: bool = False

    def result_processors(
        self, dialect: sa.Dialect, description: Sequence[Any]
    ) -> tuple[Callable[[Any], Any] | None, ...] | None:
        if not self.results_known:
            processors = tuple(
                column_type.dialect_impl(dialect).result_processor(dialect, entry[1])
                for column_type, entry in zip(self.types, description, strict=False)
            )
            if any(p is not None for p in processors):
                self.results = processors
            self.results_known = True
        return self.results

    def parameters(self, given: Mapping[str, Any]) -> Any:
        values = {**self.fixed, **given} if self.fixed else given
        if self.binds:
            values = dict(values)
            for name, process in self.binds.items():
                if name in values:
                    values[name] = process(values[name])
        try:
            if self.positions is None:
                for name in self.names:
                    values[name]  # a missing one raises KeyError
                return values
            return tuple([values[name] for name in self.positions])
        except KeyError as missing:
            raise TypeError(
                f"Statement {self.sql!r} needs parameter {missing.args[0]!r}."
            ) from None


class StatementCache:
    """Core statements compiled for one dialect, keyed by statement and keys.

    Statements are expected to be module-level constants: the cache holds
    a reference to each one it compiled (so an id is never reused).
    """

    def __init__(self, dialect: sa.Dialect) -> None:
        self.dialect = dialect
        self._compiled: dict[tuple[int, tuple[str, ...] | None], _Compiled] = {}
        self._keep: dict[int, Any] = {}
        self._lock = threading.Lock()

    def get(self, stmt: Any, keys: tuple[str, ...] | None) -> _Compiled:
        """Return ``stmt`` compiled (for insert/update: for these column keys)."""
        found = self._compiled.get((id(stmt), keys))
        if found is None:
            found = self._compile(stmt, keys)
            with self._lock:
                if len(self._compiled) >= _MAX_STATEMENTS:
                    # Statements built per call (a mistake: they belong at
                    # module level) would otherwise grow the cache forever.
                    self._compiled.clear()
                    self._keep.clear()
                self._keep[id(stmt)] = stmt
                self._compiled[(id(stmt), keys)] = found
        return found

    def _compile(self, stmt: Any, keys: tuple[str, ...] | None) -> _Compiled:
        dialect = self.dialect
        compiled = stmt.compile(
            dialect=dialect, column_keys=list(keys) if keys is not None else None
        )
        binds = {}
        fixed = {}
        for name, bind in compiled.binds.items():
            if bind.expanding:
                raise TypeError(
                    "An IN list of varying length cannot run on the direct path; "
                    "run the statement through Database.read or Database.write."
                )
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                binds[name] = process
            if bind.value is not None or bind.callable is not None:
                fixed[name] = bind.effective_value
        if "__[POSTCOMPILE_" in compiled.string:
            raise TypeError(
                f"Statement {compiled.string!r} renders values at run time; run it "
                "through Database.read or Database.write."
            )
        positions = compiled.positiontup
        types: tuple[Any, ...] = ()
        if getattr(stmt, "is_select", False):
            types = tuple(column.type for column in stmt.selected_columns)
        return _Compiled(
            compiled.string,
            tuple(positions) if positions is not None else None,
            fixed,
            binds,
            tuple(compiled.binds),
            types,
        )


class _Rows(list[Any]):
    """Fetched rows, with the accessors of SQLAlchemy's results."""

    def first(self) -> Any:
        """The first row, or None."""
        return self[0] if self else None

    def one(self) -> Any:
        """The only row; raise if there is not exactly one."""
        if len(self) != 1:
            raise LookupError(f"Expected one row, got {len(self)}.")
        return self[0]

    def all(self) -> list[Any]:
        """Every row."""
        return list(self)


class DirectResult:
    """The rows and row count of one statement run on the direct path."""

    __slots__ = ("columns", "rowcount", "rows")

    def __init__(
        self, rows: list[tuple[Any, ...]], columns: tuple[str, ...], rowcount: int
    ) -> None:
        self.rows = _Rows(rows)
        self.columns = columns
        self.rowcount = rowcount

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.rows)

    def first(self) -> tuple[Any, ...] | None:
        """The first row, or None."""
        return self.rows.first()  # type: ignore[no-any-return]

    def one(self) -> tuple[Any, ...]:
        """The only row; raise if there is not exactly one."""
        return self.rows.one()  # type: ignore[no-any-return]

    def all(self) -> list[tuple[Any, ...]]:
        """Every row."""
        return list(self.rows)

    def scalar(self) -> Any:
        """The first column of the first row, or None."""
        return self.rows[0][0] if self.rows else None

    def scalars(self) -> _Rows:
        """The first column of every row."""
        return _Rows([row[0] for row in self.rows])

    def mappings(self) -> _Rows:
        """Every row as a column name -> value dict."""
        columns = self.columns
        return _Rows([dict(zip(columns, row, strict=True)) for row in self.rows])


class DirectConnection:
    """A transaction's DB-API connection, running cached compiled statements.

    Built by :meth:`~rung.store.sql.Database.read_direct` and
    :meth:`~rung.store.sql.Database.write_direct`, which begin and end the
    transaction; domain SQL only executes statements on it.
    """

    def __init__(self, dbapi_connection: Any, statements: StatementCache) -> None:
        self._conn = dbapi_connection
        self._statements = statements
        self.dialect = statements.dialect

    def execute(
        self,
        stmt: Any,
        parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        /,
    ) -> DirectResult:
        """Run one statement with one set of parameters and return its rows;
        with a list of mappings, run it once per mapping (``executemany``)."""
        if parameters is not None and not isinstance(parameters, Mapping):
            count = self.executemany(stmt, parameters)
            return DirectResult([], (), count)
        given = parameters or {}
        keys = tuple(given) if _takes_keys(stmt) else None
        compiled = self._statements.get(stmt, keys)
        cursor = self._conn.cursor()
        try:
            cursor.execute(compiled.sql, compiled.parameters(given))
            rows: list[tuple[Any, ...]] = []
            columns: tuple[str, ...] = ()
            if cursor.description is not None:
                columns = tuple(d[0] for d in cursor.description)
                rows = cursor.fetchall()
                processors = compiled.result_processors(
                    self.dialect, cursor.description
                )
                if processors is not None:
                    rows = _processed(rows, processors)
            return DirectResult(rows, columns, cursor.rowcount)
        finally:
            cursor.close()

    def executemany(self, stmt: Any, rows: Sequence[Mapping[str, Any]]) -> int:
        """Run one statement once per row (all rows with the same keys)."""
        if not rows:
            return 0
        keys = tuple(rows[0]) if _takes_keys(stmt) else None
        compiled = self._statements.get(stmt, keys)
        cursor = self._conn.cursor()
        try:
            cursor.executemany(compiled.sql, [compiled.parameters(r) for r in rows])
            return int(cursor.rowcount)
        finally:
            cursor.close()


def _takes_keys(stmt: Any) -> bool:
    # Inserts of values and updates compile for the columns given; selects
    # and INSERT ... SELECT do not.
    if getattr(stmt, "is_insert", False):
        return getattr(stmt, "select", None) is None
    return bool(getattr(stmt, "is_update", False))


def _processed(
    rows: list[tuple[Any, ...]],
    processors: tuple[Callable[[Any], Any] | None, ...],
) -> list[tuple[Any, ...]]:
    pairs = list(enumerate(processors))
    out = []
    for row in rows:
        values = list(row)
        for index, process in pairs:
            if process is not None and index < len(values):
                values[index] = process(values[index])
        out.append(tuple(values))
    return out


class ThreadConnections:
    """SQLite files: each thread keeps one DB-API connection for the direct path.

    Checking a connection out of SQLAlchemy's pool and in again (with its
    reset) costs more than a small SQLite transaction. Each thread's
    connection comes from the pool once (so the engine's connect-time set-up
    applies) and is then detached from it: it never counts against the
    pool's size. It is closed when its thread ends, when it fails, or by
    :meth:`close` (a connection in use then closes when its transaction
    ends). A forked child opens its own.
    """

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: weakref.WeakSet[_Kept] = weakref.WeakSet()

    @contextlib.contextmanager
    def connection(self) -> Iterator[_Kept]:
        """This thread's connection, marked busy while the block runs."""
        kept: _Kept | None = getattr(self._local, "kept", None)
        if kept is None or not kept.is_usable():
            kept = _Kept(self._engine.raw_connection())
            self._local.kept = kept
            with self._lock:
                self._all.add(kept)
        kept.busy = True
        try:
            yield kept
        finally:
            kept.busy = False
            if kept.retired:
                kept.close()

    def close(self) -> None:
        """Close every idle connection; busy ones close when they are done."""
        with self._lock:
            kept_all = list(self._all)
        for kept in kept_all:
            kept.retired = True
            if not kept.busy:
                kept.close()


class _Kept:
    """One thread's detached DB-API connection."""

    def __init__(self, pooled: Any) -> None:
        self.dbapi: Any = pooled.driver_connection
        pooled.detach()  # ours now: the pool neither counts nor resets it
        self._pooled = pooled
        self._pid = current_pid()
        self.busy = False
        self.retired = False
        self.closed = False

    def retire(self, _error: BaseException | None = None) -> None:
        """Close after the current transaction (the connection failed)."""
        self.retired = True

    def is_usable(self) -> bool:
        return not (self.closed or self.retired) and self._pid == current_pid()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self._pid != current_pid():
            # A forked child never closes its parent's connection: it keeps
            # the object alive (SQLite's handle would close with it).
            _INHERITED.append(self._pooled)
            return
        with contextlib.suppress(Exception):
            self._pooled.close()

    def __del__(self) -> None:  # its thread ended
        with contextlib.suppress(Exception):  # also at interpreter exit
            self.close()


_INHERITED: list[Any] = []
