"""A small, real training pipeline (scikit-learn's breast-cancer data set).

Run it from the shell with ``rung run src/rung/demo/training.py:training -p C=0.3``
or from Python with ``training(C=0.3)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import rung
from rung import pipeline, step

if TYPE_CHECKING:
    import pandas as pd
    from sklearn.pipeline import Pipeline as SkPipeline

__all__ = ["evaluate", "load_data", "split", "train", "training"]


@step
def load_data() -> pd.DataFrame:
    """The breast-cancer data set shipped inside scikit-learn, as a DataFrame."""
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame
    print(f"loaded {len(frame)} rows x {frame.shape[1]} columns")
    return frame


@step
def split(
    data: pd.DataFrame, test_size: float = 0.25, seed: int = 0
) -> tuple[Annotated[pd.DataFrame, "train"], Annotated[pd.DataFrame, "test"]]:
    """Stratified train/test split."""
    from sklearn.model_selection import train_test_split

    train_df, test_df = train_test_split(
        data, test_size=test_size, random_state=seed, stratify=data["target"]
    )
    return train_df.reset_index(drop=True), test_df.reset_index(drop=True)


@step
def train(data: pd.DataFrame, C: float = 1.0) -> SkPipeline:
    """Standard-scaled logistic regression."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=1000))
    model.fit(data.drop(columns="target"), data["target"])
    rung.log_params({"C": C, "train_rows": len(data)})
    return model


@step
def evaluate(model: SkPipeline, data: pd.DataFrame) -> dict[str, float]:
    """Accuracy, F1 and ROC AUC on the held-out data, logged as metrics."""
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

    features, target = data.drop(columns="target"), data["target"]
    predicted = model.predict(features)
    scores = {
        "accuracy": float(accuracy_score(target, predicted)),
        "f1": float(f1_score(target, predicted)),
        "roc_auc": float(roc_auc_score(target, model.predict_proba(features)[:, 1])),
    }
    rung.log_metrics(scores)
    return scores


@pipeline
def training(C: float = 1.0, test_size: float = 0.25, seed: int = 0) -> None:
    """Load, split, train and evaluate."""
    train_df, test_df = split(load_data(), test_size=test_size, seed=seed)
    model = train(train_df, C=C)
    evaluate(model, test_df)
