"""Small real pipelines the registry tests train models with."""

from __future__ import annotations

from typing import TYPE_CHECKING

import rung
from rung import pipeline, step
from rung.registry import register_model_step

if TYPE_CHECKING:
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

FEATURES = ["age", "income", "visits"]


@step
def make_data(rows: int = 80, seed: int = 0) -> pd.DataFrame:
    """Two numeric features and a count, plus the ``churned`` label."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 80, rows),
            "income": rng.normal(50.0, 10.0, rows),
            "visits": rng.integers(0, 9, rows),
        }
    )
    frame["churned"] = (frame["visits"] + rng.normal(0, 1, rows) < 4).astype(int)
    return frame


@step
def train(data: pd.DataFrame, C: float = 1.0) -> LogisticRegression:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=C, max_iter=500)
    model.fit(data[FEATURES], data["churned"])
    return model


@step
def evaluate(model: LogisticRegression, data: pd.DataFrame) -> dict[str, float]:
    scores = {"accuracy": float(model.score(data[FEATURES], data["churned"]))}
    rung.log_metrics(scores)
    return scores


@pipeline
def training(C: float = 1.0, seed: int = 0) -> None:
    data = make_data(seed=seed)
    model = train(data, C=C)
    evaluate(model, data)


@pipeline
def training_with_registration(C: float = 1.0) -> None:
    data = make_data()
    model = train(data, C=C)
    register_model_step(model, name="churn", metrics=evaluate(model, data))


@step
def train_and_register(data: pd.DataFrame, C: float = 1.0) -> LogisticRegression:
    """Train, then register the model from inside the step (as the docs show)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=C, max_iter=500)
    model.fit(data[FEATURES], data["churned"])
    rung.register_model(model, name="churn")
    return model


@pipeline
def training_registered_in_step(C: float = 1.0) -> None:
    train_and_register(make_data(), C=C)
