"""Plain NumPy PSI on each of the 20 columns.

Reference-quantile bins (``np.quantile``, 10 bins, outer bins open) and
``np.histogram`` of both sides: the same PSI Rung computes. The equal-width
variant (10 bins over the reference's range) is timed too, as ``equal_width``.

    python numpy_psi.py --rows 1000000 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

FEATURES = 20
EPS = 1e-4


def make_data(rows: int, seed: int = 42) -> tuple[dict, dict]:
    rng = np.random.default_rng(seed)
    names = [f"f{i}" for i in range(FEATURES)]
    reference = {n: rng.normal(size=rows) for n in names}
    current = {
        n: rng.normal(0.1 if i < 10 else 0.0, 1.0, rows) for i, n in enumerate(names)
    }
    return reference, current


def psi(reference: np.ndarray, current: np.ndarray, quantile_bins: bool) -> float:
    if quantile_bins:
        edges = np.quantile(reference, np.linspace(0, 1, 11))
        edges = np.concatenate([[-np.inf], np.unique(edges[1:-1]), [np.inf]])
    else:
        edges = np.linspace(reference.min(), reference.max(), 11)
    p = np.maximum(np.histogram(reference, edges)[0] / reference.size, EPS)
    q = np.maximum(np.histogram(current, edges)[0] / current.size, EPS)
    return float(np.sum((q - p) * np.log(q / p)))


def timed(reference: dict, current: dict, quantile_bins: bool) -> float:
    start = time.perf_counter()
    for name, values in reference.items():
        psi(values, current[name], quantile_bins)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    timed(*make_data(2_000, seed=1), quantile_bins=True)  # warm-up
    reference, current = make_data(args.rows)
    samples = [timed(reference, current, True) for _ in range(args.repeats)]
    equal = [timed(reference, current, False) for _ in range(args.repeats)]
    payload = {"value": statistics.median(samples), "unit": "s", "samples": samples}
    payload.update(version=np.__version__, equal_width=statistics.median(equal))
    print(json.dumps(payload))


if __name__ == "__main__":
    main()
