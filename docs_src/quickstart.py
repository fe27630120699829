"""Quickstart: a pipeline from plain functions (docs/guide.md, "Pipelines")."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
from sklearn.linear_model import LogisticRegression

import rung
from rung import pipeline, step


@step
def load(rows: int = 200) -> pd.DataFrame:
    frame = pd.DataFrame({"x": range(rows)})
    frame["y"] = (frame["x"] % 3 == 0).astype(int)
    return frame


@step
def split(
    data: pd.DataFrame, test_share: float = 0.25
) -> tuple[Annotated[pd.DataFrame, "train"], Annotated[pd.DataFrame, "test"]]:
    cut = int(len(data) * (1 - test_share))
    return data.iloc[:cut], data.iloc[cut:]


@step
def train(data: pd.DataFrame, C: float = 1.0) -> LogisticRegression:
    model = LogisticRegression(C=C).fit(data[["x"]], data["y"])
    return model


@step
def evaluate(model: LogisticRegression, data: pd.DataFrame) -> float:
    accuracy = float(model.score(data[["x"]], data["y"]))
    rung.log_metric("accuracy", accuracy)
    return accuracy


@pipeline
def training(rows: int = 200, C: float = 1.0) -> None:
    train_df, test_df = split(load(rows))
    evaluate(train(train_df, C=C), test_df)


if __name__ == "__main__":
    first = training(C=0.5)
    second = training(C=0.5)  # unchanged: every step comes from the cache
    print(first.status, first.metrics["accuracy"])
    print({name: s.status for name, s in second.steps.items()})
