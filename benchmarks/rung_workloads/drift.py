"""Rung: data drift on ``--rows`` x 20 numeric features, reference vs current.

Seeded data: 20 standard-normal columns on each side, +0.1 sd in the first 10
columns of the current side. Times ``rung.monitoring.compute_drift`` (KS with
p-value, PSI, normalised Wasserstein and Jensen-Shannon for every column,
plus the verdicts) on two pandas DataFrames, after an untimed warm-up on
small data. Prints the median seconds of ``--repeats`` runs.

    python drift.py --rows 1000000 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
import pandas as pd

from rung.monitoring import compute_drift

FEATURES = 20


def make_data(rows: int, seed: int = 42) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The benchmark's data (the same code in every peer script)."""
    rng = np.random.default_rng(seed)
    names = [f"f{i}" for i in range(FEATURES)]
    reference = {n: rng.normal(size=rows) for n in names}
    current = {
        n: rng.normal(0.1 if i < 10 else 0.0, 1.0, rows) for i, n in enumerate(names)
    }
    return pd.DataFrame(reference), pd.DataFrame(current)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    small_ref, small_cur = make_data(2_000, seed=1)
    compute_drift(small_ref, small_cur)  # warm-up: imports, first allocations
    reference, current = make_data(args.rows)
    samples, result = [], None
    for _ in range(args.repeats):
        start = time.perf_counter()
        result = compute_drift(reference, current)
        samples.append(time.perf_counter() - start)
    assert result is not None
    print(
        json.dumps(
            {
                "value": statistics.median(samples),
                "unit": "s",
                "samples": samples,
                "rows": args.rows,
                "drifted_wasserstein": len(result.drifted_features),
                "drifted_ks_p05": sum(
                    f.stats["ks_pvalue"] < 0.05 for f in result.features.values()
                ),
            }
        )
    )


if __name__ == "__main__":
    main()
