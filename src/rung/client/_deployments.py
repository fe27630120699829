"""``Client`` methods for serving and the prediction log (``rung.serving``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    import pandas as pd

    from rung.serving import Endpoint, ServeOptions, ServerRunner
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

    def predict_file(
        self,
        uri: str,
        source: Path,
        target: Path,
        *,
        allow_pickle: bool = False,
        nan_policy: str = "reject",
    ) -> int:
        """Score a Parquet/CSV file with a model version; every row is logged."""
        from rung import serving

        return serving.predict_file(
            self.workspace,
            uri,
            source,
            target,
            allow_pickle=allow_pickle,
            nan_policy=nan_policy,
        )

    def query_predictions(self, sql: str, *, model: str | None = None) -> pd.DataFrame:
        """SQL (DuckDB) over the prediction log's ``predictions`` and ``feedback``."""
        from rung import serving

        return serving.query_predictions(self.workspace, sql, model=model)

    def list_prediction_batches(
        self,
        *,
        model: str | None = None,
        feedback: bool = False,
        limit: int | None = 20,
    ) -> list[PredictionBatchRecord]:
        """The newest batches of the prediction (or feedback) log."""
        return self.workspace.deployments.list_prediction_batches(
            project=self.workspace.project,
            kind="feedback" if feedback else "predictions",
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
