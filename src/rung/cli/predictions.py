"""``rung predict`` (batch scoring) and ``rung predictions``: query the log,
label it, sample it for labelling."""

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
_SHOWN = 20
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
    on_bad_rows: str = typer.Option(
        "fail",
        "--on-bad-rows",
        help="Rows the signature refuses: fail (the whole file), skip them "
        "(listed), or route them to --bad-rows-output with a reason column.",
    ),
    bad_rows_output: Path = typer.Option(
        None, "--bad-rows-output", help="Where route writes them: .parquet or .csv."
    ),
) -> None:
    """Score a file with a model version; every row goes to the prediction log."""
    with open_client() as client:
        result = client.predict_file(
            uri,
            source,
            output,
            on_bad_rows=on_bad_rows,
            bad_rows_output=bad_rows_output,
            allow_pickle=allow_pickle,
            nan_policy=nan_policy,
        )
    rows = len(result.scored)
    console.print(f"Scored {rows:,} rows with {uri} -> {output} (logged).")
    bad = result.bad_rows
    if bad.empty:
        return
    where = f" to {bad_rows_output}" if bad_rows_output is not None else ""
    verb = "Routed" if bad_rows_output is not None else "Skipped"
    console.print(f"{verb} {len(bad):,} bad row(s){where} (0-based row: reason):")
    for row, reason in zip(bad["row"][:_SHOWN], bad["reason"][:_SHOWN], strict=True):
        console.print(f"  row {row}: {reason}", markup=False, highlight=False)
    if len(bad) > _SHOWN:
        console.print(f"  ... and {len(bad) - _SHOWN:,} more")


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


@app.command("label")
def label(
    model: str = typer.Argument(..., help="The model the predictions are of."),
    source: Path = typer.Argument(
        ..., help="A .csv or .parquet file with prediction_id and label columns."
    ),
    overwrite: bool = typer.Option(
        False,
        "--overwrite",
        help="Replace labels already given (the old ones stay in the log).",
    ),
) -> None:
    """Attach ground-truth labels to logged predictions (all or nothing)."""
    from rung.errors import ServingError
    from rung.serving._batch import read_table_file

    frame = read_table_file(source)
    missing = sorted({"prediction_id", "label"} - set(map(str, frame.columns)))
    if missing:
        raise ServingError(
            f"{source} has no {' or '.join(missing)} column: give one row per "
            "prediction id, with columns prediction_id and label."
        )
    ids = frame["prediction_id"].astype(str)
    repeated = sorted(set(ids[ids.duplicated()]))
    if repeated:
        raise ServingError(
            f"{source} gives {len(repeated)} prediction id(s) more than once, e.g. "
            f"{repeated[0]}: give one label per id."
        )
    with open_client() as client:
        client.log_feedback(
            model,
            dict(zip(ids, frame["label"].tolist(), strict=True)),
            overwrite=overwrite,
        )
    console.print(f"Recorded {len(ids):,} label(s) for {model}.")


@app.command("sample")
def sample(
    deployment: str = typer.Argument(
        ..., help="A deployment id or name, or a model name (all its predictions)."
    ),
    n: int = typer.Option(200, "--n", "-n", help="Rows to draw."),
    stratify: str = typer.Option(
        None,
        "--stratify",
        help="prediction or feature (with --feature): draw per stratum in "
        "proportion to its share.",
    ),
    feature: str = typer.Option(None, "--feature", help="The feature to stratify by."),
    since: str = typer.Option(
        None, "--since", help="Predictions of the last 1h, 7d... or since 2026-11-01."
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same sheet)."),
    include_labelled: bool = typer.Option(
        False, "--include-labelled", help="Also draw predictions that have a label."
    ),
    output: Path = typer.Option(
        ..., "--output", "-o", help="The labelling sheet: .csv or .parquet."
    ),
) -> None:
    """Write a labelling sheet: logged predictions with an empty label column.

    Fill in the label column, then load it with `rung feedback import FILE`.
    """
    from rung.errors import ServingError

    if output.suffix.lower() not in (".csv", ".parquet", ".pq"):
        raise ServingError(f"Cannot write {str(output)!r}: use .csv or .parquet.")
    with open_client() as client:
        sheet = client.sample_predictions(
            deployment,
            n=n,
            stratify=stratify,
            feature=feature,
            since=_moment(since),
            seed=seed,
            include_labelled=include_labelled,
        )
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        if output.suffix.lower() == ".csv":
            sheet.to_csv(output, index=False)
        else:
            sheet.to_parquet(output, index=False)
    except OSError as exc:
        raise ServingError(f"Cannot write {str(output)!r}: {exc}") from exc
    how = f", stratified by {feature or stratify}" if stratify else ""
    console.print(
        f"Wrote {len(sheet):,} predictions to label{how} to {output}. Fill in the "
        f"label column, then run `rung feedback import {output}`.",
        highlight=False,
    )


def _moment(text: str | None) -> float | None:
    """``7d`` (that long ago) or an ISO date/time (UTC unless it says)."""
    if text is None:
        return None
    from datetime import UTC, datetime

    from rung._internal.timeutil import now
    from rung.errors import MonitorDefinitionError, ServingError
    from rung.monitoring import parse_window

    try:
        return now() - float(parse_window(text)["seconds"])
    except MonitorDefinitionError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ServingError(
            f"Cannot read --since {text!r}: write a duration (1h, 7d) or a date "
            "(2026-11-01, 2026-11-01T08:00)."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


@app.command("batches")
def batches(
    model: str = _MODEL,
    feedback: bool = typer.Option(False, "--feedback", help="Feedback batches."),
    quarantine: bool = typer.Option(
        False, "--quarantine", help="Rows the log could not store, with why."
    ),
    limit: int = typer.Option(20, "--limit", help="The newest N."),
    as_json: bool = _JSON,
) -> None:
    """List the newest batches of the log (files, rows, time range)."""
    from rung._internal.timeutil import format_time

    kind = "quarantine" if quarantine else "feedback" if feedback else "predictions"
    with open_client() as client:
        found = client.list_prediction_batches(kind=kind, model=model, limit=limit)
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
