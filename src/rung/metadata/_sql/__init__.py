"""``SqlRunStore``: runs, step runs, artifacts and metrics on SQLite or PostgreSQL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rung.errors import InvalidRecordError
from rung.metadata import _rules as c
from rung.metadata._sql import _metrics, _runs, _steps
from rung.store import clean_strings

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from rung.metadata import (
        ArtifactRecord,
        LineageEdge,
        MetricBatch,
        MetricRecord,
        PipelineSummary,
        RunRecord,
        StepFinish,
        StepRunRecord,
    )
    from rung.store.sql import Database, DirectConnection

__all__ = ["SqlRunStore"]

_ARTIFACT_MEMO = 10_000


class SqlRunStore:
    """Runs, step runs, artifacts, lineage and metrics through SQLAlchemy Core.

    Built by the workspace's :class:`~rung.store.sql.Database` (the ``runs``
    entry of the ``rung.sql_stores`` entry-point group). The database opens on
    the first call and brings the schema to the current revision if needed
    (under a lock, so that concurrent processes migrate once). SQLite runs in
    WAL mode; writers take the write lock when their transaction begins, and a
    write that still finds the database locked is retried. The store is safe
    to share between threads.

    Args:
        database: the workspace's database.

    Example:
        >>> from rung.store import open_backend
        >>> store = open_backend("memory://").open_store("runs")
        >>> store.list_runs()
        []
    """

    def __init__(self, database: Database) -> None:
        self._db = database
        self._artifacts: dict[str, ArtifactRecord] = {}

    @property
    def url(self) -> str:
        """The database URL."""
        return self._db.url

    # -- runs ---------------------------------------------------------------------

    def create_run(self, run: RunRecord) -> None:
        """Insert a new run (with its params and tags)."""
        clean = c.clean_run(run)
        self._db.write_direct(
            lambda conn: _runs.insert_run(conn, clean),
            lambda conn: _runs.diagnose_new_run(conn, run.id),
        )

    def update_run(self, run_id: str, changes: Mapping[str, Any]) -> RunRecord:
        """Apply ``changes`` in one transaction (params and tags merge)."""
        clean = c.clean_run_changes(run_id, changes)
        return self._db.write_direct(lambda conn: _runs.update_run(conn, run_id, clean))

    def get_run(self, run_id: str) -> RunRecord:
        """Return a run by id or unique id prefix (>= 4 characters)."""
        return self._db.read_direct(lambda conn: _runs.find_run(conn, run_id))

    def list_runs(
        self,
        *,
        project: str | None = None,
        pipeline: str | None = None,
        status: str | None = None,
        limit: int | None = 100,
    ) -> list[RunRecord]:
        """Return runs, newest first, filtered by the given fields."""
        return self._db.read(
            lambda conn: _runs.list_runs(conn, project, pipeline, status, limit)
        )

    def list_pipelines(self, *, project: str | None = None) -> list[PipelineSummary]:
        """Return one summary per (pipeline, project) that has runs, by name."""
        return self._db.read(lambda conn: _runs.list_pipelines(conn, project))

    # -- step runs -----------------------------------------------------------------

    def create_step_run(self, step_run: StepRunRecord) -> None:
        """Insert a step run; its inputs (and outputs) become lineage edges."""
        clean = c.clean_step_run(step_run)
        self._db.write_direct(
            lambda conn: _steps.insert_step_run(conn, clean),
            lambda conn: _steps.diagnose_new_step_run(conn, clean),
        )

    def record_cache_hits(self, step_runs: Sequence[StepRunRecord]) -> None:
        """Insert cached step runs and copy their sources' metrics, atomically."""
        clean = [c.clean_step_run(step_run) for step_run in step_runs]
        if any(step_run.cached_from is None for step_run in clean):
            raise InvalidRecordError("A cache hit needs `cached_from`.")

        def write(conn: DirectConnection) -> None:
            sequences = _metrics.RunSequences(conn)
            sources = [str(step_run.cached_from) for step_run in clean]
            spans = _metrics.step_metric_spans(conn, sources)
            _steps.insert_step_runs(conn, clean)
            for step_run, source in zip(clean, sources, strict=True):
                if source in spans:
                    _metrics.copy_step_metrics(
                        conn,
                        (source, spans[source]),
                        step_run.run_id,
                        step_run.id,
                        sequences,
                    )

        def diagnose(conn: Any) -> None:
            for step_run in clean:
                _steps.diagnose_new_step_run(conn, step_run)

        if clean:
            self._db.write_direct(write, diagnose)

    def finish_step_run(
        self,
        step_run_id: str,
        changes: Mapping[str, Any],
        artifacts: Sequence[ArtifactRecord] = (),
    ) -> StepRunRecord:
        """Add ``artifacts``, apply ``changes`` (outputs become edges), atomically."""
        clean = c.clean_step_changes(step_run_id, changes)
        new_artifacts = [c.clean_artifact(a) for a in artifacts]
        links = {*clean.get("inputs", {}).values(), *clean.get("outputs", {}).values()}
        return self._db.write_direct(
            lambda conn: _steps.finish_step_run(
                conn, step_run_id, clean, new_artifacts
            ),
            lambda conn: _steps.diagnose_links(conn, links - {a.id for a in artifacts}),
        )

    def advance_step_runs(
        self, finished: Sequence[StepFinish], started: Sequence[StepRunRecord]
    ) -> None:
        """Finish ``finished``, then insert ``started``, in one transaction."""
        ends = [
            (
                f.step_run_id,
                c.clean_step_changes(f.step_run_id, f.changes),
                [c.clean_artifact(a) for a in f.artifacts],
            )
            for f in finished
        ]
        starts = [c.clean_step_run(step_run) for step_run in started]
        if not ends and not starts:
            return

        def write(conn: DirectConnection) -> None:
            _steps.advance_step_runs(conn, ends, starts)

        def diagnose(conn: Any) -> None:
            # Rolled back with the rest: none of the new artifacts is stored.
            new_ids = {a.id for _id, _changes, arts in ends for a in arts}
            for _step_run_id, changes, _new_artifacts in ends:
                links = {
                    *changes.get("inputs", {}).values(),
                    *changes.get("outputs", {}).values(),
                }
                _steps.diagnose_links(conn, links - new_ids)
            for step_run in starts:
                _steps.diagnose_new_step_run(conn, step_run, known=new_ids)

        self._db.write_direct(write, diagnose)

    def list_step_runs(
        self, run_id: str, *, status: str | None = None
    ) -> list[StepRunRecord]:
        """Return a run's step runs in start order (all attempts); with
        ``status``, only those in that status."""
        return self._db.read_direct(
            lambda conn: _steps.list_step_runs(conn, run_id, status)
        )

    def find_cached_step_run(self, cache_key: str) -> StepRunRecord | None:
        """Return the newest completed (not cached) step run with this key."""
        return self._db.read_direct(
            lambda conn: _steps.find_cached_step_run(conn, cache_key)
        )

    # -- artifacts -----------------------------------------------------------------

    def add_artifacts(self, artifacts: Sequence[ArtifactRecord]) -> None:
        """Insert artifacts; ones already known are left unchanged."""
        clean = [c.clean_artifact(a) for a in artifacts]
        if clean:
            self._db.write_direct(lambda conn: _steps.add_artifacts(conn, clean))

    def get_artifact(self, artifact_id: str) -> ArtifactRecord:
        """Return an artifact by id or unique prefix (>= 4 characters)."""
        # Artifact records never change once stored, so full ids are memoised
        # (cache lookups fetch the same outputs run after run).
        cached = self._artifacts.get(artifact_id)
        if cached is not None:
            return cached
        found = self._db.read(lambda conn: _steps.find_artifact(conn, artifact_id))
        if len(self._artifacts) >= _ARTIFACT_MEMO:
            self._artifacts.clear()
        self._artifacts[found.id] = found
        return found

    def list_artifacts(
        self,
        *,
        run_id: str | None = None,
        type_contains: str | None = None,
        limit: int | None = 100,
    ) -> list[ArtifactRecord]:
        """Return artifacts, newest first; ``run_id`` keeps that run's outputs."""
        return self._db.read(
            lambda conn: _steps.list_artifacts(conn, run_id, type_contains, limit)
        )

    def lineage(self, artifact_id: str) -> list[LineageEdge]:
        """Return every edge that touches the artifact (producers, consumers)."""
        return self._db.read(lambda conn: _steps.lineage(conn, artifact_id))

    def step_run_edges(self, step_run_id: str) -> list[LineageEdge]:
        """Return the input and output edges of one step run."""
        return self._db.read(lambda conn: _steps.step_run_edges(conn, step_run_id))

    # -- metrics and environments ----------------------------------------------------

    def log_metrics(self, metrics: Sequence[MetricRecord]) -> None:
        """Insert metric values in one transaction (a batch)."""
        rows = c.metric_rows(metrics)
        if rows:
            self._db.write(
                lambda conn: _metrics.insert_metrics(conn, rows),
                lambda conn: _metrics.diagnose_metrics(conn, (r[:2] for r in rows)),
            )

    def log_metric_batches(self, batches: Sequence[MetricBatch]) -> None:
        """Insert the values of ``batches`` in one transaction, in order."""
        clean = c.clean_metric_batches(batches)
        if clean:
            self._db.write(
                lambda conn: _metrics.insert_batches(conn, clean),
                lambda conn: _metrics.diagnose_metrics(
                    conn, ((b.run_id, b.step_run_id) for b in clean)
                ),
            )

    def get_metrics(self, run_id: str, key: str | None = None) -> list[MetricRecord]:
        """Return a run's metric history in logging order."""
        return self._db.read(lambda conn: _metrics.get_metrics(conn, run_id, key))

    def latest_metrics(self, run_ids: Sequence[str]) -> dict[str, dict[str, float]]:
        """Return, per run, the last value logged for each key."""
        return self._db.read(lambda conn: _metrics.latest_metrics(conn, run_ids))

    def put_environment(self, env_hash: str, packages: Mapping[str, str]) -> None:
        """Store an installed-packages lock under its hash (idempotent)."""
        clean = clean_strings(packages, "packages")
        self._db.write(lambda conn: _metrics.put_environment(conn, env_hash, clean))

    def get_environment(self, env_hash: str) -> dict[str, str]:
        """Return a stored lock; raises EnvironmentNotFoundError if unknown."""
        return self._db.read(lambda conn: _metrics.get_environment(conn, env_hash))
