"""Tables and progress displays shared by several commands."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rung.cli._common import console, format_bytes, real_console, short, styled_status

if TYPE_CHECKING:
    from rich.table import Table

    from rung.metadata import RunRecord, StepRunRecord
    from rung.pipelines import EventHook, PipelineEvent

__all__ = ["live_progress", "runs_table", "steps_table"]


@contextmanager
def live_progress(enabled: bool = True) -> Iterator[EventHook | None]:
    """A progress bar fed by pipeline events: done/total and the current steps."""
    if not enabled:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.fields[run]}[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=real_console(console),
        transient=True,
    )
    state: dict[str, Any] = {"task": None, "active": []}

    def on_event(event: PipelineEvent) -> None:
        if state["task"] is None:
            state["task"] = progress.add_task("", total=event.total, run=event.run_name)
        active: list[str] = state["active"]
        if event.kind == "step_started" and event.step:
            active.append(event.step)
        elif event.step in active:
            active.remove(event.step)
        text = ("running " + ", ".join(active)) if active else ""
        progress.update(state["task"], completed=event.done, description=text)

    with progress:
        yield on_event


def steps_table(
    steps: list[StepRunRecord],
    planned: list[dict[str, Any]],
    sources: dict[str, str] | None = None,
) -> Table:
    """One row per step of the pipeline: status, time, resources, outputs.

    ``sources`` maps cached step runs to the run whose outputs they reused.
    """
    from rich.table import Table

    from rung._internal.timeutil import format_duration

    latest = {s.name: s for s in steps}
    from rich import box

    table = Table(title="Steps", title_justify="left", box=box.SIMPLE_HEAD)
    for column in ("step", "status", "duration", "cpu", "peak mem", "outputs", "note"):
        table.add_column(column)
    names = [p["name"] for p in planned] or list(latest)
    for name in names:
        record = latest.get(name)
        if record is None:
            table.add_row(name, styled_status("not run"), "", "", "", "", "")
            continue
        outputs = ", ".join(f"{k}={short(v, 8)}" for k, v in record.outputs.items())
        note = ""
        if record.cached_from:
            origin = (sources or {}).get(record.id)
            note = f"from run {short(origin, 8)}" if origin else "from cache"
        if record.error:
            note = record.error if len(record.error) < 60 else record.error[:57] + "..."
        table.add_row(
            name,
            styled_status(record.status),
            format_duration(record.duration),
            "" if record.cpu_seconds is None else f"{record.cpu_seconds:.2f} s",
            format_bytes(record.peak_memory_bytes),
            outputs,
            note,
        )
    return table


def runs_table(runs: list[RunRecord], metrics: dict[str, dict[str, float]]) -> Table:
    """One row per run: id, pipeline, status, start, duration, key metrics."""
    from rich.table import Table

    from rung._internal.timeutil import format_duration, format_time

    keys = sorted({k for values in metrics.values() for k in values})[:3]

    table = Table(
        title=f"Runs ({len(runs)}, times in UTC)",
        title_justify="left",
        box=None,
        padding=(0, 1),
        pad_edge=False,
        header_style="bold underline",
    )
    for column in ("id", "pipeline", "status", "started", "duration", *keys):
        table.add_column(column, no_wrap=True)
    for run in runs:
        duration = None if run.ended_at is None else run.ended_at - run.started_at
        values = metrics.get(run.id, {})
        table.add_row(
            short(run.id, 8),
            run.pipeline or f"[dim]{run.name}[/]",
            styled_status(run.status),
            format_time(run.started_at)[5:],
            format_duration(duration),
            *[_number(values.get(k)) for k in keys],
        )
    return table


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.4g}"
