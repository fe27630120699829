"""``classifications_of``: what an artifact, a run or a model version carries.

It walks the catalog's lineage graph upstream to the dataset versions that
fed it; each brings its tags (its own and its columns'), its residency
region and the path its data took (``claims@v3 [health, CA] -> load -> train
-> churn v2``).
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from rung.governance._classify import Classification, source_of_attributes

if TYPE_CHECKING:
    from rung.catalog import GraphNode, LineageGraph
    from rung.workspace import Workspace

__all__ = ["classifications_of"]

_MAX_NODES = 5000


def classifications_of(
    workspace: Workspace, ref: str, *, depth: int = 100
) -> Classification:
    """Classify something by its upstream lineage.

    Args:
        workspace: the workspace.
        ref: an artifact id (or prefix), ``run:RUN_ID``, a model version
            ``name/version``, a dataset ``name@version`` (anything the
            catalog's ``lineage_graph`` accepts).
        depth: the most lineage hops to walk.

    Returns:
        The classification: tags, regions and one path per dataset version.
        ``complete`` is False when the walk was cut short.

    Raises:
        LineageNodeNotFoundError: nothing has this id or name.
        AmbiguousIdError: the reference names different kinds of things.

    Example:
        >>> c = classifications_of(ws, "churn/2")  # doctest: +SKIP
        >>> c.tags, c.regions  # doctest: +SKIP
        (('health',), ('CA',))
        >>> c.paths("health")  # doctest: +SKIP
        ['claims@v3 [health, CA] -> load -> train -> churn v2']
    """
    from rung.catalog import lineage_graph

    graph = lineage_graph(workspace, ref, "upstream", depth, max_nodes=_MAX_NODES)
    roots = set(graph.roots)
    children: dict[str, list[str]] = {}
    for edge in graph.edges:
        children.setdefault(edge.source, []).append(edge.target)
    sources = []
    for node in graph.nodes.values():
        if node.kind != "dataset_version":
            continue
        hops = _path_to_root(graph, children, node.id, roots)
        attributes = node.attributes
        source = source_of_attributes(
            str(attributes["name"]),
            int(attributes["version"]),
            attributes.get("tags", ()),
            attributes.get("region"),
            attributes.get("column_tags", {}),
        )
        for hop in hops:
            source = source.via(hop)
        sources.append(source)
    found = Classification(tuple(sources), complete=not graph.truncated)
    return Classification.merge([found])


def _path_to_root(
    graph: LineageGraph, children: dict[str, list[str]], start: str, roots: set[str]
) -> list[str]:
    """The hop labels of the shortest path from ``start`` down to a root."""
    parent: dict[str, str | None] = {start: None}
    queue = deque([start])
    end: str | None = start if start in roots else None
    while queue and end is None:
        current = queue.popleft()
        for child in children.get(current, []):
            if child not in parent:
                parent[child] = current
                if child in roots:
                    end = child
                    break
                queue.append(child)
    chain: list[str] = []
    while end is not None and end != start:
        chain.append(end)
        end = parent[end]
    return [h for h in (_hop(graph.nodes[n]) for n in reversed(chain)) if h]


def _hop(node: GraphNode) -> str | None:
    if node.kind == "step_run":
        return str(node.attributes.get("step") or node.label)
    if node.kind in ("artifact", "dataset", "dataset_version"):
        return None
    return node.label
