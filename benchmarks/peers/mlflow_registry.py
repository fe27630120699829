"""MLflow: registering model versions, moving an alias, loading by alias.

The same workload as ``rung_workloads/registry.py``: a LogisticRegression on
10,000 x 20 is fitted and logged once (``pip_requirements`` given, so no
requirement inference), untimed. Then, timed one call at a time:
``mlflow.register_model(<logged model uri>, name)`` x ``--versions``,
``set_registered_model_alias`` x ``--moves``, and
``mlflow.sklearn.load_model("models:/lr-bench@champion")`` x ``--loads``.
Needs ``MLFLOW_TRACKING_URI`` (the harness points it at a fresh SQLite file).

    python mlflow_registry.py --versions 20 --moves 10 --loads 20
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import mlflow
import mlflow.sklearn
import numpy as np
import pandas as pd
from mlflow import MlflowClient
from sklearn.linear_model import LogisticRegression

NAME = "lr-bench"


def _timed(calls: int, action: object) -> list[float]:
    samples = []
    for i in range(calls):
        start = time.perf_counter()
        action(i)  # type: ignore[operator]
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--versions", type=int, default=20)
    parser.add_argument("--moves", type=int, default=10)
    parser.add_argument("--loads", type=int, default=20)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        rng.normal(size=(10_000, 20)), columns=[f"x{i}" for i in range(20)]
    )
    label = (frame["x0"] + rng.normal(size=10_000) > 0).astype(int)
    model = LogisticRegression(max_iter=200).fit(frame, label)
    mlflow.set_experiment("benchmark")
    with mlflow.start_run():
        mlflow.log_metric("accuracy", float(model.score(frame, label)))
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            input_example=frame.head(2),
            pip_requirements=["scikit-learn"],
        )
    uri = info.model_uri  # MLflow 3: a logged model, models:/m-...
    client = MlflowClient()
    first = mlflow.register_model(uri, NAME)  # warm-up, discarded

    register = _timed(args.versions, lambda i: mlflow.register_model(uri, NAME))
    versions = (str(int(first.version) + 1), first.version)
    move = _timed(
        args.moves,
        lambda i: client.set_registered_model_alias(NAME, "champion", versions[i % 2]),
    )
    load = _timed(
        args.loads, lambda i: mlflow.sklearn.load_model(f"models:/{NAME}@champion")
    )
    print(
        json.dumps(
            {
                "value": statistics.median(register),
                "unit": "ms/version",
                "samples": register,
                "alias_ms": statistics.median(move),
                "load_ms": statistics.median(load),
                "alias_samples": move,
                "load_samples": load,
            }
        )
    )


if __name__ == "__main__":
    main()
