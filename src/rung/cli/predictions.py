"""``rung predict`` (batch scoring) and ``rung predictions``: query the log."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from rung.cli._common import console, open_client, print_json

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["app", "predict"]

app = typer.Typer(
    help="The prediction log: query it with SQL, list batches and deployments.",
    no_args_is_help=True,
)

_JSON = typer.Option(False, "--json", help="Print JSON.")
_MODEL = typer.Option(None, "--model", help="Only this model.")


def predict(
    uri: str = typer.Argument(..., help="Model URI: NAME@ALIAS or NAME/VERSION."),
    source: Path = typer.Argument(..., help="Input rows: a .parquet or .csv file."),
    output: Path = typer.Option(
        ..., "--output", "-o", help="Where to write: .parquet or .csv."
    ),
    allow_pickle: bool = typer.Option(
        False, "--allow-pickle", help="Load a pickled model (runs code from the file)."
    ),
    nan_policy: str = typer.Option("reject", "--nan-policy", help="reject or allow."),
) -> None:
    """Score a file with a model version; every row goes to the prediction log."""
    with open_client() as client:
        rows = client.predict_file(
            uri,
            source,
            output,
            allow_pickle=allow_pickle,
            nan_policy=nan_policy,
        )
    console.print(f"Scored {rows:,} rows with {uri} -> {output} (logged).")


@app.command("query")
def query(
    sql: str = typer.Argument(
        ..., help='SQL over "predictions" (with labels) and "feedback".'
    ),
    model: str = _MODEL,
    limit: int = typer.Option(50, "--limit", help="Rows to print (table only)."),
    as_json: bool = _JSON,
) -> None:
    """Run SQL over the prediction log with DuckDB."""
    with open_client() as client:
        frame = client.query_predictions(sql, model=model)
    if as_json:
        print_json(_records(frame))
        return
    _print_frame(frame, limit)


@app.command("batches")
def batches(
    model: str = _MODEL,
    feedback: bool = typer.Option(False, "--feedback", help="Feedback batches."),
    limit: int = typer.Option(20, "--limit", help="The newest N."),
    as_json: bool = _JSON,
) -> None:
    """List the newest batches of the log (files, rows, time range)."""
    from rung._internal.timeutil import format_time

    with open_client() as client:
        found = client.list_prediction_batches(
            model=model, feedback=feedback, limit=limit
        )
    if as_json:
        print_json(found)
        return
    table = _table("batch", "model", "version", "rows", "first", "last", "deployment")
    for b in found:
        table.add_row(
            b.id[:12],
            b.model,
            str(b.version or ""),
            f"{b.row_count:,}",
            format_time(b.first_at),
            format_time(b.last_at),
            (b.deployment_id or "")[:12],
        )
    console.print(table)


@app.command("deployments")
def deployments(model: str = _MODEL, as_json: bool = _JSON) -> None:
    """List deployments (rung serve), newest first."""
    from rung._internal.timeutil import format_time

    with open_client() as client:
        found = client.list_deployments(model=model)
    if as_json:
        print_json(found)
        return
    table = _table(
        "deployment", "name", "model", "version", "status", "endpoint", "started"
    )
    for d in found:
        table.add_row(
            d.id[:12],
            d.name,
            f"{d.model}@{d.alias}" if d.alias else d.model,
            ", ".join(f"v{v}" for v in d.served_versions),
            d.status,
            f"{d.host}:{d.port}",
            format_time(d.started_at),
        )
    console.print(table)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    import json

    records: list[dict[str, Any]] = json.loads(
        frame.to_json(orient="records", date_format="iso")
    )
    return records


def _print_frame(frame: pd.DataFrame, limit: int) -> None:
    table = _table(*map(str, frame.columns))
    for row in frame.head(limit).itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    console.print(table)
    if len(frame) > limit:
        console.print(f"[dim]({len(frame):,} rows; showing {limit}; --limit N)[/]")


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else str(value)


def _table(*columns: str) -> Any:
    from rich.table import Table

    table = Table(
        box=None, padding=(0, 1), pad_edge=False, header_style="bold underline"
    )
    for column in columns:
        table.add_column(column, overflow="fold")
    return table
