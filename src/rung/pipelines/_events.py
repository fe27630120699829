"""Progress events a run emits (for progress bars, logs and UIs)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

__all__ = ["EventHook", "PipelineEvent"]

EventKind = Literal[
    "run_started",
    "step_started",
    "step_completed",
    "step_cached",
    "step_reused",
    "step_failed",
    "step_skipped",
    "run_finished",
]


@dataclass(frozen=True, slots=True)
class PipelineEvent:
    """Something happened in a run.

    Attributes:
        kind: what happened.
        run_id: the run.
        run_name: the run's name.
        step: the step concerned, if any.
        done: steps finished so far (completed, cached or reused).
        total: steps in the pipeline.
        detail: extra text (error message, final status, cache source).
    """

    kind: EventKind
    run_id: str
    run_name: str
    step: str | None = None
    done: int = 0
    total: int = 0
    detail: str | None = None


EventHook = Callable[[PipelineEvent], None]
