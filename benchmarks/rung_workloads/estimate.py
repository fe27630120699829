"""Rung: CBPE (performance without labels) over ``--analysis`` predictions.

Seeded binary data: the true probability of a row is sigmoid(z), z ~ N(0, 2);
the model reports sigmoid(1.6 z), an over-confident score, so the
calibration check recalibrates it (the slower path). The analysis rows are
shifted (z ~ N(-0.5, 2)) and carry no labels. Times
``fit_cbpe(reference, chunk_number=10)`` + ``.estimate(analysis)`` for all
five metrics (accuracy, precision, recall, F1, ROC AUC) on pandas
DataFrames, after an untimed warm-up on small data. Prints the median
seconds of ``--repeats`` runs and the estimates of the last run.

    python estimate.py --reference 100000 --analysis 1000000 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
import pandas as pd

from rung.monitoring import fit_cbpe

CHUNKS = 10


def make_data(
    reference: int, analysis: int, seed: int = 42
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The benchmark's data (the same code in the peer script)."""
    rng = np.random.default_rng(seed)

    def rows(count: int, shift: float) -> pd.DataFrame:
        z = rng.normal(shift, 2.0, count)
        label = (rng.random(count) < 1.0 / (1.0 + np.exp(-z))).astype(np.int64)
        score = 1.0 / (1.0 + np.exp(-1.6 * z))
        prediction = (score >= 0.5).astype(np.int64)
        return pd.DataFrame(
            {"label": label, "prediction": prediction, "proba_1": score}
        )

    return rows(reference, 0.0), rows(analysis, -0.5).drop(columns="label")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reference", type=int, default=100_000)
    parser.add_argument("--analysis", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    small_reference, small_analysis = make_data(5_000, 5_000, seed=1)
    fit_cbpe(small_reference, chunk_number=CHUNKS).estimate(small_analysis)  # warm-up
    reference, analysis = make_data(args.reference, args.analysis)
    samples, result, calibrated = [], None, None
    for _ in range(args.repeats):
        start = time.perf_counter()
        estimator = fit_cbpe(reference, chunk_number=CHUNKS)
        result = estimator.estimate(analysis)
        samples.append(time.perf_counter() - start)
        calibrated = estimator.calibrated
    assert result is not None
    print(
        json.dumps(
            {
                "value": statistics.median(samples),
                "unit": "s",
                "samples": samples,
                "reference_rows": args.reference,
                "analysis_rows": args.analysis,
                "calibrated": calibrated,
                "estimates": {m: result.values(m) for m in result.metrics},
            }
        )
    )


if __name__ == "__main__":
    main()
