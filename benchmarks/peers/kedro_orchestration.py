"""Kedro: orchestration overhead per step of a chain of 10 trivial steps.

The same workload as ``rung_workloads/orchestration.py``: one warm-up run,
then ``--runs`` timed runs; each figure is the pipeline's wall time / 10.
Kedro's ``SequentialRunner`` over a ``DataCatalog`` of ``MemoryDataset``s
(nothing is persisted, no run record is kept), with Kedro's loggers at
WARNING so that its per-node INFO lines are not part of the figure. Kedro has
no step cache: only ``--cache off`` is accepted.

    python kedro_orchestration.py --runs 10 --cache off
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import time

from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Pipeline, node
from kedro.runner import SequentialRunner

STEPS = 10


def increment(x: int) -> int:
    return x + 1


CHAIN = Pipeline(
    [
        node(increment, inputs=f"x{i}", outputs=f"x{i + 1}", name=f"increment_{i}")
        for i in range(STEPS)
    ]
)


def _run_once() -> float:
    catalog = DataCatalog({"x0": MemoryDataset(0)})
    start = time.perf_counter()
    outputs = SequentialRunner().run(CHAIN, catalog)
    elapsed = time.perf_counter() - start
    result = outputs[f"x{STEPS}"]
    value = result.load() if hasattr(result, "load") else result
    if value != STEPS:
        raise SystemExit(f"The chain returned {value!r}, expected {STEPS}.")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--cache", choices=["off"], default="off")
    args = parser.parse_args()
    logging.getLogger("kedro").setLevel(logging.WARNING)

    _run_once()  # warm-up, discarded
    samples = [_run_once() / STEPS * 1000 for _ in range(args.runs)]
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
