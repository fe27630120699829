"""``Client`` methods for serving and the prediction log (``rung.serving``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

    import pandas as pd

    from rung.serving import (
        BatchScores,
        Endpoint,
        FeedbackImport,
        ServeOptions,
        ServerRunner,
    )
    from rung.serving.records import DeploymentRecord, PredictionBatchRecord
    from rung.workspace import Workspace

__all__ = ["_Deployments"]


class _Deployments:
    """Serving, batch scoring, deployments and the prediction log."""

    workspace: Workspace

    def serve_deployment(
        self,
        uri: str,
        options: ServeOptions,
        run: ServerRunner,
        *,
        on_ready: Callable[[Endpoint], None] | None = None,
        on_finish: Callable[[DeploymentRecord], None] | None = None,
    ) -> DeploymentRecord:
        """Serve a model URI as a recorded deployment until the server stops.

        See :func:`rung.serving.serve_deployment`; ``run`` is the HTTP server
        (``rung.server.run_model_server``).
        """
        from rung import serving

        return serving.serve_deployment(
            self.workspace, uri, options, run, on_ready=on_ready, on_finish=on_finish
        )

    def score_frame(
        self,
        uri: str,
        frame: pd.DataFrame,
        *,
        on_bad_rows: str = "fail",
        allow_pickle: bool = False,
        nan_policy: str = "reject",
        log: bool = True,
    ) -> BatchScores:
        """Predict every row of ``frame`` with the version ``uri`` names now.

        See :func:`rung.serving.score_frame`: ``on_bad_rows`` is ``fail``,
        ``skip`` or ``route`` (the rows left out come back in ``bad_rows``).
        """
        from rung import serving

        return serving.score_frame(
            self.workspace,
            uri,
            frame,
            on_bad_rows=on_bad_rows,
            allow_pickle=allow_pickle,
            nan_policy=nan_policy,
            log=log,
        )

    def predict_file(
        self,
        uri: str,
        source: Path,
        target: Path,
        *,
        on_bad_rows: str = "fail",
        bad_rows_output: Path | None = None,
        allow_pickle: bool = False,
        nan_policy: str = "reject",
    ) -> BatchScores:
        """Score a Parquet/CSV file into another; every scored row is logged.

        See :func:`rung.serving.predict_file`; ``route`` writes the rows left
        out to ``bad_rows_output``.
        """
        from rung import serving

        return serving.predict_file(
            self.workspace,
            uri,
            source,
            target,
            on_bad_rows=on_bad_rows,
            bad_rows_output=bad_rows_output,
            allow_pickle=allow_pickle,
            nan_policy=nan_policy,
        )

    def query_predictions(self, sql: str, *, model: str | None = None) -> pd.DataFrame:
        """SQL (DuckDB) over the prediction log's ``predictions`` and ``feedback``."""
        from rung import serving

        return serving.query_predictions(self.workspace, sql, model=model)

    def log_feedback(
        self, model: str, labels: Mapping[str, Any], *, overwrite: bool = False
    ) -> PredictionBatchRecord:
        """Attach ground-truth labels to logged predictions (all or nothing).

        See :func:`rung.serving.log_feedback`: every label is checked first;
        ``overwrite`` replaces labels the ids already have.
        """
        from rung import serving

        return serving.log_feedback(self.workspace, model, labels, overwrite=overwrite)

    def sample_predictions(
        self,
        deployment: str,
        *,
        n: int = 200,
        stratify: str | None = None,
        feature: str | None = None,
        since: float | None = None,
        until: float | None = None,
        seed: int = 0,
        include_labelled: bool = False,
    ) -> pd.DataFrame:
        """A labelling sheet: ``n`` logged predictions to label by hand.

        See :func:`rung.serving.sample_predictions`: a deployment id or name,
        or a model name; ``stratify`` is ``prediction`` or ``feature``.
        """
        from rung import serving

        return serving.sample_predictions(
            self.workspace,
            deployment,
            n=n,
            stratify=stratify,
            feature=feature,
            since=since,
            until=until,
            seed=seed,
            include_labelled=include_labelled,
        )

    def import_feedback(
        self,
        sheet: pd.DataFrame | str | Path,
        *,
        model: str | None = None,
        overwrite: bool = False,
    ) -> FeedbackImport:
        """Load a filled labelling sheet as labels (checked whole first).

        See :func:`rung.serving.import_feedback`: empty labels and labels
        already recorded are skipped and counted; any other bad row fails
        the import, which then writes nothing.
        """
        from rung import serving

        return serving.import_feedback(
            self.workspace, sheet, model=model, overwrite=overwrite
        )

    def list_prediction_batches(
        self,
        *,
        kind: str = "predictions",
        model: str | None = None,
        limit: int | None = 20,
    ) -> list[PredictionBatchRecord]:
        """The newest batches of the log, newest first.

        ``kind``: ``predictions``, ``feedback`` or ``quarantine`` (rows the
        log could not store, with why).
        """
        return self.workspace.deployments.list_prediction_batches(
            project=self.workspace.project,
            kind=kind,
            model=model,
            limit=limit,
        )

    def list_deployments(self, *, model: str | None = None) -> list[DeploymentRecord]:
        """Deployments, newest first (those whose server died are marked failed)."""
        from rung import serving

        serving.reap_dead_deployments(self.workspace)
        return self.workspace.deployments.list_deployments(
            project=self.workspace.project, model=model
        )
