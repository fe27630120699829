"""Run NannyML's CBPE or DLE on a case and print its per-chunk figures as JSON.

Run with the NannyML venv's Python (``scripts/setup-nannyml-venv.sh``), not
the project's: ``python _nannyml_reference.py CASE.json``. The case file
names the reference and analysis Parquet files and the estimator's options::

    {"method": "cbpe", "reference": "ref.parquet", "analysis": "ana.parquet",
     "chunk_size": 500, "metrics": ["accuracy", "roc_auc"],
     "problem_type": "classification_binary", "y_pred_proba": "proba_1"}

The last line of the output is ``{"version": ..., "calibrated": {...},
"chunks": [{"start", "stop", "metrics": {metric: {...}}}]}``. This file
imports nothing from Rung and runs under NannyML's own dependencies.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

FIELDS = {
    "value": "value",
    "sampling_error": "sampling_error",
    "lower_confidence": "lower_confidence_boundary",
    "upper_confidence": "upper_confidence_boundary",
    "lower_threshold": "lower_threshold",
    "upper_threshold": "upper_threshold",
    "alert": "alert",
}


def main() -> None:
    import nannyml as nml  # type: ignore[import-not-found]
    import pandas as pd

    case = json.loads(Path(sys.argv[1]).read_text())
    reference = pd.read_parquet(case["reference"])
    analysis = pd.read_parquet(case["analysis"])
    if case["method"] == "cbpe":
        estimator, calibrated = _cbpe(nml, case, reference)
    else:
        estimator = nml.DLE(
            feature_column_names=case["features"],
            y_pred="prediction",
            y_true="label",
            metrics=case["metrics"],
            chunk_size=case["chunk_size"],
        ).fit(reference)
        calibrated = {}
    frame = estimator.estimate(analysis).filter(period="analysis").to_df()
    chunks = []
    for _, row in frame.iterrows():
        chunks.append(
            {
                "start": int(row[("chunk", "start_index")]),
                "stop": int(row[("chunk", "end_index")]) + 1,
                "metrics": {
                    metric: {
                        ours: _plain(row[(metric, theirs)])
                        for ours, theirs in FIELDS.items()
                    }
                    for metric in case["metrics"]
                },
            }
        )
    print(
        json.dumps(
            {"version": nml.__version__, "calibrated": calibrated, "chunks": chunks}
        )
    )


def _cbpe(
    nml: Any, case: dict[str, Any], reference: Any
) -> tuple[Any, dict[str, bool]]:
    from nannyml.calibration import (  # type: ignore[import-not-found]
        NoopCalibrator,
    )

    proba = case["y_pred_proba"]
    if isinstance(proba, dict):  # class labels are ints in the data, text in JSON
        proba = {int(k): v for k, v in proba.items()}
    estimator = nml.CBPE(
        y_pred_proba=proba,
        y_pred="prediction",
        y_true="label",
        problem_type=case["problem_type"],
        metrics=case["metrics"],
        chunk_size=case["chunk_size"],
    ).fit(reference)
    if isinstance(proba, dict):
        calibrated = {
            str(k): not isinstance(c, NoopCalibrator)
            for k, c in estimator._calibrators.items()
        }
    else:
        calibrated = {"1": bool(estimator.needs_calibration)}
    return estimator, calibrated


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    number = float(value)
    return None if math.isnan(number) else number


if __name__ == "__main__":
    main()
