"""``RunsStore`` on SQLite: opening, migrations, tuning, errors, concurrency.

The behaviour shared with every backend is in tests/contract; this module
tests what only the SQL backend does.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa

import rung.metadata
from rung.errors import MigrationError, StoreUnavailableError
from rung.metadata import RunRecord
from rung.store.sql import _engine, _migrate, load_schema
from tests._runs_store import RunsStore

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

SRC = Path(rung.metadata.__file__).resolve().parents[2]

# A child process: opens the store only after the parent says "go", so that
# all children hit the (possibly fresh) database at the same moment.
CHILD = """
import sys, time, uuid
from rung.metadata import MetricRecord, RunRecord
from rung.store.sql import Database
url, worker, runs, metrics, batch = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
db = Database(url)
store = db.open_store("runs")
print("ready", flush=True)
sys.stdin.readline()
for r in range(runs):
    run_id = uuid.uuid4().hex
    run = RunRecord(run_id, f"{worker}-{r}", worker, "u", "running", time.time())
    store.create_run(run)
    for start in range(0, metrics, batch):
        store.log_metrics([
            MetricRecord(run_id, "loss", float(i), time.time(), i)
            for i in range(start, min(start + batch, metrics))
        ])
    store.update_run(run_id, {"status": "completed", "params": {"n": metrics}})
db.close()
print("alembic" in sys.modules, flush=True)
"""


def run_children(
    url: str, workers: int, runs: int, metrics: int, batch: int
) -> list[str]:
    """Start ``workers`` child writers at once; return what each printed last."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), *sys.path])}
    args = [str(runs), str(metrics), str(batch)]
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, url, f"w{n}", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for n in range(workers)
    ]
    for child in children:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
    results = [child.communicate("go\n", timeout=120) for child in children]
    for child, (_out, err) in zip(children, results, strict=True):
        assert (child.returncode, err) == (0, "")
    return [out.strip().splitlines()[-1] for out, _err in results]


def create_run(store: RunsStore) -> RunRecord:
    run = RunRecord(uuid.uuid4().hex, "r", "p", "u", "running", time.time())
    store.create_run(run)
    return run


def revision(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return str(
            conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        )


# -- opening and migrations -----------------------------------------------------


def test_constructor_does_no_io(db_path: Path) -> None:
    RunsStore(f"sqlite:///{db_path}").close()
    assert not db_path.parent.exists()


def test_first_call_creates_folder_and_migrates_to_head(
    sql_store: RunsStore, db_path: Path
) -> None:
    assert sql_store.list_runs() == []
    assert revision(db_path) == _migrate.HEAD_REVISION


def test_head_revision_constant_matches_the_scripts() -> None:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory(str(_migrate.MIGRATIONS_DIR))
    assert scripts.get_current_head() == _migrate.HEAD_REVISION


def test_migrated_schema_matches_the_tables(
    sql_store: RunsStore, db_path: Path
) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    sql_store.list_runs()
    engine = sa.create_engine(f"sqlite:///{db_path}")
    try:
        with engine.connect() as conn:
            assert (
                compare_metadata(MigrationContext.configure(conn), load_schema()) == []
            )
    finally:
        engine.dispose()


def test_open_of_up_to_date_database_does_not_migrate(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = RunsStore(f"sqlite:///{db_path}")
    run = create_run(first)
    first.close()

    def fail(conn: sa.Connection) -> None:
        raise AssertionError("migrated an up-to-date database")

    monkeypatch.setattr(_migrate, "upgrade", fail)
    second = RunsStore(f"sqlite:///{db_path}")
    try:
        assert second.get_run(run.id) == run
    finally:
        second.close()


def test_two_processes_opening_a_fresh_database_migrate_once(db_path: Path) -> None:
    printed = run_children(
        f"sqlite:///{db_path}", workers=2, runs=1, metrics=10, batch=10
    )
    # Exactly one process needed Alembic; the other found the head revision.
    assert sorted(printed) == ["False", "True"]
    assert revision(db_path) == _migrate.HEAD_REVISION


def test_database_newer_than_rung_raises_migration_error(db_path: Path) -> None:
    store = RunsStore(f"sqlite:///{db_path}")
    store.list_runs()
    store.close()
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(
        MigrationError,
        match=rf"revision {_migrate.HEAD_REVISION}: .*'9999'.*upgrade Rung",
    ):
        store.list_runs()
    store.close()


def test_close_twice_then_reopen(sql_store: RunsStore) -> None:
    run = create_run(sql_store)
    sql_store.close()
    sql_store.close()
    assert sql_store.get_run(run.id) == run


# -- SQLite tuning ----------------------------------------------------------------


def test_sqlite_connections_are_tuned(sql_store: RunsStore, db_path: Path) -> None:
    def pragmas(conn: sa.Connection) -> list[object]:
        names = ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        return [conn.exec_driver_sql(f"PRAGMA {name}").scalar() for name in names]

    assert sql_store._db.read(pragmas) == ["wal", 1, 1, 30_000]
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_writer_waits_for_another_writer(sql_store: RunsStore, db_path: Path) -> None:
    sql_store.list_runs()
    other = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    timer = threading.Timer(0.3, other.execute, ["COMMIT"])
    timer.start()
    try:
        started = time.perf_counter()
        create_run(sql_store)
        assert time.perf_counter() - started >= 0.25
    finally:
        timer.join()
        other.close()


def test_in_memory_sqlite_is_shared_between_threads() -> None:
    store = RunsStore("sqlite://")
    try:
        threads = [threading.Thread(target=create_run, args=(store,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(store.list_runs()) == 4
    finally:
        store.close()


# -- retries and errors -------------------------------------------------------------


def locked(calls: list[int], failures: int) -> Callable[[sa.Connection], str]:
    def work(conn: sa.Connection) -> str:
        calls.append(1)
        if len(calls) <= failures:
            cause = sqlite3.OperationalError("database is locked")
            raise sa.exc.OperationalError("BEGIN IMMEDIATE", None, cause)
        return "done"

    return work


def test_write_retries_while_database_is_locked(
    sql_store: RunsStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_engine, "_BACKOFF_S", 0.0)
    calls: list[int] = []
    assert sql_store._db.write(locked(calls, failures=3)) == "done"
    assert len(calls) == 4


def test_write_gives_up_with_a_clear_error(
    sql_store: RunsStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_engine, "_BACKOFF_S", 0.0)
    with pytest.raises(
        StoreUnavailableError, match=r"stayed busy \(database is locked\)"
    ):
        sql_store._db.write(locked([], failures=99))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "not a url",
            r"Cannot open metadata database 'not a url': it is not a database URL",
        ),
        (
            "postgresql+psycopg://ada:s3cret@127.0.0.1:1/db",
            r"Cannot open metadata database 'postgresql\+psycopg://ada:\*\*\*@127\.0\.0\.1:1/db'"
            r": .+\. Check that the server runs and the URL is right\.",
        ),
        (
            "postgresql+nosuchdriver://h/db",
            r"no driver .*pip install 'rung\[postgres\]'",
        ),
        # A bare postgresql:// uses psycopg 3, not SQLAlchemy's default psycopg2.
        (
            "postgresql://ada@127.0.0.1:1/db",
            r"'postgresql://ada@127\.0\.0\.1:1/db': .+Check that the server runs",
        ),
    ],
)
def test_unusable_url_raises_store_unavailable(url: str, message: str) -> None:
    store = RunsStore(url)
    with pytest.raises(StoreUnavailableError, match=message) as caught:
        store.list_runs()
    assert "s3cret" not in str(caught.value)
    store.close()


def test_sqlite_path_under_a_file_raises_store_unavailable(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    store = RunsStore(f"sqlite:///{tmp_path / 'file' / 'metadata.db'}")
    with pytest.raises(StoreUnavailableError, match=r"cannot create folder .*file'"):
        store.list_runs()


def test_sqlite_path_that_is_a_folder_raises_store_unavailable(tmp_path: Path) -> None:
    store = RunsStore(f"sqlite:///{tmp_path}")
    with pytest.raises(
        StoreUnavailableError, match=r"unable to open database file.*writable"
    ):
        store.list_runs()


# -- several processes ------------------------------------------------------------


def assert_all_written(store: RunsStore, runs: int, metrics: int) -> None:
    found = store.list_runs(limit=None)
    assert len(found) == runs
    assert {run.status for run in found} == {"completed"}
    latest = store.latest_metrics([run.id for run in found])
    assert all(values == {"loss": metrics - 1} for values in latest.values())
    counts: Sequence[int] = [len(store.get_metrics(run.id)) for run in found]
    assert sum(counts) == runs * metrics


@pytest.mark.integration
def test_eight_processes_write_one_sqlite_file_without_loss(
    sql_store: RunsStore,
) -> None:
    run_children(sql_store.url, workers=8, runs=2, metrics=1000, batch=100)
    assert_all_written(sql_store, runs=16, metrics=1000)
