"""NannyML: ``CBPE`` (binary, 5 metrics, 10 chunks), fit + estimate.

Same seeded data as Rung's ``rung_workloads/estimate.py``: fit(reference),
then estimate(analysis) for accuracy, precision, recall, F1 and ROC AUC.
One timed run after an untimed warm-up on small data.

    python nannyml_estimate.py --reference 100000 --analysis 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import pandas as pd

CHUNKS = 10
METRICS = ["accuracy", "precision", "recall", "f1", "roc_auc"]


def make_data(
    reference: int, analysis: int, seed: int = 42
) -> tuple[pd.DataFrame, pd.DataFrame]:
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


def run(
    reference: pd.DataFrame, analysis: pd.DataFrame
) -> tuple[float, object, object]:
    import nannyml as nml

    start = time.perf_counter()
    estimator = nml.CBPE(
        y_pred_proba="proba_1",
        y_pred="prediction",
        y_true="label",
        problem_type="classification_binary",
        metrics=METRICS,
        chunk_number=CHUNKS,
    )
    estimator.fit(reference)
    result = estimator.estimate(analysis)
    return time.perf_counter() - start, estimator, result


def main() -> None:
    os.environ.setdefault("NML_DISABLE_USAGE_LOGGING", "1")
    import warnings

    import nannyml

    warnings.filterwarnings("ignore")  # NannyML warns about few chunks
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reference", type=int, default=100_000)
    parser.add_argument("--analysis", type=int, default=1_000_000)
    args = parser.parse_args()
    run(*make_data(5_000, 5_000, seed=1))  # warm-up
    seconds, estimator, result = run(*make_data(args.reference, args.analysis))
    frame = result.filter(period="analysis").to_df()
    print(
        json.dumps(
            {
                "value": seconds,
                "unit": "s",
                "version": nannyml.__version__,
                "calibrated": {"1": bool(estimator.needs_calibration)},
                "estimates": {m: frame[(m, "value")].tolist() for m in METRICS},
            }
        )
    )


if __name__ == "__main__":
    main()
