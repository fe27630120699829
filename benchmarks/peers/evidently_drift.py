"""Evidently: ``Report([DataDriftPreset()]).run`` on the same seeded data.

python evidently_drift.py --rows 100000
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd

FEATURES = 20


def make_data(rows: int, seed: int = 42) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    names = [f"f{i}" for i in range(FEATURES)]
    reference = {n: rng.normal(size=rows) for n in names}
    current = {
        n: rng.normal(0.1 if i < 10 else 0.0, 1.0, rows) for i, n in enumerate(names)
    }
    return pd.DataFrame(reference), pd.DataFrame(current)


def run(reference: pd.DataFrame, current: pd.DataFrame) -> float:
    from evidently import Report
    from evidently.presets import DataDriftPreset

    start = time.perf_counter()
    Report([DataDriftPreset()]).run(current, reference)
    return time.perf_counter() - start


def main() -> None:
    import evidently

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    run(*make_data(2_000, seed=1))  # warm-up
    seconds = run(*make_data(args.rows))
    print(json.dumps({"value": seconds, "unit": "s", "version": evidently.__version__}))


if __name__ == "__main__":
    main()
