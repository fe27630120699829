"""``rung runs list|show|compare``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from rung.cli._common import console, open_client, print_json, short, styled_status

if TYPE_CHECKING:
    from rung.client import Client
    from rung.metadata import RunRecord

__all__ = ["app"]

app = typer.Typer(help="List, inspect and compare runs.", no_args_is_help=True)


@app.command("list")
def list_runs(
    pipeline: str = typer.Option(
        None, "--pipeline", help="Only runs of this pipeline."
    ),
    status: str = typer.Option(
        None, "--status", help="running, completed, failed, cancelled."
    ),
    limit: int = typer.Option(20, "--limit", "-n", help="How many runs to show."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List runs, newest first."""
    from rung.errors import ParameterError
    from rung.metadata import RUN_STATUSES

    if status is not None and status not in RUN_STATUSES:
        raise ParameterError(
            f"Unknown status {status!r}. Use one of {list(RUN_STATUSES)}."
        )
    with open_client() as client:
        runs = client.list_runs(pipeline=pipeline, status=status, limit=limit)
        metrics = client.latest_metrics([r.id for r in runs])
        if as_json:
            print_json(
                [{**_jsonable(r), "metrics": metrics.get(r.id, {})} for r in runs]
            )
            return
        from rung.cli._render import runs_table

        if not runs:
            console.print(
                "No runs yet. Start one with `rung run file.py:pipeline` "
                "or `rung demo`."
            )
            return
        console.print(runs_table(runs, metrics))


@app.command("show")
def show(
    run_id: str = typer.Argument(..., help="Run id or unique prefix."),
    logs: bool = typer.Option(False, "--logs", help="Print each step's stdout/stderr."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show one run: provenance, parameters, metrics, steps, errors."""
    with open_client() as client:
        record = client.get_run(run_id)
        steps = client.step_runs(record.id)
        metrics = client.latest_metrics([record.id]).get(record.id, {})
        if as_json:
            print_json({"run": record, "steps": steps, "metrics": metrics})
            return
        _print_run(client, record, metrics)
        from rung.cli._render import steps_table

        if record.pipeline is not None:
            planned = list(record.config.get("steps", []))
            console.print(steps_table(steps, planned, client.cache_sources(steps)))
        for step in steps:
            if logs and (step.stdout or step.stderr):
                console.rule(f"{step.name} (attempt {step.attempt})")
                console.print(step.stdout, markup=False, end="")
                console.print(step.stderr, markup=False, style="red", end="")
            if step.traceback and step.status == "failed":
                console.rule(f"[red]{step.name} failed[/]")
                console.print(step.traceback, markup=False)


def _print_run(client: Client, record: RunRecord, metrics: dict[str, float]) -> None:
    from rich.table import Table

    from rung._internal.timeutil import format_duration, format_time

    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    duration = None if record.ended_at is None else record.ended_at - record.started_at
    git = record.git_commit[:12] if record.git_commit else "not a git checkout"
    if record.git_dirty:
        git += " (uncommitted changes)"
    rows: list[tuple[str, str]] = [
        ("run", f"{record.name} ({record.id})"),
        ("status", styled_status(record.status)),
        ("pipeline", record.pipeline or "ad-hoc"),
        ("project / user", f"{record.project} / {record.user}"),
        ("started (UTC)", format_time(record.started_at)),
        ("duration", format_duration(duration)),
        ("trigger", record.trigger),
        ("orchestrator", record.orchestrator),
        ("attempt", str(record.attempt)),
        ("host / pid", f"{record.host} / {record.pid}"),
        ("source", record.source or ""),
        ("code", f"git {git}; steps sha256 {short(record.source_hash)}"),
        ("environment", short(record.environment_hash) or "not recorded"),
    ]
    if record.error:
        rows.append(("error", f"[red]{record.error}[/]"))
    for key, value in rows:
        table.add_row(key, value)
    for key, value in sorted(record.params.items()):
        table.add_row(f"param {key}", repr(value))
    for key, value in sorted(record.tags.items()):
        table.add_row(f"tag {key}", value)
    for key, number in sorted(metrics.items()):
        table.add_row(f"metric {key}", f"{number:.6g}")
    console.print(table)


@app.command("compare")
def compare(
    run_ids: list[str] = typer.Argument(..., help="Two or more run ids or prefixes."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Compare runs: parameters and metrics side by side (differences in bold)."""
    from rich.table import Table

    from rung.errors import ParameterError

    if len(run_ids) < 2:
        raise ParameterError("Give at least two runs to compare.")
    with open_client() as client:
        result = client.compare_runs(run_ids)
        if as_json:
            print_json(result)
            return
        table = Table(title="Run comparison", title_justify="left")
        table.add_column("")
        for run in result.runs:
            table.add_column(f"{run.name}\n{short(run.id)}")
        for key, values in result.params.items():
            style = "bold yellow" if key in result.differing_params else ""
            table.add_row(f"param {key}", *[_cell(v) for v in values], style=style)
        for key, numbers in result.metrics.items():
            table.add_row(f"metric {key}", *[_cell(v) for v in numbers])
        console.print(table)


def _cell(value: Any) -> str:
    if value is None:
        return "[dim]-[/]"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _jsonable(record: RunRecord) -> dict[str, Any]:
    from rung.cli._common import to_jsonable

    data: dict[str, Any] = to_jsonable(record)
    return data
