"""Validate: stop the run when the data cannot be used."""

from __future__ import annotations

import pandas as pd
from rung import step


def find_problems(data: pd.DataFrame, target: str, min_rows: int) -> list[str]:
    """Every reason ``data`` cannot train a classifier (empty: none)."""
    if target not in data.columns:
        return [f"no target column {target!r}; columns: {list(data.columns)}"]
    problems = []
    if len(data) < min_rows:
        problems.append(f"{len(data)} rows, fewer than min_rows={min_rows}")
    if data[target].nunique() < 2:
        problems.append(f"the target {target!r} has fewer than two classes")
    inputs = data.drop(columns=target)
    text = [c for c in inputs.columns if not pd.api.types.is_numeric_dtype(inputs[c])]
    if text:
        problems.append(f"non-numeric columns {text}: encode them in features.py")
    missing = [c for c in data.columns if data[c].isna().any()]
    if missing:
        problems.append(f"missing values in {missing}")
    return problems


def find_batch_problems(batch: pd.DataFrame, id_column: str) -> list[str]:
    """Every reason ``batch`` cannot be scored (empty: none)."""
    if id_column not in batch.columns:
        return [f"no id column {id_column!r}; columns: {list(batch.columns)}"]
    problems = []
    if batch.empty:
        problems.append("no rows to score")
    duplicated = batch[id_column][batch[id_column].duplicated()].unique().tolist()
    if duplicated:
        problems.append(f"duplicate ids {duplicated[:5]}")
    missing = [c for c in batch.columns if batch[c].isna().any()]
    if missing:
        problems.append(f"missing values in {missing}")
    return problems


def _fail_on(problems: list[str], what: str) -> None:
    if problems:
        listing = "\n  - ".join(problems)
        raise ValueError(f"The {what} cannot be used:\n  - {listing}")


@step
def validate(data: pd.DataFrame, target: str, min_rows: int = 50) -> pd.DataFrame:
    """Pass the training rows on unchanged, or fail naming every problem."""
    _fail_on(find_problems(data, target, min_rows), "training data")
    return data


@step
def validate_batch(batch: pd.DataFrame, id_column: str = "id") -> pd.DataFrame:
    """Pass the batch on unchanged, or fail naming every problem."""
    _fail_on(find_batch_problems(batch, id_column), "batch")
    return batch
