"""trackio: metric logging throughput, 1,000 values per call.

The same workload as ``rung_workloads/metric_logging.py --mode batch``:
``--batches`` x ``trackio.log`` of ``--keys`` values (payloads built before
timing) into one local run, up to and including ``trackio.finish()``, which
waits until its background sender has written everything to its SQLite file
(trackio stores each call as one JSON blob). A first run is not timed.
Needs ``TRACKIO_DIR`` (the harness points it at a fresh folder).

    python trackio_logging.py --batches 100 --repeats 1
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import time

import trackio


def _batch(batches: int, keys: int, project: str) -> float:
    payloads = [
        {f"m{k}": float(b * keys + k) for k in range(keys)} for b in range(batches)
    ]
    with contextlib.redirect_stdout(io.StringIO()):  # trackio prints progress
        trackio.init(project=project, name="log-metrics", embed=False)
        start = time.perf_counter()
        for b, payload in enumerate(payloads):
            trackio.log(payload, step=b)
        trackio.finish()
        elapsed = time.perf_counter() - start
    return batches * keys / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mode", choices=["batch"], default="batch")
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--keys", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()

    with contextlib.redirect_stdout(io.StringIO()):
        trackio.init(project="warm-up", name="warm-up", embed=False)
        trackio.log({"warm_a": 1.0, "warm_b": 2.0})
        trackio.finish()
    samples = [
        _batch(args.batches, args.keys, f"bench-{i}") for i in range(args.repeats)
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
