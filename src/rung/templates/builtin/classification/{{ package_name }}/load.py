"""Load: read the data from a CSV or Parquet file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from rung import step


def read_table(path: str) -> pd.DataFrame:
    """Read a ``.csv`` or ``.parquet`` file (a local path or an fsspec URL)."""
    if Path(path).suffix.lower() in {".parquet", ".pq"}:
        return pd.read_parquet(path)
    return pd.read_csv(path)


@step
def load(path: str) -> pd.DataFrame:
    """The rows at ``path``, one example per row."""
    frame = read_table(path)
    print(f"loaded {len(frame)} rows x {frame.shape[1]} columns from {path}")
    return frame
