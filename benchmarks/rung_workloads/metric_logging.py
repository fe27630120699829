"""Rung: metric logging throughput, one value per call or 1,000 per call.

``--mode single``: ``--calls`` x ``rung.log_metric`` in one run.
``--mode batch``: ``--batches`` x ``rung.log_metrics`` of ``--keys`` values.
The timed block ends after ``rung.flush()``, when every value is in SQLite.
A first run (schema creation, buffer thread start) is not timed.

    python metric_logging.py --mode single --calls 10000 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import rung


def _single(calls: int) -> float:
    with rung.start_run("log-metric"):
        start = time.perf_counter()
        for i in range(calls):
            rung.log_metric("loss", 1.0 / (i + 1), step=i)
        rung.flush()
        return calls / (time.perf_counter() - start)


def _batch(batches: int, keys: int) -> float:
    payloads = [
        {f"m{k}": float(b * keys + k) for k in range(keys)} for b in range(batches)
    ]
    with rung.start_run("log-metrics"):
        start = time.perf_counter()
        for b, payload in enumerate(payloads):
            rung.log_metrics(payload, step=b)
        rung.flush()
        return batches * keys / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mode", choices=["single", "batch"], default="single")
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--keys", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()

    with rung.start_run("warm-up"):
        rung.log_metric("warm", 1.0)
        rung.log_metrics({"warm_a": 1.0, "warm_b": 2.0})
        rung.flush()
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
