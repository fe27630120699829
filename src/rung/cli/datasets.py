"""``rung datasets register|refresh|list|search|show|describe-column``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from rung.cli._common import (
    console,
    format_bytes,
    open_client,
    print_json,
    to_jsonable,
)

if TYPE_CHECKING:
    from rich.table import Table

    from rung.catalog import RefreshResult
    from rung.catalog.records import DatasetRecord, DatasetVersionRecord

__all__ = ["app"]

app = typer.Typer(
    help="The data catalog: register, refresh, search and inspect datasets.",
    no_args_is_help=True,
)


@app.command("register")
def register(
    name: str = typer.Argument(..., help="A unique name, e.g. claims."),
    uri: str = typer.Argument(
        ..., help="File, folder, fsspec URL or SQLAlchemy URL (...?table=NAME)."
    ),
    owner: str = typer.Option(None, "--owner", help="Who answers for it."),
    tags: str = typer.Option("", "--tags", help="Comma-separated: pii,health."),
    region: str = typer.Option(None, "--region", help="Residency region, e.g. CA."),
    description: str = typer.Option("", "--description", help="Free text."),
    format_: str = typer.Option(None, "--format", help="csv, parquet or jsonl."),
    query: str = typer.Option(None, "--query", help="SQL query (SQL URLs)."),
    column_tags: str = typer.Option(
        "", "--column-tags", help="Comma-separated column=tag: email=pii,dob=pii."
    ),
    schedule: str = typer.Option(None, "--schedule", help="Cron: '0 * * * *'."),
    fail_on_schema_change: bool = typer.Option(
        False, "--fail-on-schema-change", help="Refuse refreshes that change it."
    ),
    snapshot: str = typer.Option(
        "auto", "--snapshot", help="Keep Parquet snapshots: auto, always, never."
    ),
    snapshot_max_mb: float = typer.Option(
        100.0, "--snapshot-max-mb", help="Size limit of --snapshot auto."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Add a data source to the catalog and record its first version."""
    with open_client() as client:
        result = client.register_dataset(
            name,
            uri,
            owner=owner,
            description=description,
            tags=_split(tags),
            region=region,
            format=format_,
            query=query,
            column_tags=_column_tags(column_tags),
            schedule=schedule,
            fail_on_schema_change=fail_on_schema_change,
            snapshot=snapshot,
            snapshot_max_bytes=int(snapshot_max_mb * 1024 * 1024),
        )
        _print_result(result, as_json)


@app.command("refresh")
def refresh(
    name: str = typer.Argument(None, help="The dataset (omit with --due)."),
    due: bool = typer.Option(False, "--due", help="Refresh every due dataset."),
    fail_on_schema_change: bool = typer.Option(
        None,
        "--fail-on-schema-change/--allow-schema-change",
        help="Refuse (or accept) schema changes; default: the dataset's setting.",
        show_default=False,
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Read a dataset's source again; record a version if the content changed."""
    from rung.cli._hints import with_hint
    from rung.errors import CatalogError, InvalidDatasetError

    if due == (name is not None):
        raise InvalidDatasetError("Give a dataset NAME, or --due (not both).")
    with open_client() as client:
        if name is not None:
            result = client.refresh_dataset(
                name, fail_on_schema_change=fail_on_schema_change
            )
            _print_result(result, as_json)
            return
        done = client.refresh_due_datasets()
        if as_json:
            failures = {n: str(e) for n, e in done.failures.items()}
            print_json({"results": done.results, "failures": failures})
        else:
            if not done.results and not done.failures:
                console.print("No dataset is due.")
            for result in done.results:
                _print_result(result, False)
            for failed, error in done.failures.items():
                console.print(f"[red]{failed}: {error.headline}[/] {with_hint(error)}")
        if done.failures:
            raise CatalogError(
                f"{len(done.failures)} due dataset(s) failed to refresh: "
                f"{', '.join(sorted(done.failures))}. See the messages above."
            )


@app.command("list")
def list_datasets(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List the datasets in the catalog."""
    with open_client() as client:
        found = client.list_datasets()
    if as_json:
        print_json(found)
        return
    if not found:
        console.print(_EMPTY_CATALOG)
        return
    console.print(_datasets_table([(d, ()) for d in found], matched=False))


@app.command("search")
def search(
    text: str = typer.Argument(
        None,
        help="Text to find in names, descriptions, tags, owners and columns "
        "(names, descriptions, tags); case-insensitive.",
    ),
    tag: str = typer.Option(None, "--tag", help="A dataset or column tag."),
    owner: str = typer.Option(None, "--owner", help="The owner."),
    column: str = typer.Option(None, "--column", help="A column name."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Find datasets by text (best matches first), tag, owner or column name."""
    with open_client() as client:
        found = client.search_datasets(text, owner=owner, tag=tag, column=column)
        empty = not found and not client.list_datasets(limit=1)
    if as_json:
        print_json([{**to_jsonable(m.dataset), "matched": m.matched} for m in found])
        return
    if empty:
        console.print(_EMPTY_CATALOG)
    elif not found:
        console.print(_no_match(text, tag, owner, column), markup=False)
    else:
        rows = [(m.dataset, m.matched) for m in found]
        console.print(_datasets_table(rows, matched=bool(text and text.strip())))


_EMPTY_CATALOG = "No datasets found. Register one with `rung datasets register`."


def _no_match(
    text: str | None, tag: str | None, owner: str | None, column: str | None
) -> str:
    """The empty-result message: what was asked, where it was looked for, what next."""
    words = (text or "").strip()
    given = (("tag", tag), ("owner", owner), ("column", column))
    filters = " ".join(
        f"--{flag} {value}" for flag, value in given if value is not None
    )
    asked = " with ".join(
        part for part in (repr(words) if words else "", filters) if part
    )
    lines = [f"No dataset matches {asked}."]
    if words:
        lines.append(
            "The text was looked for in dataset names, descriptions, tags and "
            "owners, and in column names, descriptions and tags."
        )
    lines.append(
        f"{'Drop a filter, or see' if filters else 'See'} every dataset with "
        "`rung datasets list`."
    )
    return "\n".join(lines)


def _datasets_table(
    rows: list[tuple[DatasetRecord, tuple[str, ...]]], *, matched: bool
) -> Table:
    """The catalog's table; search results say which fields matched instead of
    the source, column count and refresh time (``rung datasets show`` has them)."""
    from rich.markup import escape
    from rich.table import Table

    from rung._internal.timeutil import format_time

    table = Table(title=f"Datasets ({len(rows)})", title_justify="left")
    table.add_column("name", no_wrap=True)
    if matched:
        table.add_column("matched", overflow="fold")
    else:
        table.add_column("source")
    for heading in ("owner", "tags", "region", "version"):
        table.add_column(heading)
    if not matched:
        table.add_column("cols")
        table.add_column("refreshed (UTC)")
    for d, fields in rows:
        tags = ", ".join(d.tags)
        first = (
            escape(", ".join(fields))
            if matched
            else d.kind + (f"/{d.format}" if d.format else "")
        )
        cells = [d.owner, f"[yellow]{tags}[/]" if tags else "", d.region or ""]
        last = (
            [] if matched else [str(len(d.columns)), format_time(d.last_refreshed_at)]
        )
        table.add_row(d.name, first, *cells, str(d.latest_version), *last)
    return table


@app.command("show")
def show(
    name: str = typer.Argument(..., help="The dataset."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show a dataset: source, schema, statistics, versions and schema changes."""
    from rung.catalog import next_refresh

    with open_client() as client:
        record = client.get_dataset(name)
        versions = client.list_dataset_versions(name)
    if as_json:
        print_json({"dataset": record, "versions": versions})
        return
    console.print(_summary_table(record, next_refresh(record)))
    console.print(_columns_table(record, versions[-1]))
    console.print(_versions_table(versions))


@app.command("describe-column")
def describe_column(
    name: str = typer.Argument(..., help="The dataset."),
    column: str = typer.Argument(..., help="The column."),
    text: str = typer.Argument(None, help="The description."),
    tags: str = typer.Option(None, "--tags", help="Comma-separated tags: pii."),
) -> None:
    """Describe a column and/or set its tags."""
    with open_client() as client:
        client.describe_column(
            name,
            column,
            text,
            tags=None if tags is None else _split(tags),
        )
    console.print(f"Updated column [bold]{column}[/] of [bold]{name}[/].")


def _print_result(result: RefreshResult, as_json: bool) -> None:
    from rung.catalog._profile import describe_changes

    if as_json:
        print_json(result)
        return
    v = result.version
    verb = {"created": "Registered", "changed": "New version", "unchanged": "Unchanged"}
    console.print(
        f"{verb[result.status]}: [bold]{result.dataset.name}@{v.version}[/] "
        f"({v.row_count} rows, {format_bytes(v.size_bytes)}, "
        f"{'snapshot kept' if v.snapshot_artifact_id else 'no snapshot'}) "
        f"in {result.seconds:.2f} s"
    )
    if result.schema_changes:
        console.print(
            f"[yellow]Schema changed:[/] {describe_changes(result.schema_changes)}"
        )


def _summary_table(record: DatasetRecord, next_fire: float | None) -> Table:
    from rich.table import Table

    from rung._internal.timeutil import format_time
    from rung.catalog._sources import mask_uri

    table = Table(show_header=False, box=None, title=record.name, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    source = record.kind + (f" ({record.format})" if record.format else "")
    rows = [
        ("uri", mask_uri(record.uri)),
        ("source", source + (f": {record.query}" if record.query else "")),
        ("owner", record.owner),
        ("description", record.description),
        ("tags", ", ".join(record.tags)),
        ("region", record.region or ""),
        ("schedule", (record.schedule or "") + _next(next_fire, format_time)),
        ("on schema change", "fail" if record.fail_on_schema_change else "report"),
        ("snapshots", record.snapshot),
        ("last refreshed", format_time(record.last_refreshed_at) + " UTC"),
    ]
    for key, value in rows:
        if value:
            table.add_row(key, value)
    return table


def _next(fire: float | None, fmt: Any) -> str:
    return f"  (next: {fmt(fire)} UTC)" if fire is not None else ""


def _columns_table(record: DatasetRecord, latest: DatasetVersionRecord) -> Table:
    from rich.table import Table

    stats = latest.stats.get("columns", {})
    table = Table(title=f"Schema (version {latest.version})", title_justify="left")
    for heading in ("column", "type", "nulls", "min", "max", "mean", "distinct"):
        table.add_column(heading)
    table.add_column("tags")
    table.add_column("description")
    for c in record.columns:
        s = stats.get(c.name, {})
        table.add_row(
            c.name,
            c.type,
            *(_cell(s.get(key)) for key in ("nulls", "min", "max", "mean", "distinct")),
            f"[yellow]{', '.join(c.tags)}[/]" if c.tags else "",
            c.description,
        )
    return table


def _versions_table(versions: list[DatasetVersionRecord]) -> Table:
    from rich.table import Table

    from rung._internal.timeutil import format_time
    from rung.catalog._profile import describe_changes

    table = Table(title="Versions", title_justify="left")
    for heading in ("version", "created (UTC)", "rows", "size", "fingerprint"):
        table.add_column(heading)
    table.add_column("snapshot")
    table.add_column("schema changes")
    for v in reversed(versions):
        table.add_row(
            str(v.version),
            format_time(v.created_at),
            _cell(v.row_count),
            format_bytes(v.size_bytes),
            v.fingerprint.removeprefix("sha256:")[:12],
            (v.snapshot_artifact_id or "")[:12],
            describe_changes(v.schema_changes) if v.schema_changes else "",
        )
    return table


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _column_tags(text: str) -> dict[str, list[str]]:
    from rung.errors import InvalidDatasetError

    found: dict[str, list[str]] = {}
    for item in _split(text):
        column, sep, tag = item.partition("=")
        if not sep or not column.strip() or not tag.strip():
            raise InvalidDatasetError(
                f"Invalid --column-tags entry {item!r}. Write column=tag pairs "
                "separated by commas, e.g. email=pii,dob=pii."
            )
        found.setdefault(column.strip(), []).append(tag.strip())
    return found
