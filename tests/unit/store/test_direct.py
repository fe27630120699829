"""Statements on the driver's connection: same values, same errors, same
transactions as through SQLAlchemy, on every backend."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa

from rung.errors import InvalidRecordError, RunNotFoundError
from rung.store.sql import Database
from tests.contract._stores import BACKENDS, backend_url

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

_meta = sa.MetaData()
_things = sa.Table(
    "direct_things",
    _meta,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("weight", sa.Double),
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Column("kind", sa.String, nullable=False),
)
_INSERT = _things.insert()
_BY_ID = sa.select(_things).where(_things.c.id == sa.bindparam("id"))
# A value fixed in the statement travels as a parameter of its own.
_HEAVY_BOXES = (
    sa.select(_things.c.id)
    .where(_things.c.kind == "box", _things.c.weight > sa.bindparam("min"))
    .order_by(_things.c.id)
)
_RENAME = _things.update().where(_things.c.id == sa.bindparam("id_"))
_IN_LIST = sa.select(_things.c.id).where(
    _things.c.id.in_(sa.bindparam("ids", expanding=True))
)


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated database of each backend with one extra table."""
    with backend_url(request.param, tmp_path) as url:
        yield from _opened(url)


def _opened(url: str) -> Iterator[Database]:
    database = Database(url)
    database.write(_meta.create_all)
    try:
        yield database
    finally:
        database.close()


def _thing(thing_id: str, **changes: Any) -> dict[str, Any]:
    row = {"id": thing_id, "size": 2**40, "weight": 1.5, "ok": True, "kind": "box"}
    return {**row, **changes}


def test_direct_rows_read_back_as_through_sqlalchemy(db: Database) -> None:
    db.write_direct(
        lambda conn: conn.execute(_INSERT, [_thing("a"), _thing("b", ok=False)])
    )

    direct = db.read_direct(lambda conn: conn.execute(_BY_ID, {"id": "b"}).mappings())
    core = db.read(lambda conn: conn.execute(_BY_ID, {"id": "b"}).mappings().all())

    assert direct == [dict(row) for row in core]
    assert direct[0]["ok"] is False  # SQLite stores 0: the type's processor ran
    assert direct[0]["size"] == 2**40


def test_direct_fixed_values_and_parameters_both_bind(db: Database) -> None:
    things = [
        _thing("light", weight=0.5),
        _thing("heavy", weight=9.0),
        _thing("crate", weight=9.0, kind="crate"),
    ]
    db.write_direct(lambda conn: conn.execute(_INSERT, things))

    found = db.read_direct(
        lambda conn: conn.execute(_HEAVY_BOXES, {"min": 1}).scalars()
    )

    assert found == ["heavy"]


def test_direct_update_reports_rows_changed(db: Database) -> None:
    db.write_direct(lambda conn: conn.execute(_INSERT, _thing("a")))

    changed = db.write_direct(
        lambda conn: conn.execute(_RENAME, {"id_": "a", "kind": "bag"}).rowcount
    )
    missed = db.write_direct(
        lambda conn: conn.execute(_RENAME, {"id_": "zz", "kind": "bag"}).rowcount
    )

    assert (changed, missed) == (1, 0)
    kind = db.read_direct(lambda conn: conn.execute(_BY_ID, {"id": "a"}).one()[4])
    assert kind == "bag"


def test_direct_write_rolls_back_when_the_work_raises(db: Database) -> None:
    def half_done(conn: Any) -> None:
        conn.execute(_INSERT, _thing("a"))
        raise RunNotFoundError("stop here")

    with pytest.raises(RunNotFoundError):
        db.write_direct(half_done)

    found = db.read_direct(lambda conn: conn.execute(_BY_ID, {"id": "a"}).first())
    assert found is None


def test_direct_constraint_failure_is_diagnosed_and_rolled_back(db: Database) -> None:
    db.write_direct(lambda conn: conn.execute(_INSERT, _thing("a")))
    diagnosed: list[str] = []

    def twice(conn: Any) -> None:
        conn.execute(_INSERT, _thing("b"))
        conn.execute(_INSERT, _thing("a"))

    def diagnose(conn: sa.Connection) -> None:
        diagnosed.append(conn.execute(sa.select(sa.func.count(_things.c.id))).scalar())

    with pytest.raises(InvalidRecordError, match="refused a change"):
        db.write_direct(twice, diagnose)

    assert diagnosed == [1]  # "b" was rolled back with the rest


def test_direct_refuses_statements_of_varying_shape(db: Database) -> None:
    with pytest.raises(TypeError, match="IN list"):
        db.read_direct(lambda conn: conn.execute(_IN_LIST, {"ids": ["a"]}))
    with pytest.raises(TypeError, match="needs parameter 'id'"):
        db.read_direct(lambda conn: conn.execute(_BY_ID, {}))


def test_direct_writers_from_threads_all_land(db: Database) -> None:
    def insert(start: int) -> None:
        for n in range(start, start + 25):
            db.write_direct(lambda conn, n=n: conn.execute(_INSERT, _thing(f"t{n:03}")))

    threads = [threading.Thread(target=insert, args=(25 * i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    count = sa.select(sa.func.count(_things.c.id))
    assert db.read_direct(lambda conn: conn.execute(count).scalar()) == 100


def test_direct_path_survives_close_and_reopens(db: Database) -> None:
    if db.url == "memory://":
        pytest.skip("closing drops an in-memory database")
    db.write_direct(lambda conn: conn.execute(_INSERT, _thing("a")))
    db.close()

    db.write_direct(lambda conn: conn.execute(_INSERT, _thing("b")))

    count = sa.select(sa.func.count(_things.c.id))
    assert db.read_direct(lambda conn: conn.execute(count).scalar()) == 2


def _write_in_child(inherited: Database) -> None:
    # The parent's Database and its connection, inherited by fork.
    inherited.write_direct(lambda conn: conn.execute(_INSERT, _thing("from-child")))


def test_direct_path_after_fork_leaves_the_parent_working(tmp_path: Path) -> None:
    import multiprocessing

    url = f"sqlite:///{tmp_path / 'metadata.db'}"
    parent = Database(url)
    parent.write(_meta.create_all)
    parent.write_direct(lambda conn: conn.execute(_INSERT, _thing("before")))

    # The child inherits the parent's open connection; it must open its own.
    context = multiprocessing.get_context("fork")
    process = context.Process(target=_write_in_child, args=(parent,))
    process.start()
    process.join(timeout=60)
    parent.write_direct(lambda conn: conn.execute(_INSERT, _thing("after")))

    ids = sa.select(_things.c.id).order_by(_things.c.id)
    assert process.exitcode == 0
    assert parent.read_direct(lambda conn: conn.execute(ids).scalars()) == [
        "after",
        "before",
        "from-child",
    ]
    parent.close()
