"""NannyML: ``UnivariateDriftCalculator`` (KS + Jensen-Shannon, one chunk).

fit(reference) + calculate(current) on the same seeded data as Rung's.

    python nannyml_drift.py --rows 1000000
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
    import nannyml as nml

    start = time.perf_counter()
    calculator = nml.UnivariateDriftCalculator(
        column_names=list(reference.columns),
        continuous_methods=["kolmogorov_smirnov", "jensen_shannon"],
        chunk_number=1,
    )
    calculator.fit(reference)
    calculator.calculate(current)
    return time.perf_counter() - start


def main() -> None:
    import nannyml

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    run(*make_data(2_000, seed=1))  # warm-up
    seconds = run(*make_data(args.rows))
    print(json.dumps({"value": seconds, "unit": "s", "version": nannyml.__version__}))


if __name__ == "__main__":
    main()
