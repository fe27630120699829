"""Rollouts in the lineage graph: comparison -> rollout -> stages -> promotion.

A rollout hangs below the comparison behind it (or below its challenger
version when there was none, edge ``rolled out``); its stages follow one
another (``shadow`` -> ``canary`` -> ``promoted``, ``rolled_back``,
``aborted`` or ``refused``), and a ``promoted`` stage leads to the ledger's
promotion entry, below which a post-promotion rollback appears as before.

References: ``rollout:ID`` (id or prefix) and ``rollout_stage:ID:N``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rung.catalog import GraphEdge, GraphNode

if TYPE_CHECKING:
    from collections.abc import Callable

    from rung.automation.records import ChallengerEventRecord
    from rung.catalog._lineage import Neighbour
    from rung.serving.records import RolloutRecord
    from rung.workspace import Workspace

__all__ = [
    "find_rollout",
    "rollout_downstream",
    "rollout_upstream",
    "rollouts_of",
]


def find_rollout(workspace: Workspace, kind: str, rest: str) -> list[GraphNode]:
    """The node a ``rollout:`` or ``rollout_stage:`` reference names."""
    if kind == "rollout":
        found = _get(workspace, rest)
        return [] if found is None else [rollout_node(found)]
    rollout_id, _, index = rest.rpartition(":")
    found = _get(workspace, rollout_id) if index.isdigit() else None
    if found is None or int(index) >= len(found.stages):
        return []
    return [stage_node(found, int(index))]


def rollouts_of(
    workspace: Workspace, node: GraphNode, *, comparison_id: str | None
) -> list[Neighbour]:
    """The rollouts below a comparison (or below a version, without one)."""
    from rung.serving import rollout_store

    attrs = node.attributes
    found = rollout_store(workspace).list_rollouts(
        attrs["project"], model=attrs["model"], limit=None
    )
    if comparison_id is not None:
        mine = [r for r in found if r.comparison_id == comparison_id]
    else:
        mine = [
            r
            for r in found
            if r.comparison_id is None and r.challenger_version == attrs["version"]
        ]
    out: list[Neighbour] = []
    for rollout in reversed(mine):
        child = rollout_node(rollout)
        out.append((child, GraphEdge(node.id, child.id, "rolled out")))
    return out


def rollout_upstream(
    workspace: Workspace,
    node: GraphNode,
    parent: Callable[[RolloutRecord], GraphNode],
) -> list[Neighbour]:
    """A stage's previous stage or rollout; a rollout's comparison or version."""
    found = _get(workspace, node.attributes["rollout_id"])
    if found is None:
        return []
    if node.kind == "rollout_stage":
        index = int(node.attributes["index"])
        above = rollout_node(found) if index == 0 else stage_node(found, index - 1)
        edge = str(node.attributes["stage"])
        return [(above, GraphEdge(above.id, node.id, edge))]
    above = parent(found)
    return [(above, GraphEdge(above.id, node.id, "rolled out"))]


def rollout_downstream(
    workspace: Workspace,
    node: GraphNode,
    event_node: Callable[[ChallengerEventRecord], GraphNode | None],
) -> list[Neighbour]:
    """A rollout's first stage; a stage's next stage, or its promotion."""
    found = _get(workspace, node.attributes["rollout_id"])
    if found is None:
        return []
    index = -1 if node.kind == "rollout" else int(node.attributes["index"])
    if index + 1 < len(found.stages):
        child = stage_node(found, index + 1)
        edge = str(child.attributes["stage"])
        return [(child, GraphEdge(node.id, child.id, edge))]
    if found.stage != "promoted":
        return []
    events = workspace.triggers.list_challenger_events(
        found.project, model=found.model, actions=["promoted"], limit=None
    )
    out: list[Neighbour] = []
    for event in events:
        promoted = event_node(event)
        if promoted is not None and event.evidence.get("rollout_id") == found.id:
            out.append((promoted, GraphEdge(node.id, promoted.id, "decided")))
    return out


def rollout_node(rollout: RolloutRecord) -> GraphNode:
    """The node of a rollout."""
    path = " -> ".join(str(s.get("stage")) for s in rollout.stages)
    return GraphNode(
        f"rollout:{rollout.id}",
        "rollout",
        f"rollout of {rollout.model}@{rollout.alias} v{rollout.challenger_version} "
        f"against v{rollout.champion_version}: {path}",
        _attrs(rollout),
    )


def stage_node(rollout: RolloutRecord, index: int) -> GraphNode:
    """The node of one stage of a rollout."""
    stage = rollout.stages[index]
    what = str(stage.get("stage"))
    shown = f"{rollout.share:.0%} canary" if what == "canary" else what
    return GraphNode(
        f"rollout_stage:{rollout.id}:{index}",
        "rollout_stage",
        f"{rollout.model}@{rollout.alias} v{rollout.challenger_version} {shown}: "
        f"{stage.get('reason', '')}",
        {
            **_attrs(rollout),
            "index": index,
            "stage": what,
            "at": stage.get("at"),
            "reason": stage.get("reason", ""),
        },
    )


def _attrs(rollout: RolloutRecord) -> dict[str, Any]:
    return {
        "rollout_id": rollout.id,
        "project": rollout.project,
        "model": rollout.model,
        "alias": rollout.alias,
        "champion_version": rollout.champion_version,
        "challenger_version": rollout.challenger_version,
        "comparison_id": rollout.comparison_id,
        "state": rollout.stage,
        "share": rollout.share,
    }


def _get(workspace: Workspace, rollout_id: str) -> RolloutRecord | None:
    from rung.serving import rollout_store

    try:
        return rollout_store(workspace).get_rollout(workspace.project, rollout_id)
    except LookupError:
        return None
