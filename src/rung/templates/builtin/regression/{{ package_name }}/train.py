"""Train: fit the regression model."""

from __future__ import annotations

import pandas as pd
import rung
from rung import step
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler


def build_model(alpha: float) -> Pipeline:
    """Standardised inputs into a ridge regression (``alpha``: L2 penalty)."""
    return make_pipeline(StandardScaler(), Ridge(alpha=alpha))


@step
def train(data: pd.DataFrame, target: str, alpha: float = 1.0) -> Pipeline:
    """Fit the model on the training rows; log its parameters."""
    model = build_model(alpha).fit(data.drop(columns=target), data[target])
    rung.log_params({"alpha": alpha, "train_rows": len(data)})
    return model
