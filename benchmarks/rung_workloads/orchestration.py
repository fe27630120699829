"""Rung: orchestration overhead per step of a chain of 10 trivial steps.

Runs the pipeline once as a warm-up (imports, schema, first cache entries),
then ``--runs`` more times; each figure is the pipeline's wall time / 10.
With ``--cache on`` every measured run must be served fully from the cache.

    python orchestration.py --runs 10 --cache off
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from rung import pipeline, step

STEPS = 10


@step
def increment(x: int) -> int:
    return x + 1


@pipeline
def chain(start: int = 0) -> None:
    value = start
    for _ in range(STEPS):
        value = increment(value)


def _run_once(enable_cache: bool) -> tuple[float, set[str]]:
    start = time.perf_counter()
    run = chain.run(params={"start": 0}, enable_cache=enable_cache)
    elapsed = time.perf_counter() - start
    if run.status != "completed":
        raise SystemExit(f"Pipeline run ended {run.status!r}, not 'completed'.")
    return elapsed, {s.status for s in run.steps.values()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--cache", choices=["on", "off"], default="off")
    args = parser.parse_args()
    enable_cache = args.cache == "on"
    expected = {"cached"} if enable_cache else {"completed"}

    _run_once(enable_cache)  # warm-up, discarded
    samples: list[float] = []
    for _ in range(args.runs):
        elapsed, statuses = _run_once(enable_cache)
        if statuses != expected:
            raise SystemExit(f"Step statuses {statuses}, expected {expected}.")
        samples.append(elapsed / STEPS * 1000)
    print(
        json.dumps(
            {
                "value": statistics.median(samples),
                "unit": "ms/step",
                "samples": samples,
                "steps": STEPS,
            }
        )
    )


if __name__ == "__main__":
    main()
