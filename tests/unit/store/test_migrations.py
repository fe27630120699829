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

from rung.metadata import MetricRecord
from rung.store.sql import HEAD_REVISION, MIGRATIONS_DIR, Database, load_schema
from tests.contract._stores import pg_schema_url

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "freeze-migrations"
FIRST = "0001"
RELEASED_INDEX = "ix_metrics_run_id_key"
HEAD_INDEXES = {"ix_metrics_run_id", "ix_metrics_step_run_id"}
FROZEN = "released revisions are frozen: add a new revision instead"


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


def insert_first_revision_rows(url: str, run_id: str, step_run_id: str) -> None:
    """A run, a step run and three metrics, written with the 0001 columns."""
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
                sa.text(
                    "INSERT INTO metrics (run_id, step_run_id, key, value, step,"
                    " timestamp) VALUES (:run_id, :step_run_id, :key, :value,"
                    " :step, :timestamp)"
                ),
                [
                    {
                        "run_id": run_id,
                        "step_run_id": None,
                        "key": "auc",
                        "value": 0.91,
                        "step": None,
                        "timestamp": 110.0,
                    },
                    {
                        "run_id": run_id,
                        "step_run_id": step_run_id,
                        "key": "loss",
                        "value": 0.5,
                        "step": 0,
                        "timestamp": 102.0,
                    },
                    {
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


def test_downgrade_from_head_restores_the_released_metrics_index(
    db_url: str,
) -> None:
    alembic(db_url, "upgrade", "head")
    alembic(db_url, "downgrade", "0006")

    assert inspect(db_url)[:2] == ("0006", {RELEASED_INDEX})
