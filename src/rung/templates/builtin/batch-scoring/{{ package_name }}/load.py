"""Load: the training data from a file, the batch to score from the catalog."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import rung
from rung import step
from rung.catalog import get_dataset, refresh_dataset, register_dataset
from rung.errors import DatasetNotFoundError
from rung.tracking import current_scope


def read_table(path: str) -> pd.DataFrame:
    """Read a ``.csv`` or ``.parquet`` file (a local path or an fsspec URL)."""
    if Path(path).suffix.lower() in {".parquet", ".pq"}:
        return pd.read_parquet(path)
    return pd.read_csv(path)


@step
def load(path: str) -> pd.DataFrame:
    """The labelled rows at ``path``, to train on."""
    frame = read_table(path)
    print(f"loaded {len(frame)} rows x {frame.shape[1]} columns from {path}")
    return frame


@step(cache=False)
def load_batch(
    dataset: str, source: str | None = None, schedule: str | None = None
) -> pd.DataFrame:
    """The newest version of the catalog dataset ``dataset``.

    The dataset is refreshed first: new content at its source becomes a new
    version, which this run then reads (and records in lineage). When the
    catalog has no such dataset and ``source`` is given (the development
    configuration), it is registered from ``source``, with ``schedule`` for
    ``rung datasets refresh --due``. Never cached: the source changes.
    """
    scope = current_scope()
    if scope is None:
        raise RuntimeError("load_batch reads the catalog inside a pipeline run.")
    workspace = scope.workspace
    try:
        get_dataset(workspace, dataset)
    except DatasetNotFoundError:
        if not source:
            raise
        uri = source if "://" in source else str(Path(source).resolve())
        register_dataset(workspace, dataset, uri, schedule=schedule)
        print(f"registered dataset {dataset} from {uri}")
    else:
        result = refresh_dataset(workspace, dataset)
        print(f"refreshed dataset {dataset}: {result.status}")
    return rung.load_dataset(dataset)
