"""MLflow: metric logging throughput, one value per call or 1,000 per call.

The same workload as ``rung_workloads/metric_logging.py``:
``--mode single``: ``--calls`` x ``mlflow.log_metric`` in one run;
``--mode batch``: ``--batches`` x ``MlflowClient.log_batch`` of ``--keys``
metrics (``Metric`` objects built before timing). MLflow writes synchronously,
so nothing is left to flush. A first run (schema migrations) is not timed.
Needs ``MLFLOW_TRACKING_URI`` (the harness points it at a fresh SQLite file).

    python mlflow_logging.py --mode single --calls 1000
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric


def _single(calls: int) -> float:
    with mlflow.start_run(run_name="log-metric"):
        start = time.perf_counter()
        for i in range(calls):
            mlflow.log_metric("loss", 1.0 / (i + 1), step=i)
        return calls / (time.perf_counter() - start)


def _batch(batches: int, keys: int) -> float:
    client = MlflowClient()
    with mlflow.start_run(run_name="log-batch") as run:
        ts = int(time.time() * 1000)
        payloads = [
            [Metric(f"m{k}", float(b * keys + k), ts, b) for k in range(keys)]
            for b in range(batches)
        ]
        start = time.perf_counter()
        for metrics in payloads:
            client.log_batch(run.info.run_id, metrics=metrics)
        return batches * keys / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mode", choices=["single", "batch"], default="single")
    parser.add_argument("--calls", type=int, default=1_000)
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--keys", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()

    mlflow.set_experiment("benchmark")
    with mlflow.start_run(run_name="warm-up"):
        mlflow.log_metric("warm", 1.0)
    samples = [
        _single(args.calls)
        if args.mode == "single"
        else _batch(args.batches, args.keys)
        for _ in range(args.repeats)
    ]
    print(
        json.dumps(
            {
                "value": statistics.median(samples),
                "unit": "values/s",
                "samples": samples,
            }
        )
    )


if __name__ == "__main__":
    main()
