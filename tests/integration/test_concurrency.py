"""Eight processes run pipelines and log metrics into one workspace at once."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from rung.store import open_backend
from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.integration

PROCESSES = 8
PIPELINE_RUNS = 3
STEP_METRICS = 200
ADHOC_METRICS = 1_000

WORKER = textwrap.dedent(
    f"""
    import sys, time
    from pathlib import Path

    import rung
    from rung import pipeline, step

    worker = int(sys.argv[1])
    go = Path(sys.argv[2])


    @step
    def make(seed: int) -> list[int]:
        return list(range(seed, seed + 100))


    @step
    def score(values: list[int]) -> float:
        for i in range({STEP_METRICS}):
            rung.log_metric("m", float(i), step=i)
        return float(sum(values))


    @pipeline
    def scoring(seed: int) -> None:
        score(make(seed))


    while not go.exists():
        time.sleep(0.01)
    for k in range({PIPELINE_RUNS}):
        run = scoring(seed=worker * 1000 + k)
        assert run.status == "completed", run.status
    with rung.start_run(f"adhoc-{{worker}}"):
        for i in range({ADHOC_METRICS}):
            rung.log_metric("x", float(i))
    """
)


@pytest.fixture
def postgres_schema() -> Iterator[str]:
    import sqlalchemy as sa

    name = f"rung_conc_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    try:
        yield name
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
        engine.dispose()


def _run_workers(tmp_path: Path, metadata_url: str) -> None:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    go = tmp_path / "go"
    env = {
        **os.environ,
        "RUNG_ROOT": str(tmp_path),
        "RUNG_METADATA_URL": metadata_url,
        "RUNG_ARTIFACT_URL": str(tmp_path / "artifacts"),
    }
    workers = [
        subprocess.Popen(
            [sys.executable, str(script), str(i), str(go)],
            cwd=tmp_path,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(PROCESSES)
    ]
    time.sleep(1.0)  # let every process import and wait at the start line
    go.write_text("go")
    failures = []
    for worker in workers:
        _, stderr = worker.communicate(timeout=600)
        if worker.returncode != 0 or "locked" in stderr:
            failures.append(stderr)
    assert failures == []


def _check_nothing_lost(metadata_url: str) -> None:
    backend = open_backend(metadata_url)
    store = backend.open_store("runs")
    try:
        runs = store.list_runs(limit=None)
        pipeline_runs = [r for r in runs if r.pipeline == "scoring"]
        adhoc = [r for r in runs if r.pipeline is None]
        assert len(pipeline_runs) == PROCESSES * PIPELINE_RUNS
        assert len(adhoc) == PROCESSES
        assert {r.status for r in runs} == {"completed"}
        for run in pipeline_runs:
            assert len(store.get_metrics(run.id, "m")) == STEP_METRICS
            assert len(store.list_step_runs(run.id)) == 2
        for run in adhoc:
            assert len(store.get_metrics(run.id, "x")) == ADHOC_METRICS
    finally:
        backend.close()


def test_eight_processes_share_one_sqlite_workspace(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'metadata.db'}"
    _run_workers(tmp_path, url)
    _check_nothing_lost(url)


def test_eight_processes_share_one_postgres_workspace(
    tmp_path: Path, postgres_schema: str
) -> None:
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{postgres_schema}"
    _run_workers(tmp_path, url)
    _check_nothing_lost(url)
