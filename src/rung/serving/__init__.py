"""Model serving and the prediction log.

``rung serve churn@production`` answers ``POST /predict`` with the version
behind the alias, logs every prediction without making the request wait
(Parquet micro-batches in the artifact store, indexed in the metadata store),
takes ground-truth labels on ``POST /feedback``, and switches to a new
version when the alias moves. This package is the framework-free part
(:func:`serve_deployment` runs a deployment's whole lifecycle); the HTTP app
lives in ``rung.server``.

The prediction log, for monitoring and analysis:

- :func:`read_predictions` returns a pandas DataFrame (DuckDB reads only the
  Parquet files of the asked model, version and window);
- :func:`prediction_relation` returns a DuckDB relation for large windows;
- :func:`log_predictions` / :func:`log_feedback` write rows directly;
- :func:`sample_predictions` draws a labelling sheet (predictions to label
  by hand), :func:`import_feedback` loads it back, filled in, as labels;
- :func:`score_frame` / :func:`predict_file` score tables in batch.

Importing this package is cheap: pandas, pyarrow and DuckDB load on first use.
It registers deployments and prediction batches as a lineage source.

Example:
    >>> from rung.serving import read_predictions
    >>> df = read_predictions(ws, "churn", last_n=1000)  # doctest: +SKIP
    >>> df[["prediction", "label"]].head()  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "NAN_POLICIES",
    "ON_BAD_ROWS",
    "BatchScores",
    "Endpoint",
    "FeedbackImport",
    "InputSchema",
    "LoadFailure",
    "ModelService",
    "Outputs",
    "Prediction",
    "PredictionIds",
    "PredictionLog",
    "ServeOptions",
    "ServedModel",
    "ServerRunner",
    "batch_predict_step",
    "bind_socket",
    "check_bind",
    "finish_deployment",
    "import_feedback",
    "is_loopback",
    "log_feedback",
    "log_predictions",
    "predict_file",
    "predict_frame",
    "prediction_relation",
    "query_predictions",
    "read_predictions",
    "reap_dead_deployments",
    "sample_predictions",
    "score_frame",
    "serve_deployment",
    "start_deployment",
]

_LAZY = {
    "NAN_POLICIES": "rung.serving._inputs",
    "Endpoint": "rung.serving._endpoint",
    "FeedbackImport": "rung.serving._sheets",
    "import_feedback": "rung.serving._sheets",
    "sample_predictions": "rung.serving._sample",
    "ON_BAD_ROWS": "rung.serving._batch",
    "BatchScores": "rung.serving._batch",
    "InputSchema": "rung.serving._inputs",
    "LoadFailure": "rung.serving._retry",
    "ModelService": "rung.serving._service",
    "Outputs": "rung.serving._model",
    "Prediction": "rung.serving._service",
    "PredictionIds": "rung.serving._ids",
    "PredictionLog": "rung.serving._log",
    "ServeOptions": "rung.serving._options",
    "ServedModel": "rung.serving._model",
    "ServerRunner": "rung.serving._endpoint",
    "batch_predict_step": "rung.serving._batch",
    "bind_socket": "rung.serving._endpoint",
    "check_bind": "rung.serving._deploy",
    "finish_deployment": "rung.serving._deploy",
    "reap_dead_deployments": "rung.serving._deploy",
    "is_loopback": "rung.serving._deploy",
    "log_feedback": "rung.serving._api",
    "log_predictions": "rung.serving._api",
    "predict_file": "rung.serving._batch",
    "predict_frame": "rung.serving._batch",
    "prediction_relation": "rung.serving._query",
    "query_predictions": "rung.serving._query",
    "read_predictions": "rung.serving._query",
    "serve_deployment": "rung.serving._endpoint",
    "score_frame": "rung.serving._batch",
    "start_deployment": "rung.serving._deploy",
}

# A string: the source is imported only when a lineage graph is built.


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'rung.serving' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:
    from rung.serving._api import log_feedback, log_predictions
    from rung.serving._batch import (
        ON_BAD_ROWS,
        BatchScores,
        batch_predict_step,
        predict_file,
        predict_frame,
        score_frame,
    )
    from rung.serving._deploy import (
        check_bind,
        finish_deployment,
        is_loopback,
        reap_dead_deployments,
        start_deployment,
    )
    from rung.serving._endpoint import (
        Endpoint,
        ServerRunner,
        bind_socket,
        serve_deployment,
    )
    from rung.serving._ids import PredictionIds
    from rung.serving._inputs import NAN_POLICIES, InputSchema
    from rung.serving._log import PredictionLog
    from rung.serving._model import Outputs, ServedModel
    from rung.serving._options import ServeOptions
    from rung.serving._query import (
        prediction_relation,
        query_predictions,
        read_predictions,
    )
    from rung.serving._retry import LoadFailure
    from rung.serving._sample import sample_predictions
    from rung.serving._service import ModelService, Prediction
    from rung.serving._sheets import FeedbackImport, import_feedback
