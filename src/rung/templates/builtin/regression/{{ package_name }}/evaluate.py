"""Evaluate: score the model on the held-out rows and log the metrics."""

from __future__ import annotations

import pandas as pd
import rung
from rung import step
from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error
from sklearn.pipeline import Pipeline


def score(model: Pipeline, data: pd.DataFrame, target: str) -> dict[str, float]:
    """R², mean absolute error and root mean squared error on ``data``."""
    truth = data[target]
    predicted = model.predict(data.drop(columns=target))
    return {
        "r2": float(r2_score(truth, predicted)),
        "mae": float(mean_absolute_error(truth, predicted)),
        "rmse": float(root_mean_squared_error(truth, predicted)),
    }


@step
def evaluate(model: Pipeline, data: pd.DataFrame, target: str) -> dict[str, float]:
    """The held-out scores, logged as the run's metrics."""
    scores = score(model, data, target)
    rung.log_metrics(scores)
    return scores
