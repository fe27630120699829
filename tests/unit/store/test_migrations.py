"""The migration chain: released revisions frozen, upgrades from the first one.

``scripts/freeze-migrations`` holds the rules (hashes, the manifest, no empty
revisions); these tests run it against the real chain and against copies.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa

from rung.metadata import MetricBatch, MetricRecord
from rung.store.sql import HEAD_REVISION, MIGRATIONS_DIR, Database, load_schema
from tests.contract._stores import pg_schema_url

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "freeze-migrations"
FIRST = "0001"
RELEASED_INDEX = "ix_metrics_run_id_key"
HEAD_INDEXES = {"ix_metrics_step_run_id"}
REVISION_0007_INDEXES = {"ix_metrics_run_id", "ix_metrics_step_run_id"}
FROZEN = "released revisions are frozen: add a new revision instead"
INSERT_METRIC = (
    "INSERT INTO metrics (run_id, step_run_id, key, value, step, timestamp)"
    " VALUES (:run_id, :step_run_id, :key, :value, :step, :timestamp)"
)
INSERT_METRIC_WITH_SEQ = (
    "INSERT INTO metrics (seq, run_id, step_run_id, key, value, step, timestamp)"
    " VALUES (:seq, :run_id, :step_run_id, :key, :value, :step, :timestamp)"
)


def load_freezer() -> ModuleType:
    """``scripts/freeze-migrations`` as a module (its name has no ``.py``)."""
    loader = importlib.machinery.SourceFileLoader("freeze_migrations", str(SCRIPT))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


freezer = load_freezer()


@pytest.fixture
def chain(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the revisions and of the manifest: (versions folder, manifest)."""
    versions = tmp_path / "versions"
    shutil.copytree(freezer.VERSIONS, versions, ignore=shutil.ignore_patterns("__*"))
    manifest = tmp_path / "versions.sha256"
    shutil.copy(freezer.MANIFEST, manifest)
    return versions, manifest


def add_revision(versions: Path, name: str, upgrade_body: str) -> Path:
    path = versions / name
    path.write_text(
        f'"""A revision."""\n\nrevision = "9999"\ndown_revision = "{HEAD_REVISION}"'
        f'\n\n\ndef upgrade() -> None:\n    """Change."""\n    {upgrade_body}\n'
    )
    return path


# -- the manifest of frozen revisions -------------------------------------------


def test_every_revision_is_frozen_and_unchanged() -> None:
    problems = freezer.problems()
    assert problems == [], "\n".join(problems)


def test_check_reports_an_edited_released_revision(chain: tuple[Path, Path]) -> None:
    versions, manifest = chain
    first = versions / "0001_initial.py"
    first.write_text(first.read_text() + "# tidied\n")

    assert freezer.problems(versions, manifest) == [
        f"0001_initial.py differs from its frozen hash in versions.sha256: {FROZEN} "
        "(undo the edit with git checkout, then write the change as a new revision "
        "whose down_revision is the current head)."
    ]


def test_check_reports_a_deleted_released_revision(chain: tuple[Path, Path]) -> None:
    versions, manifest = chain
    (versions / "0002_registry.py").unlink()

    [problem] = freezer.problems(versions, manifest)
    assert problem.startswith(
        f"0002_registry.py is frozen in versions.sha256 but its file is gone: {FROZEN}"
    )


def test_check_asks_to_freeze_a_new_revision(chain: tuple[Path, Path]) -> None:
    versions, manifest = chain
    add_revision(versions, "9999_more.py", 'op.execute("SELECT 1")')

    assert freezer.problems(versions, manifest) == [
        "9999_more.py is a new revision missing from versions.sha256: once it is "
        "final, run scripts/freeze-migrations to append its hash."
    ]


def test_freeze_appends_new_revisions_and_keeps_existing_lines(
    chain: tuple[Path, Path],
) -> None:
    versions, manifest = chain
    before = manifest.read_text()
    new = add_revision(versions, "9999_more.py", 'op.execute("SELECT 1")')

    assert freezer.freeze(versions, manifest) == ["9999_more.py"]
    assert manifest.read_text() == (
        f"{before}{freezer.revision_hash(new)}  9999_more.py\n"
    )
    assert freezer.problems(versions, manifest) == []
    assert freezer.freeze(versions, manifest) == []


def test_freeze_refuses_to_change_a_frozen_entry(chain: tuple[Path, Path]) -> None:
    versions, manifest = chain
    before = manifest.read_text()
    first = versions / "0001_initial.py"
    first.write_text(first.read_text().replace('"run_id", "key"', '"run_id"'))
    add_revision(versions, "9999_more.py", 'op.execute("SELECT 1")')

    with pytest.raises(
        SystemExit, match=rf"Nothing frozen:\n  0001_initial.py .*{FROZEN}"
    ):
        freezer.freeze(versions, manifest)
    assert manifest.read_text() == before


@pytest.mark.parametrize("body", ["pass", "...", '"""Reserved."""'])
def test_a_revision_whose_upgrade_does_nothing_is_refused(
    chain: tuple[Path, Path], body: str
) -> None:
    versions, manifest = chain
    add_revision(versions, "9999_reserved.py", body)
    message = r"9999_reserved.py: upgrade\(\) does nothing\. .*never to reserve"

    [problem] = freezer.problems(versions, manifest)
    assert problem.startswith("9999_reserved.py: upgrade() does nothing.")
    with pytest.raises(SystemExit, match=message):
        freezer.freeze(versions, manifest)


def test_revision_hash_ignores_line_endings_and_bom(tmp_path: Path) -> None:
    lf, crlf = tmp_path / "lf.py", tmp_path / "crlf.py"
    lf.write_bytes(b"def upgrade():\n    pass\n")
    crlf.write_bytes(b"\xef\xbb\xbfdef upgrade():\r\n    pass\r\n")

    assert freezer.revision_hash(lf) == freezer.revision_hash(crlf)


def test_a_malformed_manifest_line_is_reported(chain: tuple[Path, Path]) -> None:
    versions, manifest = chain
    manifest.write_text(manifest.read_text() + "not a hash\n")

    with pytest.raises(SystemExit, match=r"versions\.sha256:\d+: expected '<sha256>"):
        freezer.problems(versions, manifest)


# -- upgrading databases made by older revisions --------------------------------


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]
)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "postgresql":
        with pg_schema_url() as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'metadata.db'}"


def alembic(url: str, action: str, revision: str) -> None:
    """Run ``alembic upgrade|downgrade <revision>`` on the database at ``url``."""
    from alembic import command
    from alembic.config import Config

    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS_DIR))
            config.attributes["connection"] = conn
            getattr(command, action)(config, revision)
    finally:
        engine.dispose()


def inspect(url: str) -> tuple[str, set[str], list[Any]]:
    """(revision, names of the metrics indexes, differences from the tables)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            revision = conn.execute(sa.text("SELECT version_num FROM alembic_version"))
            indexes = sa.inspect(conn).get_indexes("metrics")
            diff = compare_metadata(MigrationContext.configure(conn), load_schema())
            return (
                str(revision.scalar_one()),
                {str(index["name"]) for index in indexes},
                diff,
            )
    finally:
        engine.dispose()


def insert_first_revision_rows(
    url: str, run_id: str, step_run_id: str, *, with_seq: bool = False
) -> None:
    """A run, a step run and three metrics, written with the 0001 columns.

    ``with_seq``: the metrics table is keyed by (run_id, seq) (revision 0011
    on), so give each row its number.
    """
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    'INSERT INTO runs (id, name, project, "user", status, started_at,'
                    " config, host, pid, orchestrator, trigger, attempt) VALUES"
                    " (:id, 'nightly', 'churn', 'ana', 'completed', 100.0, '{}',"
                    " 'box', 42, 'local', 'manual', 1)"
                ),
                {"id": run_id},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO step_runs (id, run_id, name, status, started_at,"
                    " attempt, params, stdout, stderr) VALUES"
                    " (:id, :run_id, 'train', 'completed', 101.0, 1, '{}', '', '')"
                ),
                {"id": step_run_id, "run_id": run_id},
            )
            conn.execute(
                sa.text(INSERT_METRIC_WITH_SEQ if with_seq else INSERT_METRIC),
                [
                    {
                        "seq": 0,
                        "run_id": run_id,
                        "step_run_id": None,
                        "key": "auc",
                        "value": 0.91,
                        "step": None,
                        "timestamp": 110.0,
                    },
                    {
                        "seq": 1,
                        "run_id": run_id,
                        "step_run_id": step_run_id,
                        "key": "loss",
                        "value": 0.5,
                        "step": 0,
                        "timestamp": 102.0,
                    },
                    {
                        "seq": 2,
                        "run_id": run_id,
                        "step_run_id": step_run_id,
                        "key": "loss",
                        "value": 0.25,
                        "step": 1,
                        "timestamp": 103.0,
                    },
                ],
            )
    finally:
        engine.dispose()


def test_rung_upgrades_a_first_revision_database_keeping_its_data(
    db_url: str,
) -> None:
    run_id, step_run_id = uuid.uuid4().hex, uuid.uuid4().hex
    alembic(db_url, "upgrade", FIRST)
    insert_first_revision_rows(db_url, run_id, step_run_id)
    assert inspect(db_url)[:2] == (FIRST, {RELEASED_INDEX})

    db = Database(db_url)
    try:
        store = db.open_store("runs")
        run = store.get_run(run_id)
        metrics = store.get_metrics(run_id)
        step_runs = store.list_step_runs(run_id)
    finally:
        db.close()

    assert (run.name, run.project, run.user, run.status) == (
        "nightly",
        "churn",
        "ana",
        "completed",
    )
    assert [s.id for s in step_runs] == [step_run_id]
    assert sorted(metrics, key=lambda m: m.timestamp) == [
        MetricRecord(run_id, "loss", 0.5, 102.0, 0, step_run_id),
        MetricRecord(run_id, "loss", 0.25, 103.0, 1, step_run_id),
        MetricRecord(run_id, "auc", 0.91, 110.0, None, None),
    ]
    assert inspect(db_url) == (HEAD_REVISION, HEAD_INDEXES, [])


def test_upgrade_accepts_databases_made_by_the_edited_first_revision(
    db_url: str,
) -> None:
    # For a while 0001 created the head indexes itself; such databases sit at
    # 0006 with them already there.
    alembic(db_url, "upgrade", "0006")
    engine = sa.create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP INDEX {RELEASED_INDEX}"))
            conn.execute(sa.text("CREATE INDEX ix_metrics_run_id ON metrics (run_id)"))
            conn.execute(
                sa.text("CREATE INDEX ix_metrics_step_run_id ON metrics (step_run_id)")
            )
    finally:
        engine.dispose()

    db = Database(db_url)
    try:
        assert db.open_store("runs").list_runs() == []
    finally:
        db.close()

    assert inspect(db_url) == (HEAD_REVISION, HEAD_INDEXES, [])


def metric_history(url: str, run_id: str) -> list[tuple[str, float]]:
    db = Database(url)
    try:
        return [(m.key, m.value) for m in db.open_store("runs").get_metrics(run_id)]
    finally:
        db.close()


def test_upgrade_to_run_keyed_metrics_keeps_order_and_appends_after(
    db_url: str,
) -> None:
    run_id, step_run_id = uuid.uuid4().hex, uuid.uuid4().hex
    alembic(db_url, "upgrade", "0007")
    insert_first_revision_rows(db_url, run_id, step_run_id)
    alembic(db_url, "upgrade", "head")
    assert inspect(db_url) == (HEAD_REVISION, HEAD_INDEXES, [])

    db = Database(db_url)
    try:
        store = db.open_store("runs")
        store.log_metric_batches([MetricBatch(run_id, {"auc": 0.95}, 120.0)])
        latest = store.latest_metrics([run_id])
    finally:
        db.close()
    assert metric_history(db_url, run_id) == [
        ("auc", 0.91),
        ("loss", 0.5),
        ("loss", 0.25),
        ("auc", 0.95),
    ]
    assert latest == {run_id: {"auc": 0.95, "loss": 0.25}}


def test_downgrade_to_0007_keeps_metrics_in_logging_order(db_url: str) -> None:
    run_id, step_run_id = uuid.uuid4().hex, uuid.uuid4().hex
    alembic(db_url, "upgrade", "head")
    insert_first_revision_rows(db_url, run_id, step_run_id, with_seq=True)
    alembic(db_url, "downgrade", "0007")

    assert inspect(db_url)[:2] == ("0007", REVISION_0007_INDEXES)
    engine = sa.create_engine(db_url)
    try:
        with engine.begin() as conn:
            rows = conn.execute(
                sa.text("SELECT key, value FROM metrics ORDER BY id")
            ).all()
            conn.execute(
                sa.text(
                    "INSERT INTO metrics (run_id, key, value, timestamp)"
                    " VALUES (:run_id, 'new', 1.0, 1.0)"
                ),
                {"run_id": run_id},
            )
            last = conn.execute(sa.text("SELECT key FROM metrics ORDER BY id DESC"))
            newest = last.scalars().first()
    finally:
        engine.dispose()
    assert [tuple(row) for row in rows] == [
        ("auc", 0.91),
        ("loss", 0.5),
        ("loss", 0.25),
    ]
    assert newest == "new"


def test_downgrade_from_head_restores_the_released_metrics_index(
    db_url: str,
) -> None:
    alembic(db_url, "upgrade", "head")
    alembic(db_url, "downgrade", "0006")

    assert inspect(db_url)[:2] == ("0006", {RELEASED_INDEX})


def _step_run_indexes(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {str(i["name"]) for i in sa.inspect(conn).get_indexes("step_runs")}
    finally:
        engine.dispose()


def test_upgrade_to_the_completed_cache_key_index_keeps_lookups(db_url: str) -> None:
    run_id, step_run_id = uuid.uuid4().hex, uuid.uuid4().hex
    alembic(db_url, "upgrade", "0011")
    insert_first_revision_rows(db_url, run_id, step_run_id, with_seq=True)
    engine = sa.create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE step_runs SET cache_key = 'k' WHERE id = :id"),
                {"id": step_run_id},
            )
            conn.execute(  # a later cache hit with the same key: never a source
                sa.text(
                    "INSERT INTO step_runs (id, run_id, name, status, started_at,"
                    " attempt, params, stdout, stderr, cache_key, cached_from)"
                    " VALUES ('hit', :run_id, 'train', 'cached', 200.0, 1, '{}',"
                    " '', '', 'k', :source)"
                ),
                {"run_id": run_id, "source": step_run_id},
            )
    finally:
        engine.dispose()
    assert "ix_step_runs_cache_key" in _step_run_indexes(db_url)

    db = Database(db_url)
    try:
        found = db.open_store("runs").find_cached_step_run("k")
    finally:
        db.close()
    assert found is not None
    assert found.id == step_run_id
    indexes = _step_run_indexes(db_url)
    assert "ix_step_runs_completed_cache_key" in indexes
    assert "ix_step_runs_cache_key" not in indexes

    alembic(db_url, "downgrade", "0011")
    indexes = _step_run_indexes(db_url)
    assert "ix_step_runs_cache_key" in indexes
    assert "ix_step_runs_completed_cache_key" not in indexes
