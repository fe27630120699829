"""Features: the model's input columns, and the train/test split."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
from rung import step
from sklearn.model_selection import train_test_split


def add_features(data: pd.DataFrame) -> pd.DataFrame:
    """Derived input columns; the sample data's columns are used as they are.

    Scoring must prepare rows with this same function, so keep it free of
    anything that looks at the target.
    """
    return data.copy()


@step
def features(
    data: pd.DataFrame, target: str, test_size: float = 0.25, seed: int = 0
) -> tuple[Annotated[pd.DataFrame, "train"], Annotated[pd.DataFrame, "test"]]:
    """Add the derived columns, then split the rows at random."""
    frame = add_features(data)
    train_df, test_df = train_test_split(frame, test_size=test_size, random_state=seed)
    return train_df.reset_index(drop=True), test_df.reset_index(drop=True)
