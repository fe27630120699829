"""Re-tuning across processes and on PostgreSQL: a killed round resumes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from typing import TYPE_CHECKING, Any

import pytest

from rung.automation import retune
from rung.automation.errors import RetuneBusyError
from tests.contract._stores import PG_ADMIN_DSN, pg_schema_url
from tests.unit.automation.test_retune import FLOW, SPACE

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from rung.automation import RetuneResult
    from rung.workspace import Workspace

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CHILD = textwrap.dedent(
    """
    import sys

    from rung.automation import retune
    from rung.workspace import Workspace

    url, flow, gate = sys.argv[1:4]
    ws = Workspace.from_urls(url, sys.argv[4], project="test-project")
    retune(ws, flow, model="cancer", space={space!r}, metric="accuracy",
           n_trials=4, timeout_s=None, params={{"gate": gate, "gate_at": 2}},
           lease_ttl=2)
    """
).format(space=SPACE)


@pytest.fixture
def flow(tmp_path: Path) -> str:
    """The ``training`` pipeline of the unit tests, in a file."""
    path = tmp_path / "cancer.py"
    path.write_text(textwrap.dedent(FLOW))
    return f"{path}:training"


def _resume(workspace: Workspace, flow: str) -> RetuneResult:
    deadline = time.monotonic() + 60
    while True:
        try:
            return retune(
                workspace,
                flow,
                model="cancer",
                space=SPACE,
                metric="accuracy",
                n_trials=4,
                timeout_s=None,
            )
        except RetuneBusyError:  # the dead process' lease has not expired yet
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_a_round_killed_mid_trial_resumes_in_another_process(
    workspace: Workspace, flow: str, tmp_path: Path
) -> None:
    import optuna

    from rung.automation._studies import open_storage

    script = tmp_path / "child.py"
    script.write_text(CHILD)
    gate = tmp_path / "gate"
    url = f"sqlite:///{tmp_path / '.rung' / 'metadata.db'}"
    child = subprocess.Popen(
        [sys.executable, str(script), url, flow, str(gate), str(tmp_path / "art")],
        env=os.environ,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not (tmp_path / "gate.started").exists():
            assert child.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()

    result = _resume(workspace, flow)
    assert (result.round, result.resumed) == (1, True)
    assert (result.trials, result.stop_reason) == (4, "trials")
    opened = open_storage(workspace)
    try:
        study = optuna.load_study(study_name=result.study, storage=opened.storage)
        stale = [t for t in study.trials if t.user_attrs.get("rung.stale")]
        retried = [t for t in study.trials if "rung.retry_of" in t.user_attrs]
    finally:
        opened.close()
    assert [t.state for t in stale] == [optuna.trial.TrialState.FAIL]
    assert [t.user_attrs["rung.retry_of"] for t in retried] == [stale[0].number]
    assert retried[0].params == stale[0].params


@pytest.fixture
def pg_workspace(tmp_path: Path) -> Iterator[tuple[Workspace, str]]:
    """A workspace in a PostgreSQL schema of its own; yields it and the schema."""
    import psycopg

    from rung.workspace import Workspace

    with pg_schema_url() as url:
        schema = url.rsplit("%3D", 1)[1]
        ws = Workspace.from_urls(url, str(tmp_path / "art"), project="test-project")
        try:
            yield ws, schema
        finally:
            ws.close()
            with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as db:
                db.execute(f'DROP SCHEMA IF EXISTS "{schema}_optuna" CASCADE')


def test_on_postgresql_the_study_has_a_schema_of_its_own(
    pg_workspace: tuple[Workspace, str], flow: str
) -> None:
    import psycopg
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from rung.store.sql._engine import load_schema

    ws, schema = pg_workspace
    result = retune(
        ws, flow, model="cancer", space=SPACE, metric="accuracy", n_trials=2
    )
    assert result.where == f"postgresql schema {schema}_optuna"
    assert result.trials == 2

    def differences(conn: Any) -> list[Any]:
        return list(compare_metadata(MigrationContext.configure(conn), load_schema()))

    assert ws.backend.read(differences) == []  # type: ignore[attr-defined]
    with psycopg.connect(PG_ADMIN_DSN) as db:
        tables = {
            row[0]
            for row in db.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = %s",
                (f"{schema}_optuna",),
            )
        }
    assert {"studies", "trials", "alembic_version"} <= tables
