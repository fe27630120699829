"""Plain SciPy: ``scipy.stats.ks_2samp`` on each of the 20 columns.

Same seeded data as ``rung_workloads/drift.py``. Prints median seconds.

    python scipy_drift.py --rows 1000000 --repeats 1
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
import scipy
from scipy import stats

FEATURES = 20


def make_data(rows: int, seed: int = 42) -> tuple[dict, dict]:
    rng = np.random.default_rng(seed)
    names = [f"f{i}" for i in range(FEATURES)]
    reference = {n: rng.normal(size=rows) for n in names}
    current = {
        n: rng.normal(0.1 if i < 10 else 0.0, 1.0, rows) for i, n in enumerate(names)
    }
    return reference, current


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    small = make_data(2_000, seed=1)
    [stats.ks_2samp(small[0][n], small[1][n]) for n in small[0]]  # warm-up
    reference, current = make_data(args.rows)
    samples, drifted = [], 0
    for _ in range(args.repeats):
        start = time.perf_counter()
        results = [stats.ks_2samp(reference[n], current[n]) for n in reference]
        samples.append(time.perf_counter() - start)
        drifted = sum(r.pvalue < 0.05 for r in results)
    payload = {"value": statistics.median(samples), "unit": "s", "samples": samples}
    payload.update(version=scipy.__version__, drifted_ks_p05=int(drifted))
    print(json.dumps(payload))


if __name__ == "__main__":
    main()
