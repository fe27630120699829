"""``rung lineage ID``: where data came from and what it fed, as a tree or a graph."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from rung.cli._common import console, open_client, print_json

if TYPE_CHECKING:
    from rich.tree import Tree

    from rung.catalog import GraphNode, LineageGraph
    from rung.catalog._lineage import Direction

__all__ = ["lineage"]


def lineage(
    node_id: str = typer.Argument(
        ...,
        help="Dataset name (claims, claims@2), dataset version, artifact, run, "
        "deployment or prediction batch id (prefix ok), model version (name/3), "
        "prediction id, comparison:ID, promotion:N, rollback:N, dispatch:N or "
        "alert:ID.",
    ),
    upstream: bool = typer.Option(False, "--upstream", help="Only where it came from."),
    downstream: bool = typer.Option(False, "--downstream", help="Only what it fed."),
    depth: int = typer.Option(20, "--depth", help="The most hops to follow."),
    output: Path = typer.Option(
        None, "--output", "-o", help="Write the graph: .html, .svg or .json."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show end-to-end lineage: datasets -> steps -> artifacts -> models."""
    from rung.errors import CatalogError

    if upstream and downstream:
        raise CatalogError("Give --upstream or --downstream, not both (omit both).")
    direction: Direction = (
        "upstream" if upstream else "downstream" if downstream else "both"
    )
    with open_client() as client:
        graph = client.lineage_graph(node_id, direction, depth)
    if output is not None:
        _write(graph, output)
    if as_json:
        print_json(graph.to_dict())
        return
    for way in ("upstream", "downstream") if direction == "both" else (direction,):
        console.print(_tree(graph, way))
    if graph.truncated:
        console.print(f"[dim](cut at depth {depth}; use --depth for more)[/]")
    if output is not None:
        console.print(f"Wrote {output}")


def _write(graph: LineageGraph, output: Path) -> None:
    import json

    from rung.catalog import graph_to_html, graph_to_svg
    from rung.errors import CatalogError

    suffix = output.suffix.lower()
    if suffix in (".html", ".htm"):
        text = graph_to_html(graph)
    elif suffix == ".svg":
        text = graph_to_svg(graph)
    elif suffix == ".json":
        text = json.dumps(graph.to_dict(), indent=2, default=str)
    else:
        raise CatalogError(
            f"Cannot write lineage as {output.name!r}: unknown extension. Use "
            ".html, .svg or .json."
        )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")


def _tree(graph: LineageGraph, way: str) -> Tree:
    from rich.tree import Tree

    arrow = "⬆ upstream" if way == "upstream" else "⬇ downstream"
    top = Tree(f"[bold]{arrow}[/]")
    seen: set[str] = set()
    for root in graph.roots:
        _grow(top, graph, graph.nodes[root], way, seen)
    return top


def _grow(
    branch: Tree, graph: LineageGraph, node: GraphNode, way: str, seen: set[str]
) -> None:
    repeated = node.id in seen
    sub = branch.add(_label(node) + (" [dim](see above)[/]" if repeated else ""))
    if repeated:
        return
    seen.add(node.id)
    nexts = graph.parents(node.id) if way == "upstream" else graph.children(node.id)
    for other in nexts:
        _grow(sub, graph, other, way, seen)


_STYLE = {
    "dataset": "blue",
    "dataset_version": "blue",
    "step_run": "yellow",
    "artifact": "green",
    "model_version": "magenta",
}


def _label(node: GraphNode) -> str:
    from rich.markup import escape

    style = _STYLE.get(node.kind, "white")
    extra = []
    tags = node.attributes.get("tags")
    if tags:
        extra.append(f"[red]{escape(', '.join(tags))}[/]")
    region = node.attributes.get("region")
    if region:
        extra.append(f"region {escape(str(region))}")
    suffix = f" ({'; '.join(extra)})" if extra else ""
    kind = node.kind.replace("_", " ")
    return f"[{style}]{kind}[/] [bold]{escape(node.label)}[/]{suffix}"
