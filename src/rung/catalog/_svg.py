"""Drawing a lineage graph: a layered left-to-right layout as SVG, or HTML.

No Graphviz needed: nodes are placed in layers by longest path from the
sources (data flows left to right), ordered in each layer by the mean
position of their parents to keep crossings few, and joined by curves.
"""

from __future__ import annotations

import json
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rung.catalog._lineage import GraphNode, LineageGraph

__all__ = ["graph_to_html", "graph_to_svg", "layout"]

_W, _H, _GAP_X, _GAP_Y, _PAD = 190, 46, 70, 18, 20
_COLORS = {
    "dataset": "#dbeafe",
    "dataset_version": "#bfdbfe",
    "step_run": "#fef3c7",
    "artifact": "#dcfce7",
    "model_version": "#ede9fe",
    "deployment": "#fce7f3",
    "prediction_batch": "#fee2e2",
}
_ROOT_STROKE = "#dc2626"


def layout(graph: LineageGraph) -> dict[str, tuple[int, int]]:
    """Return node id -> (layer, row) for a left-to-right drawing."""
    parents: dict[str, list[str]] = {n: [] for n in graph.nodes}
    children: dict[str, list[str]] = {n: [] for n in graph.nodes}
    for edge in graph.edges:
        parents[edge.target].append(edge.source)
        children[edge.source].append(edge.target)
    layer = _layers(list(graph.nodes), parents, children)
    rows: dict[str, tuple[int, int]] = {}
    for number in sorted(set(layer.values())):
        members = [n for n in graph.nodes if layer[n] == number]
        members.sort(key=lambda n: _barycenter(n, parents, rows))
        for row, node_id in enumerate(members):
            rows[node_id] = (number, row)
    return rows


def _layers(
    order: list[str], parents: dict[str, list[str]], children: dict[str, list[str]]
) -> dict[str, int]:
    waiting = {n: len(parents[n]) for n in order}
    ready = [n for n in order if waiting[n] == 0]
    layer = dict.fromkeys(ready, 0)
    while ready:
        node = ready.pop(0)
        for child in children[node]:
            layer[child] = max(layer.get(child, 0), layer[node] + 1)
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
    deepest = max(layer.values(), default=-1)
    for node in order:  # only a cycle leaves nodes unplaced
        layer.setdefault(node, deepest + 1)
    return layer


def _barycenter(
    node_id: str, parents: dict[str, list[str]], rows: dict[str, tuple[int, int]]
) -> float:
    placed = [rows[p][1] for p in parents[node_id] if p in rows]
    return sum(placed) / len(placed) if placed else float("inf")


def graph_to_svg(graph: LineageGraph) -> str:
    """Return an SVG drawing of the graph (roots outlined in red).

    Example:
        >>> svg = graph_to_svg(lineage_graph(ws, "claims"))  # doctest: +SKIP
    """
    places = layout(graph)
    tallest = max((r for _, r in places.values()), default=0) + 1
    widest = max((c for c, _ in places.values()), default=0) + 1
    height = 2 * _PAD + tallest * (_H + _GAP_Y)
    width = 2 * _PAD + widest * (_W + _GAP_X)
    layer_sizes: dict[int, int] = {}
    for column, row in places.values():
        layer_sizes[column] = max(layer_sizes.get(column, 0), row + 1)

    def corner(node_id: str) -> tuple[float, float]:
        column, row = places[node_id]
        offset = (tallest - layer_sizes[column]) * (_H + _GAP_Y) / 2
        return _PAD + column * (_W + _GAP_X), _PAD + offset + row * (_H + _GAP_Y)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="#64748b"/></marker></defs>',
    ]
    for edge in graph.edges:
        x1, y1 = corner(edge.source)
        x2, y2 = corner(edge.target)
        x1, y1, y2 = x1 + _W, y1 + _H / 2, y2 + _H / 2
        bend = (x2 - x1) / 2
        parts.append(
            f'<path d="M {x1:.0f} {y1:.0f} C {x1 + bend:.0f} {y1:.0f}, '
            f'{x2 - bend:.0f} {y2:.0f}, {x2:.0f} {y2:.0f}" fill="none" '
            f'stroke="#64748b" stroke-width="1.3" marker-end="url(#arrow)">'
            f"<title>{escape(edge.kind)}</title></path>"
        )
    roots = set(graph.roots)
    for node in graph.nodes.values():
        x, y = corner(node.id)
        parts.append(_node_svg(node, x, y, node.id in roots))
    parts.append("</svg>")
    return "\n".join(parts)


def _node_svg(node: GraphNode, x: float, y: float, is_root: bool) -> str:
    fill = _COLORS.get(node.kind, "#f1f5f9")
    stroke = _ROOT_STROKE if is_root else "#475569"
    label = node.label if len(node.label) <= 28 else node.label[:27] + "…"
    details = json.dumps(dict(node.attributes), default=str, sort_keys=True)
    warn = " ⚠" if node.attributes.get("tags") else ""
    return (
        f'<g class="node" data-id="{escape(node.id)}">'
        f"<title>{escape(node.id)}\n{escape(details)}</title>"
        f'<rect x="{x:.0f}" y="{y:.0f}" width="{_W}" height="{_H}" rx="7" '
        f'fill="{fill}" stroke="{stroke}" stroke-width="{2 if is_root else 1}"/>'
        f'<text x="{x + 9:.0f}" y="{y + 17:.0f}" fill="#475569" font-size="10">'
        f"{escape(node.kind.replace('_', ' '))}{escape(warn)}</text>"
        f'<text x="{x + 9:.0f}" y="{y + 35:.0f}" fill="#0f172a">{escape(label)}</text>'
        "</g>"
    )


def graph_to_html(graph: LineageGraph, title: str = "Rung lineage") -> str:
    """Return a self-contained HTML page: the SVG drawing and a node table.

    Example:
        >>> html = graph_to_html(lineage_graph(ws, "claims"))  # doctest: +SKIP
    """
    rows = "\n".join(
        f"<tr><td>{escape(n.kind)}</td><td>{escape(n.label)}</td>"
        f"<td><code>{escape(n.id)}</code></td><td>{escape(_summary(n))}</td></tr>"
        for n in graph.nodes.values()
    )
    note = (
        "<p><em>Truncated: raise --depth to see more.</em></p>"
        if graph.truncated
        else ""
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>"
        "body{font-family:sans-serif;margin:24px;color:#0f172a}"
        "table{border-collapse:collapse;margin-top:16px}"
        "td,th{border:1px solid #cbd5e1;padding:4px 8px;font-size:13px;text-align:left}"
        ".scroll{overflow:auto;border:1px solid #e2e8f0;padding:8px}"
        "</style></head><body>"
        f"<h1>{escape(title)}</h1><p>From {escape(', '.join(graph.roots))} "
        f"({escape(graph.direction)}): {len(graph.nodes)} nodes, "
        f"{len(graph.edges)} edges.</p>{note}"
        f'<div class="scroll">{graph_to_svg(graph)}</div>'
        "<table><tr><th>kind</th><th>label</th><th>id</th><th>details</th></tr>"
        f"{rows}</table></body></html>\n"
    )


def _summary(node: GraphNode) -> str:
    keep = ("tags", "region", "owner", "type", "rows", "state", "run_id")
    shown = {k: node.attributes[k] for k in keep if node.attributes.get(k)}
    return ", ".join(f"{k}={v}" for k, v in shown.items())
