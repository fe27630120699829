"""Small churn models and a real prediction log with feedback, for the
champion/challenger tests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rung import registry
from rung.registry import promote_model
from rung.serving import log_feedback, log_predictions

if TYPE_CHECKING:
    from rung.registry.records import ModelVersionRecord
    from rung.workspace import Workspace

FEATURES = ["tenure", "spend", "region"]


def churn_frame(rows: int = 400, seed: int = 0) -> pd.DataFrame:
    """Two numeric features, a region, and a 0/1 label that depends on all three."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "tenure": rng.normal(size=rows),
            "spend": rng.normal(size=rows),
            "region": rng.choice(["CA", "NY", "TX"], size=rows).astype(object),
        }
    )
    boost = frame["region"].map({"CA": 0.8, "NY": -0.4, "TX": 0.0})
    frame["churned"] = (frame["tenure"] + 0.5 * frame["spend"] + boost > 0).astype(int)
    return frame


def fit(frame: pd.DataFrame, *, noise: float = 0.0, seed: int = 1) -> Any:
    """One-hot region + logistic regression; ``noise`` flips that share of labels."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    y = frame["churned"].to_numpy().copy()
    flip = np.random.default_rng(seed).random(len(y)) < noise
    y[flip] = 1 - y[flip]
    prep = ColumnTransformer(
        [("region", OneHotEncoder(handle_unknown="ignore"), ["region"])],
        remainder="passthrough",
    )
    model = Pipeline([("prep", prep), ("clf", LogisticRegression(max_iter=500))])
    return model.fit(frame[FEATURES], y)


def register(workspace: Workspace, model: Any, **options: Any) -> ModelVersionRecord:
    """Register ``model`` as a version of ``churn`` with the feature signature."""
    signature = churn_frame(20)[FEATURES]
    return registry.register_model(
        workspace, model, name="churn", signature=signature, **options
    )


def weak_and_strong(workspace: Workspace) -> tuple[Any, Any]:
    """v1 (trained on noisy labels, in production) and v2 (clean labels)."""
    train = churn_frame(600, seed=3)
    weak, strong = fit(train, noise=0.35), fit(train)
    register(workspace, weak)
    register(workspace, strong)
    promote_model(workspace, "churn", 1, "production")
    return weak, strong


def serve_and_label(
    workspace: Workspace,
    model: Any,
    version: str = "churn/1",
    *,
    rows: int = 300,
    seed: int = 11,
    labelled: float = 1.0,
    timestamp: float | None = None,
    deployment_id: str | None = None,
    wrong: bool = False,
) -> list[str]:
    """Log ``model``'s predictions on fresh rows and the true labels of a share.

    ``wrong`` sends the opposite labels (a model that went bad in production).
    """
    frame = churn_frame(rows, seed=seed)
    inputs = frame[FEATURES]
    outputs = {
        "prediction": model.predict(inputs),
        "probabilities": model.predict_proba(inputs),
        "classes": list(model.classes_),
    }
    ids = log_predictions(
        workspace,
        version,
        inputs,
        outputs,
        timestamp=timestamp,
        deployment_id=deployment_id,
    )
    truth = frame["churned"].to_numpy()
    if wrong:
        truth = 1 - truth
    keep = int(rows * labelled)
    if keep:
        log_feedback(
            workspace,
            "churn",
            {pid: int(y) for pid, y in zip(ids[:keep], truth[:keep], strict=True)},
        )
    return ids


def specialist_and_generalist(workspace: Workspace) -> tuple[Any, Any]:
    """v1 (in production): trained on region CA only, best there, poor elsewhere.
    v2: trained everywhere but on noisy CA labels: better overall, worse on CA."""
    train = churn_frame(600, seed=3)
    noisy = train.copy()
    flip = (noisy["region"] == "CA").to_numpy() & (
        np.random.default_rng(5).random(len(noisy)) < 0.4
    )
    noisy.loc[flip, "churned"] = 1 - noisy.loc[flip, "churned"]
    specialist, generalist = fit(train[train["region"] == "CA"]), fit(noisy)
    register(workspace, specialist)
    register(workspace, generalist)
    promote_model(workspace, "churn", 1, "production")
    return specialist, generalist
