"""Hamilton: orchestration overhead per step of a chain of 10 trivial steps.

The same workload as ``rung_workloads/orchestration.py``: one warm-up run,
then ``--runs`` timed runs; each figure is the pipeline's wall time / 10.
The chain is ten functions of this module, ``x1 = start + 1`` ... ``x10 =
x9 + 1``, run by one Hamilton driver built before timing. ``--cache off``:
a plain driver, which keeps no record of anything. ``--cache on``: a driver
built ``with_cache()`` (results and metadata in SQLite and files under the
current folder); the warm-up run fills the cache and every timed run must
retrieve all ten nodes from it (the script fails otherwise).

    python hamilton_orchestration.py --runs 10 --cache off
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

STEPS = 10


def x1(start: int) -> int:
    return start + 1


def x2(x1: int) -> int:
    return x1 + 1


def x3(x2: int) -> int:
    return x2 + 1


def x4(x3: int) -> int:
    return x3 + 1


def x5(x4: int) -> int:
    return x4 + 1


def x6(x5: int) -> int:
    return x5 + 1


def x7(x6: int) -> int:
    return x6 + 1


def x8(x7: int) -> int:
    return x7 + 1


def x9(x8: int) -> int:
    return x8 + 1


def x10(x9: int) -> int:
    return x9 + 1


def _driver(enable_cache: bool) -> Any:
    from hamilton import driver

    builder = driver.Builder().with_modules(sys.modules[__name__])
    if enable_cache:
        builder = builder.with_cache(path=str(Path.cwd() / "hamilton-cache"))
    return builder.build()


def _run_once(dr: Any, check_cached: bool) -> float:
    start = time.perf_counter()
    result = dr.execute([f"x{STEPS}"], inputs={"start": 0})
    elapsed = time.perf_counter() - start
    if result[f"x{STEPS}"] != STEPS:
        raise SystemExit(f"The chain returned {result!r}, expected {STEPS}.")
    if check_cached:
        _check_all_retrieved(dr)
    return elapsed


def _check_all_retrieved(dr: Any) -> None:
    """Fail unless the last execution took every node from the cache."""
    from hamilton.caching.adapter import CachingEventType

    logs = dr.cache.logs(run_id=dr.cache.last_run_id, level="debug")
    computed = sorted(
        name
        for name, events in logs.items()
        if any(e.event_type == CachingEventType.EXECUTE_NODE for e in events)
    )
    retrieved = [
        name
        for name, events in logs.items()
        if any(e.event_type == CachingEventType.GET_RESULT for e in events)
    ]
    if computed or len(retrieved) != STEPS:
        raise SystemExit(
            f"Nodes {computed} were computed, {len(retrieved)} retrieved from the "
            f"cache; expected all {STEPS} retrieved."
        )


def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--cache", choices=["on", "off"], default="off")
    args = parser.parse_args()
    enable_cache = args.cache == "on"

    dr = _driver(enable_cache)
    _run_once(dr, check_cached=False)  # warm-up, discarded (fills the cache)
    samples = [_run_once(dr, enable_cache) / STEPS * 1000 for _ in range(args.runs)]
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
    _main()
