"""Train: fit the classifier."""

from __future__ import annotations

import pandas as pd
import rung
from rung import step
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler


def build_model(C: float) -> Pipeline:
    """Standardised inputs into a logistic regression (``C``: inverse penalty)."""
    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=1000))


@step
def train(data: pd.DataFrame, target: str, C: float = 1.0) -> Pipeline:
    """Fit the model on the training rows; log its parameters."""
    model = build_model(C).fit(data.drop(columns=target), data[target])
    rung.log_params({"C": C, "train_rows": len(data)})
    return model
