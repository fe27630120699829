"""``rung pipelines list``."""

from __future__ import annotations

from pathlib import Path

import typer

from rung.cli._common import console, open_client, print_json, short, styled_status

__all__ = ["app"]

app = typer.Typer(help="List pipelines.", no_args_is_help=True)


@app.command("list")
def list_pipelines(
    files: list[Path] = typer.Argument(
        None,
        help="Python files to scan for pipelines (default: pipelines that have runs).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List pipelines this project has run, or those defined in FILES."""
    from rich.table import Table

    if files:
        _list_defined(files, as_json)
        return
    from rung._internal.timeutil import format_time

    with open_client() as client:
        summaries = client.list_pipelines()
        if as_json:
            print_json(summaries)
            return
        if not summaries:
            console.print("No pipeline has run yet. Try `rung demo`.")
            return
        table = Table(title="Pipelines", title_justify="left")
        for column in (
            "pipeline",
            "runs",
            "last run",
            "last status",
            "last started (UTC)",
            "source",
        ):
            table.add_column(column)
        for s in summaries:
            table.add_row(
                s.name,
                str(s.runs),
                short(s.last_run_id),
                styled_status(s.last_status),
                format_time(s.last_started_at),
                s.source or "",
            )
        console.print(table)


def _list_defined(files: list[Path], as_json: bool) -> None:
    from rich.table import Table

    from rung.pipelines import pipelines_in_file

    rows = [
        {
            "reference": f"{file}:{attr}",
            "name": found.name,
            "parameters": str(found.signature),
        }
        for file in files
        for attr, found in pipelines_in_file(file).items()
    ]
    if as_json:
        print_json(rows)
        return
    table = Table(title="Pipelines defined", title_justify="left")
    for column in ("reference", "name", "parameters"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["reference"], row["name"], row["parameters"])
    console.print(table)
