"""``rung feedback``: load ground-truth labels from a filled labelling sheet."""

from __future__ import annotations

from pathlib import Path

import typer

from rung.cli._common import console, open_client, print_json

__all__ = ["app"]

app = typer.Typer(
    help="Ground-truth labels: import a filled labelling sheet.",
    no_args_is_help=True,
)


@app.command("import")
def import_sheet(
    sheet: Path = typer.Argument(
        ...,
        help="A filled sheet (.csv or .parquet) with prediction_id, model and "
        "label columns, as `rung predictions sample` writes it.",
    ),
    model: str = typer.Option(
        None, "--model", help="The model, when the sheet has no model column."
    ),
    overwrite: bool = typer.Option(
        False,
        "--overwrite",
        help="Replace labels already given (the old ones stay in the log).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Load a filled labelling sheet as feedback labels (all or nothing).

    Each label is checked as the server checks POST /feedback. Rows without
    a label, and rows whose prediction already has that very label, are
    skipped and counted (importing a sheet twice writes nothing new); any
    other bad row fails the import, which then writes nothing.
    """
    from rung.errors import ServingError

    if not sheet.is_file():
        raise ServingError(f"No file {str(sheet)!r}: give the filled labelling sheet.")
    with open_client() as client:
        done = client.import_feedback(sheet, model=model, overwrite=overwrite)
    if as_json:
        print_json(
            {
                "written": done.written,
                "empty": done.empty,
                "unchanged": done.unchanged,
                "batches": [b.id for b in done.batches],
            }
        )
        return
    per_model = ", ".join(f"{n:,} for {m}" for m, n in done.written.items())
    console.print(
        f"Imported {done.total:,} label(s){' (' + per_model + ')' if per_model else ''}"
        f"; skipped {done.empty:,} row(s) without a label and {done.unchanged:,} "
        "already recorded.",
        highlight=False,
    )
