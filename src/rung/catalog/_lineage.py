"""End-to-end lineage: a graph over datasets, step runs, artifacts, models...

The graph is assembled from **lineage sources**: small objects that know one
family of records. Each can name the nodes a user's reference points at, and
list a node's neighbours upstream and downstream. The catalog ships sources
for datasets, step runs and artifacts, and models (when the registry is
there); another domain (serving: deployments, prediction batches) adds its
own with :func:`add_lineage_source`, without the catalog importing it.

Edges point the way data flows: dataset -> version -> step run (read) ->
artifact (output) -> step run (input) -> ... -> model version -> deployment.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from rung._internal.hooks import HookList
from rung.errors import AmbiguousIdError, LineageNodeNotFoundError

if TYPE_CHECKING:
    from rung.workspace import Workspace

__all__ = [
    "GraphEdge",
    "GraphNode",
    "LineageGraph",
    "LineageSource",
    "add_lineage_source",
    "lineage_graph",
    "remove_lineage_source",
]

Direction = Literal["upstream", "downstream", "both"]
Neighbour = tuple["GraphNode", "GraphEdge"]


@dataclass(frozen=True, slots=True)
class GraphNode:
    """A node: ``kind:identifier`` plus what to show and what policies read.

    Attributes:
        id: unique in the graph, ``kind:identifier`` (``artifact:3fa9...``).
        kind: ``dataset``, ``dataset_version``, ``step_run``, ``artifact``,
            ``model_version``, or a kind another domain added.
        label: a short text for people.
        attributes: details (tags, region, owner, type, run id...).
    """

    id: str
    kind: str
    label: str
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GraphEdge:
    """Data flows from ``source`` to ``target`` (node ids); ``kind`` says how."""

    source: str
    target: str
    kind: str


@dataclass(frozen=True, slots=True)
class LineageGraph:
    """Nodes and edges reachable from the roots in the asked direction.

    Attributes:
        roots: the ids of the nodes the reference named.
        direction: ``upstream``, ``downstream`` or ``both``.
        nodes: id -> node.
        edges: every edge between two nodes of the graph (no duplicates).
        truncated: True when ``depth`` or ``max_nodes`` cut the walk short.
    """

    roots: tuple[str, ...]
    direction: str
    nodes: Mapping[str, GraphNode]
    edges: tuple[GraphEdge, ...]
    truncated: bool = False

    def parents(self, node_id: str) -> list[GraphNode]:
        """Nodes with an edge into ``node_id``."""
        return [self.nodes[e.source] for e in self.edges if e.target == node_id]

    def children(self, node_id: str) -> list[GraphNode]:
        """Nodes ``node_id`` has an edge to."""
        return [self.nodes[e.target] for e in self.edges if e.source == node_id]

    def of_kind(self, kind: str) -> list[GraphNode]:
        """The nodes of one kind, in discovery order."""
        return [n for n in self.nodes.values() if n.kind == kind]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form: roots, direction, nodes, edges, truncated."""
        return {
            "roots": list(self.roots),
            "direction": self.direction,
            "nodes": [
                {
                    "id": n.id,
                    "kind": n.kind,
                    "label": n.label,
                    "attributes": dict(n.attributes),
                }
                for n in self.nodes.values()
            ],
            "edges": [
                {"source": e.source, "target": e.target, "kind": e.kind}
                for e in self.edges
            ],
            "truncated": self.truncated,
        }


@runtime_checkable
class LineageSource(Protocol):
    """One family of lineage records (return [] for nodes you do not know)."""

    def find(self, workspace: Workspace, reference: str) -> list[GraphNode]:
        """The nodes a user's reference names (an id, a prefix, ``name@3``)."""
        ...

    def upstream(self, workspace: Workspace, node: GraphNode) -> list[Neighbour]:
        """Nodes whose data flowed into ``node``, with the edges."""
        ...

    def downstream(self, workspace: Workspace, node: GraphNode) -> list[Neighbour]:
        """Nodes that ``node``'s data flowed into, with the edges."""
        ...


# Sources are wired in pyproject.toml (entry-point group ``rung.lineage_sources``):
# the catalog's own, and other domains' (serving adds deployments and prediction
# batches) without the catalog naming them.
_sources: HookList[LineageSource] = HookList("rung.lineage_sources")


def add_lineage_source(source: LineageSource | str) -> None:
    """Add a lineage source (an object or a ``"module:attribute"`` string).

    Example:
        >>> add_lineage_source("myserving.lineage:DEPLOYMENTS")  # doctest: +SKIP
    """
    _sources.add(source)


def remove_lineage_source(source: LineageSource | str) -> None:
    """Remove a lineage source (a wired one is disabled; unknown ones ignored)."""
    _sources.remove(source)


def lineage_sources() -> list[LineageSource]:
    """The registered sources, imported."""
    return _sources.resolved()


def lineage_graph(
    workspace: Workspace,
    node_id: str,
    direction: Direction = "both",
    depth: int = 20,
    *,
    max_nodes: int = 2000,
) -> LineageGraph:
    """Walk lineage from a node, upstream, downstream or both.

    Args:
        workspace: the workspace.
        node_id: a dataset name (``claims``) or ``name@version``, a dataset
            version id, an artifact id, a run id (its step runs), a model
            version ``name/version``, or a node id (``artifact:3fa9...``).
            Ids may be unique prefixes of at least 4 characters.
        direction: ``upstream`` (where it came from), ``downstream`` (what it
            fed) or ``both``.
        depth: the most hops to walk from the roots.
        max_nodes: stop adding nodes past this many (``truncated`` is set).

    Returns:
        The graph.

    Raises:
        LineageNodeNotFoundError: nothing has this id or name.
        AmbiguousIdError: the reference names different kinds of things.

    Example:
        >>> graph = lineage_graph(ws, "claims@1", "downstream")  # doctest: +SKIP
        >>> [n.kind for n in graph.nodes.values()]  # doctest: +SKIP
        ['dataset_version', 'step_run', 'artifact', 'model_version']
    """
    if direction not in ("upstream", "downstream", "both"):
        raise ValueError(
            f"direction must be upstream, downstream or both, got {direction!r}"
        )
    sources = lineage_sources()
    roots = _find_roots(workspace, sources, node_id)
    walk = _Walk(workspace, sources, max_nodes)
    for root in roots:
        walk.nodes[root.id] = root
    for way in ("upstream", "downstream") if direction == "both" else (direction,):
        walk.run([r.id for r in roots], way, depth)
    return LineageGraph(
        tuple(r.id for r in roots),
        direction,
        dict(walk.nodes),
        tuple(walk.edges.values()),
        walk.truncated,
    )


def _find_roots(
    workspace: Workspace, sources: list[LineageSource], reference: str
) -> list[GraphNode]:
    found: dict[str, GraphNode] = {}
    for source in sources:
        for node in source.find(workspace, reference):
            found.setdefault(node.id, node)
    if not found:
        raise LineageNodeNotFoundError(
            f"Nothing in the workspace is named {reference!r}. Give a dataset name "
            "(claims, claims@2), a dataset version, artifact or run id (or a prefix "
            "of at least 4 characters), or a model version (name/3)."
        )
    kinds = {n.kind for n in found.values()}
    if len(kinds) > 1 and not kinds <= {"step_run"}:
        shown = ", ".join(sorted(found))
        raise AmbiguousIdError(
            f"{reference!r} names several things: {shown}. Type more characters, "
            "or prefix the kind (artifact:ID, run:ID, dataset:NAME)."
        )
    return list(found.values())


class _Walk:
    """Breadth-first walk in one direction, sharing nodes and edges."""

    def __init__(
        self, workspace: Workspace, sources: list[LineageSource], max_nodes: int
    ) -> None:
        self.workspace = workspace
        self.sources = sources
        self.max_nodes = max_nodes
        self.nodes: dict[str, GraphNode] = {}
        self.edges: dict[tuple[str, str, str], GraphEdge] = {}
        self.truncated = False

    def run(self, roots: list[str], way: str, depth: int) -> None:
        queue = deque((root, 0) for root in roots)
        seen = set(roots)
        while queue:
            node_id, hops = queue.popleft()
            if hops >= depth:
                self.truncated = self.truncated or bool(self._neighbours(node_id, way))
                continue
            for neighbour, edge in self._neighbours(node_id, way):
                if neighbour.id not in self.nodes:
                    if len(self.nodes) >= self.max_nodes:
                        self.truncated = True
                        continue
                    self.nodes[neighbour.id] = neighbour
                self.edges.setdefault((edge.source, edge.target, edge.kind), edge)
                if neighbour.id not in seen:
                    seen.add(neighbour.id)
                    queue.append((neighbour.id, hops + 1))

    def _neighbours(self, node_id: str, way: str) -> list[Neighbour]:
        node = self.nodes[node_id]
        out: list[Neighbour] = []
        for source in self.sources:
            step = source.upstream if way == "upstream" else source.downstream
            out.extend(step(self.workspace, node))
        return out
