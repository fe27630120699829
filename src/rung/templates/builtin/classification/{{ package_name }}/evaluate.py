"""Evaluate: score the model on the held-out rows and log the metrics."""

from __future__ import annotations

import pandas as pd
import rung
from rung import step
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.pipeline import Pipeline


def score(model: Pipeline, data: pd.DataFrame, target: str) -> dict[str, float]:
    """Accuracy, macro F1 and (two classes) ROC AUC of ``model`` on ``data``."""
    inputs, truth = data.drop(columns=target), data[target]
    predicted = model.predict(inputs)
    scores = {
        "accuracy": float(accuracy_score(truth, predicted)),
        "f1": float(f1_score(truth, predicted, average="macro")),
    }
    if truth.nunique() == 2:
        proba = model.predict_proba(inputs)[:, 1]
        scores["roc_auc"] = float(roc_auc_score(truth, proba))
    return scores


@step
def evaluate(model: Pipeline, data: pd.DataFrame, target: str) -> dict[str, float]:
    """The held-out scores, logged as the run's metrics."""
    scores = score(model, data, target)
    rung.log_metrics(scores)
    return scores
