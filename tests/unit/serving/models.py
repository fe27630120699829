"""Small models registered in a workspace, for the serving tests."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rung.registry import promote_model, register_model

if TYPE_CHECKING:
    from collections.abc import Iterator

    from rung.registry.records import ModelVersionRecord
    from rung.serving import ModelService, ServeOptions
    from rung.workspace import Workspace

FEATURES = ["tenure", "spend", "calls"]


def churn_frame(rows: int = 300, seed: int = 0) -> pd.DataFrame:
    """Numeric features (two floats and an int) and a 0/1 label."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "tenure": rng.normal(size=rows),
            "spend": rng.normal(size=rows),
            "calls": rng.integers(0, 5, size=rows),
        }
    )
    frame["churned"] = (frame["tenure"] + 0.1 * frame["calls"] > 0).astype(int)
    return frame


def register_churn(
    workspace: Workspace, *, versions: int = 2, promote: int | None = 1
) -> list[ModelVersionRecord]:
    """Register ``versions`` logistic regressions of ``churn``; promote one."""
    from sklearn.linear_model import LogisticRegression

    data = churn_frame()
    X, y = data[FEATURES], data["churned"]
    records = []
    for i in range(versions):
        model = LogisticRegression(C=1.0 / (i + 1)).fit(X, y)
        records.append(register_model(workspace, model, name="churn", signature=X))
    if promote is not None:
        promote_model(workspace, "churn", promote, "production")
    return records


def register_mixed(workspace: Workspace) -> ModelVersionRecord:
    """A pipeline over a string, an int and a nullable float column."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "plan": rng.choice(["basic", "pro"], size=200).astype(object),
            "age": rng.integers(18, 80, size=200),
            "spend": rng.normal(size=200),
        }
    )
    frame.loc[::10, "spend"] = np.nan
    y = (frame["age"] > 40).astype(int)
    model = Pipeline(
        [
            (
                "prep",
                ColumnTransformer(
                    [
                        ("plan", OneHotEncoder(handle_unknown="error"), ["plan"]),
                        ("spend", SimpleImputer(), ["spend"]),
                    ],
                    remainder="passthrough",
                ),
            ),
            ("clf", LogisticRegression(max_iter=500)),
        ]
    ).fit(frame, y)
    record = register_model(workspace, model, name="mixed", signature=frame)
    promote_model(workspace, "mixed", record.version, "production")
    return record


def row(**overrides: Any) -> dict[str, Any]:
    """One valid churn input row."""
    return {"tenure": 0.5, "spend": -0.2, "calls": 2, **overrides}


class PickledOnly:
    """A model no safe materializer stores: it is saved with pickle."""

    def predict(self, rows: Any) -> list[int]:
        return [0] * len(rows)


@contextlib.contextmanager
def started_service(
    workspace: Workspace, uri: str, options: ServeOptions
) -> Iterator[ModelService]:
    """A started service of ``uri`` (the version it names now), closed on exit."""
    from rung.serving import ModelService, ServedModel

    served = ServedModel.load(workspace, uri)
    svc = ModelService(workspace, uri, options, served=served)
    svc.start()
    try:
        yield svc
    finally:
        svc.close()
