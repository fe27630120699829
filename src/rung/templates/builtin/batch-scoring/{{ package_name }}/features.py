"""Features: the model's input columns, for training and for scoring alike."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
from rung import step
from sklearn.model_selection import train_test_split


def add_features(data: pd.DataFrame) -> pd.DataFrame:
    """Derived input columns; the sample data's columns are used as they are.

    Training and scoring both prepare rows with this function, so keep it
    free of anything that looks at the target.
    """
    return data.copy()


@step
def features(
    data: pd.DataFrame, target: str, test_size: float = 0.25, seed: int = 0
) -> tuple[Annotated[pd.DataFrame, "train"], Annotated[pd.DataFrame, "test"]]:
    """Add the derived columns, then split the rows (stratified on the target)."""
    frame = add_features(data)
    train_df, test_df = train_test_split(
        frame, test_size=test_size, random_state=seed, stratify=frame[target]
    )
    return train_df.reset_index(drop=True), test_df.reset_index(drop=True)


@step
def batch_features(batch: pd.DataFrame) -> pd.DataFrame:
    """The batch with the derived columns (its id column is kept)."""
    return add_features(batch)
