"""MLflow: creating and finishing a run with 5 params and 5 metrics.

The same workload as ``rung_workloads/run_creation.py``: ``--runs`` x
``with mlflow.start_run(): mlflow.log_params(...); mlflow.log_metrics(...)``,
reported in milliseconds per run. A first run (schema migrations) is not timed.
Needs ``MLFLOW_TRACKING_URI`` (the harness points it at a fresh SQLite file).

    python mlflow_runs.py --runs 200
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import mlflow


def _create_runs(runs: int) -> float:
    start = time.perf_counter()
    for i in range(runs):
        with mlflow.start_run():
            mlflow.log_params({f"p{k}": i * 10 + k for k in range(5)})
            mlflow.log_metrics({f"m{k}": (i + k) / 7 for k in range(5)})
    return (time.perf_counter() - start) / runs * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()

    mlflow.set_experiment("benchmark")
    _create_runs(1)  # warm-up, discarded
    samples = [_create_runs(args.runs) for _ in range(args.repeats)]
    print(
        json.dumps(
            {"value": statistics.median(samples), "unit": "ms/run", "samples": samples}
        )
    )


if __name__ == "__main__":
    main()
