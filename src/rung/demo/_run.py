"""Run the demo pipeline three times and collect what each run did."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rung.demo.training import training

if TYPE_CHECKING:
    from rung.pipelines import EventHook
    from rung.tracking import Run
    from rung.workspace import Workspace

__all__ = ["DemoResult", "run_demo"]


@dataclass(frozen=True, slots=True)
class DemoResult:
    """One demo run: why it ran, the run, how many steps came from cache."""

    label: str
    run: Run
    cached_steps: int
    total_steps: int
    seconds: float


def run_demo(
    workspace: Workspace,
    *,
    C: float = 1.0,
    new_C: float = 0.1,
    on_event: EventHook | None = None,
) -> list[DemoResult]:
    """Run the demo: fresh (cache off), unchanged (all cached), with a new C."""
    plan = [
        ("fresh, cache off", {"C": C}, False),
        ("unchanged", {"C": C}, True),
        (f"C={new_C}", {"C": new_C}, True),
    ]
    results = []
    for label, params, cache in plan:
        started = time.perf_counter()
        run = training.run(
            params=params,
            enable_cache=cache,
            workspace=workspace,
            on_event=on_event,
            tags={"demo": "true"},
        )
        seconds = time.perf_counter() - started
        steps = run.steps
        cached = sum(1 for s in steps.values() if s.status == "cached")
        results.append(DemoResult(label, run, cached, len(steps), seconds))
    return results
