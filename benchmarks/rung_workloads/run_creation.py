"""Rung: creating and finishing a run with 5 params and 5 metrics.

Times ``--runs`` x ``with rung.start_run(params=...): rung.log_metrics(...)``
and reports milliseconds per run. A first run (schema creation) is not timed.

    python run_creation.py --runs 200 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import rung


def _create_runs(runs: int) -> float:
    start = time.perf_counter()
    for i in range(runs):
        params = {f"p{k}": i * 10 + k for k in range(5)}
        with rung.start_run(params=params):
            rung.log_metrics({f"m{k}": (i + k) / 7 for k in range(5)})
    return (time.perf_counter() - start) / runs * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()

    _create_runs(1)  # warm-up, discarded
    samples = [_create_runs(args.runs) for _ in range(args.repeats)]
    print(
        json.dumps(
            {"value": statistics.median(samples), "unit": "ms/run", "samples": samples}
        )
    )


if __name__ == "__main__":
    main()
