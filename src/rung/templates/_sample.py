"""Sample data for the built-in templates, from scikit-learn's bundled data sets.

Nothing downloads: scikit-learn ships these tables. A template writes them
into a new project with a copier task::

    python -m rung.templates._sample breast_cancer=data/sample.csv

Samples:

- ``breast_cancer``: 569 rows, 30 numeric columns and a binary ``target``.
- ``diabetes``: 442 rows, 10 columns (unscaled) and a numeric ``target``.
- ``scoring_training``: ``breast_cancer`` without its first 100 rows.
- ``scoring_batch``: the first 100 rows of ``breast_cancer``, with an ``id``
  column and no ``target``: a batch to score.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SAMPLES", "main", "sample_frame", "write_sample"]

_BATCH_ROWS = 100


def _breast_cancer() -> pd.DataFrame:
    from sklearn.datasets import load_breast_cancer

    frame: pd.DataFrame = load_breast_cancer(as_frame=True).frame
    return frame


def _diabetes() -> pd.DataFrame:
    from sklearn.datasets import load_diabetes

    frame: pd.DataFrame = load_diabetes(as_frame=True, scaled=False).frame
    return frame


def _scoring_training() -> pd.DataFrame:
    return _breast_cancer().iloc[_BATCH_ROWS:].reset_index(drop=True)


def _scoring_batch() -> pd.DataFrame:
    batch = _breast_cancer().iloc[:_BATCH_ROWS].drop(columns="target")
    batch.insert(0, "id", [f"row-{i:04d}" for i in range(len(batch))])
    return batch


SAMPLES: dict[str, Callable[[], pd.DataFrame]] = {
    "breast_cancer": _breast_cancer,
    "diabetes": _diabetes,
    "scoring_training": _scoring_training,
    "scoring_batch": _scoring_batch,
}


def sample_frame(name: str) -> pd.DataFrame:
    """The sample ``name`` as a DataFrame.

    Raises:
        KeyError: no sample has this name.

    Example:
        >>> sample_frame("diabetes").shape
        (442, 11)
    """
    if name not in SAMPLES:
        raise KeyError(f"No sample {name!r}. Samples: {sorted(SAMPLES)}.")
    return SAMPLES[name]()


def write_sample(name: str, path: Path) -> Path:
    """Write the sample ``name`` to ``path`` as CSV (atomically: temp + rename).

    Example:
        >>> write_sample("breast_cancer", Path("data/sample.csv"))  # doctest: +SKIP
    """
    frame = sample_frame(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        frame.to_csv(temp, index=False)
        Path(temp).replace(path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path


def main(argv: list[str]) -> int:
    """``NAME=PATH ...``: write each sample; return the exit status."""
    pairs = [arg.partition("=") for arg in argv]
    bad = [arg for arg, (name, sep, path) in zip(argv, pairs, strict=True) if not sep]
    unknown = [name for name, _, _ in pairs if name not in SAMPLES]
    if not argv or bad or unknown:
        sys.stderr.write(
            f"usage: python -m rung.templates._sample NAME=PATH ...; "
            f"samples: {', '.join(sorted(SAMPLES))}\n"
        )
        return 2
    for name, _, path in pairs:
        write_sample(name, Path(path))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
