"""Validate: stop the run before training when the data cannot be used."""

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


@step
def validate(data: pd.DataFrame, target: str, min_rows: int = 50) -> pd.DataFrame:
    """Pass ``data`` on unchanged, or fail the run naming every problem."""
    problems = find_problems(data, target, min_rows)
    if problems:
        listing = "\n  - ".join(problems)
        raise ValueError(f"The data cannot train a model:\n  - {listing}")
    return data
