"""``RunsStore`` on a real PostgreSQL server (``postgresql+psycopg``).

Needs the server at 127.0.0.1:5432 with trust auth and a ``test`` database.
Each test works in a schema of its own, dropped afterwards. The behaviour
shared with every backend is in tests/contract.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa

import rung.metadata
from rung.store.sql import _migrate, load_schema
from tests._runs_store import RunsStore

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.integration

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"
URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SRC = Path(rung.metadata.__file__).resolve().parents[2]

# Waits for "go" so all children open the fresh schema at the same moment.
CHILD = """
import sys, time, uuid
from rung.metadata import MetricRecord, RunRecord
from rung.store.sql import Database
url, worker = sys.argv[1], sys.argv[2]
db = Database(url)
store = db.open_store("runs")
print("ready", flush=True)
sys.stdin.readline()
for r in range(2):
    run_id = uuid.uuid4().hex
    store.create_run(RunRecord(run_id, f"{worker}-{r}", worker, "u", "running", 1.0))
    for start in range(0, 1000, 100):
        store.log_metrics([
            MetricRecord(run_id, "loss", float(i), time.time(), i)
            for i in range(start, start + 100)
        ])
    store.update_run(run_id, {"status": "completed"})
db.close()
print("alembic" in sys.modules, flush=True)
"""


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL whose connections use a fresh schema, dropped after the test."""
    psycopg = pytest.importorskip("psycopg")
    name = f"rung_test_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(ADMIN_DSN, autocommit=True, connect_timeout=3) as db:
            db.execute(f'CREATE SCHEMA "{name}"')
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at {ADMIN_DSN}: {exc}")
    try:
        yield f"{URL}?options=-csearch_path%3D{name}"
    finally:
        with psycopg.connect(ADMIN_DSN, autocommit=True) as db:
            db.execute(f'DROP SCHEMA "{name}" CASCADE')


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[RunsStore]:
    """A SQL store on a fresh PostgreSQL schema, closed after the test."""
    store = RunsStore(pg_url)
    yield store
    store.close()


def test_migrated_schema_matches_the_tables(pg_store: RunsStore) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    pg_store.list_runs()
    engine = sa.create_engine(pg_store.url)
    try:
        with engine.connect() as conn:
            version = conn.exec_driver_sql("SELECT version_num FROM alembic_version")
            assert version.scalar() == _migrate.HEAD_REVISION
            assert (
                compare_metadata(MigrationContext.configure(conn), load_schema()) == []
            )
    finally:
        engine.dispose()


def test_eight_processes_migrate_once_and_write_without_loss(
    pg_store: RunsStore,
) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), *sys.path])}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, pg_store.url, f"w{n}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for n in range(8)
    ]
    for child in children:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
    results = [child.communicate("go\n", timeout=120) for child in children]
    assert [
        (child.returncode, err)
        for child, (_, err) in zip(children, results, strict=True)
    ] == [(0, "")] * 8
    assert sorted(out.split()[-1] for out, _ in results) == ["False"] * 7 + ["True"]
    runs = pg_store.list_runs(limit=None)
    assert len(runs) == 16
    assert {run.status for run in runs} == {"completed"}
    assert sum(len(pg_store.get_metrics(run.id)) for run in runs) == 16_000
