"""``rung artifacts list|show|lineage|export|gc``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from rung.cli._common import console, format_bytes, open_client, print_json, short

if TYPE_CHECKING:
    from rich.tree import Tree

    from rung.client import LineageNode

__all__ = ["app"]

app = typer.Typer(
    help="List, inspect, trace, export and clean up artifacts.", no_args_is_help=True
)


@app.command("list")
def list_artifacts(
    run: str = typer.Option(None, "--run", help="Only outputs of this run."),
    type_: str = typer.Option(None, "--type", help="Only types containing this text."),
    limit: int = typer.Option(30, "--limit", "-n", help="How many to show."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List artifacts, newest first."""
    from rich.table import Table

    from rung._internal.timeutil import format_time

    with open_client() as client:
        records = client.list_artifacts(run_id=run, type_contains=type_, limit=limit)
        if as_json:
            print_json(records)
            return
        if not records:
            console.print("No artifacts yet.")
            return
        table = Table(title=f"Artifacts ({len(records)})", title_justify="left")
        for column in ("id", "type", "format", "size", "created (UTC)", "summary"):
            table.add_column(column, no_wrap=column == "id")
        for r in records:
            table.add_row(
                short(r.id),
                r.type,
                r.materializer + (" [red](pickle)[/]" if r.is_pickled else ""),
                format_bytes(r.size_bytes),
                format_time(r.created_at),
                _summary(r.metadata),
            )
        console.print(table)


@app.command("show")
def show(
    artifact_id: str = typer.Argument(..., help="Artifact id or unique prefix."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    check: bool = typer.Option(
        True,
        "--verify/--no-verify",
        help="Re-hash the stored bytes and compare them with the id (default); "
        "--no-verify only checks that they exist.",
    ),
) -> None:
    """Show an artifact: type, format, size, metadata, producers and consumers."""
    from rich.table import Table

    from rung.artifacts import verify

    with open_client() as client:
        record = client.get_artifact(artifact_id)
        edges = client.workspace.runs.lineage(record.id)
        present = client.workspace.has_content(record)
        verified = (
            verify(client.workspace.artifacts, record) if present and check else None
        )
        if as_json:
            print_json(
                {
                    "artifact": record,
                    "lineage": edges,
                    "content_present": present,
                    "content_verified": verified,
                }
            )
            return
        table = Table(show_header=False, box=None)
        table.add_column(style="bold")
        table.add_column()
        table.add_row("id", record.id)
        table.add_row("type", record.type)
        table.add_row(
            "format",
            f"{record.materializer}"
            + (" (pickled: loading needs --allow-pickle)" if record.is_pickled else ""),
        )
        table.add_row("size", format_bytes(record.size_bytes))
        table.add_row("stored at", f"{client.workspace.artifacts.url} / {record.uri}")
        table.add_row("content", _content_status(present, verified))
        for key, value in record.metadata.items():
            table.add_row(f"meta {key}", str(value))
        for edge in edges:
            verb = "made by" if edge.direction == "output" else "used by"
            table.add_row(
                verb, f"step {edge.step_name} ({edge.name}) in run {short(edge.run_id)}"
            )
        console.print(table)


@app.command("lineage")
def lineage(
    artifact_id: str = typer.Argument(..., help="Artifact id or unique prefix."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show where an artifact came from (upstream tree) and who used it."""
    from rich.tree import Tree

    with open_client() as client:
        result = client.lineage(artifact_id)
        if as_json:
            print_json(result)
            return
        tree = Tree(
            f"[bold]{short(result.root.artifact.id)}[/] {result.root.artifact.type}"
        )
        _add_upstream(tree, result.root)
        console.print(tree)
        if result.consumers:
            console.print("Used by:")
            for edge in result.consumers:
                console.print(
                    f"  step {edge.step_name} (as {edge.name}) "
                    f"in run {short(edge.run_id)}"
                )


def _add_upstream(tree: Tree, node: LineageNode) -> None:
    if node.producer is None:
        tree.add("[dim]no producing step (stored directly)[/]")
        return
    branch = tree.add(
        f"made by step [bold]{node.producer.step_name}[/] "
        f"(output {node.producer.name}) in run {short(node.producer.run_id)}"
    )
    for parent in node.inputs:
        sub = branch.add(f"{short(parent.artifact.id)} {parent.artifact.type}")
        _add_upstream(sub, parent)


@app.command("export")
def export(
    artifact_id: str = typer.Argument(..., help="Artifact id or unique prefix."),
    output: Path = typer.Option(
        ..., "--output", "-o", help="A new folder to write to."
    ),
) -> None:
    """Copy an artifact's stored files (Parquet, .npy, skops...) to a folder."""
    with open_client() as client:
        destination = client.export_artifact(artifact_id, output)
    console.print(f"Exported to {destination}")


@app.command("gc")
def collect(
    older_than: float = typer.Option(
        3600.0,
        "--older-than",
        help="Seconds without change after which a temporary folder is stale "
        "(default one hour; a low value can remove writes still in progress).",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Only list what would be removed."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Remove temporary folders that interrupted writes left in the store."""
    from rung._internal.timeutil import format_duration
    from rung.artifacts import collect_garbage

    with open_client() as client:
        url = client.workspace.artifacts.url
        found = collect_garbage(
            client.workspace.artifacts, older_than=older_than, dry_run=dry_run
        )
    total = sum(item.size_bytes for item in found)
    if as_json:
        print_json(
            {
                "store": url,
                "dry_run": dry_run,
                "older_than": older_than,
                "size_bytes": total,
                "temporaries": found,
            }
        )
        return
    if not found:
        console.print(f"No stale temporary folders in {url}.")
        return
    verb = "Would remove" if dry_run else "Removed"
    console.print(
        f"{verb} {len(found)} stale temporary folder(s), {format_bytes(total)}, "
        f"from {url}:"
    )
    for item in found:
        console.print(
            f"  {item.path}  ({format_duration(item.age_seconds)} unchanged, "
            f"{format_bytes(item.size_bytes)})"
        )


def _content_status(present: bool, verified: bool | None) -> str:
    if not present:
        return "[red]MISSING from the store[/]"
    if verified is None:
        return "present (not verified: --no-verify)"
    if verified:
        return "present, verified (the stored bytes hash to the id)"
    return (
        "[red]CORRUPT: the stored bytes do not match the id[/] (restore the "
        "folder from a backup, or delete it and re-run the step that made it)"
    )


def _summary(metadata: object) -> str:
    if not isinstance(metadata, dict):
        return ""
    for key in ("shape", "estimator", "length", "dtype"):
        if key in metadata:
            return f"{key}={metadata[key]}"
    return ""
