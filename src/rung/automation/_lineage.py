"""Automation in the lineage graph: the cause chain of a model change.

Edges: monitor alert -> trigger firing (``fired``) -> the step runs of the run
it started (``started``); model versions -> challenger comparison
(``challenger``, ``champion``) -> promotion or refusal (``decided``) ->
automatic rollback (``rolled back``); comparison (or version) -> rollout
(``rolled out``) -> its stages -> promotion (see ``_rollout_lineage``).
With the catalog's own edges (step run -> artifact -> model version) ``rung
lineage`` shows the whole chain: alert -> trigger -> run -> version ->
comparison -> rollout stages -> promotion -> rollback.

References: ``comparison:ID`` (or a full 32-character comparison id),
``promotion:N``, ``rollback:N`` (ledger entries), ``dispatch:N`` (trigger
ledger entries), ``alert:ID``, ``rollout:ID``, ``rollout_stage:ID:N``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rung.automation._rollout_lineage import (
    find_rollout,
    rollout_downstream,
    rollout_upstream,
    rollouts_of,
    stage_node,
)
from rung.catalog import GraphEdge, GraphNode

if TYPE_CHECKING:
    from rung.automation.records import (
        ChallengerComparison,
        ChallengerEventRecord,
        DispatchRecord,
    )
    from rung.catalog._lineage import Neighbour
    from rung.serving.records import RolloutRecord
    from rung.workspace import Workspace

__all__ = ["CHALLENGERS", "AutomationLineage"]

_DECISIONS = ("promoted", "refused")
_RECENT = 500  # trigger ledger entries searched for an alert's firings


class AutomationLineage:
    """A lineage source for comparisons, promotions, rollbacks and firings."""

    def find(self, workspace: Workspace, reference: str) -> list[GraphNode]:
        """``comparison:ID``, ``promotion:N``, ``rollback:N``, ``dispatch:N``,
        ``alert:ID`` or a full comparison id."""
        kind, sep, rest = reference.partition(":")
        if not sep:
            return (
                self._comparison(workspace, reference) if len(reference) == 32 else []
            )
        if kind == "comparison":
            return self._comparison(workspace, rest)
        if kind in ("rollout", "rollout_stage"):
            return find_rollout(workspace, kind, rest)
        if kind in ("promotion", "rollback") and rest.isdigit():
            event = workspace.triggers.get_challenger_event(
                workspace.project, int(rest)
            )
            node = None if event is None else _event_node(event)
            return [node] if node is not None and node.kind == kind else []
        if kind == "dispatch" and rest.isdigit():
            try:
                found = workspace.triggers.get_dispatch(workspace.project, int(rest))
            except LookupError:
                return []
            return [_dispatch_node(found)]
        if kind == "alert":
            firing = _firings(workspace, rest)
            return [_alert_node(firing[0])] if firing else []
        return []

    def upstream(self, workspace: Workspace, node: GraphNode) -> list[Neighbour]:
        """What led to a node: versions, comparison, promotion, firing, alert."""
        attrs = node.attributes
        if node.kind == "step_run" and attrs.get("run_id"):
            return _started_by(workspace, node)
        if not _is_ours(node):
            return []
        if node.kind == "challenger_comparison":
            out: list[Neighbour] = []
            for role in ("champion", "challenger"):
                parent = _version_node(workspace, attrs, attrs[f"{role}_version"])
                out.append((parent, GraphEdge(parent.id, node.id, role)))
            return out
        if node.kind in ("rollout", "rollout_stage"):
            return rollout_upstream(
                workspace, node, lambda r: self._rollout_parent(workspace, r)
            )
        if node.kind == "promotion" and attrs.get("rollout_id"):
            return _promoted_by_rollout(workspace, node)
        if node.kind == "promotion":
            found = self._comparison(workspace, attrs["comparison_id"] or "")
            return [(p, GraphEdge(p.id, node.id, "decided")) for p in found]
        if node.kind == "rollback":
            return _rollback_cause(workspace, node)
        if node.kind == "trigger_dispatch" and attrs.get("alert_id"):
            dispatch = workspace.triggers.get_dispatch(
                workspace.project, attrs["dispatch_id"]
            )
            alert = _alert_node(dispatch)
            return [(alert, GraphEdge(alert.id, node.id, "fired"))]
        return []

    def downstream(self, workspace: Workspace, node: GraphNode) -> list[Neighbour]:
        """What a node led to: comparisons, decisions, rollbacks, runs."""
        attrs = node.attributes
        if node.kind == "model_version" and "project" in attrs:
            return _compared(workspace, node) + rollouts_of(
                workspace, node, comparison_id=None
            )
        if not _is_ours(node):
            return []
        store = workspace.triggers
        if node.kind == "challenger_comparison":
            events = store.list_challenger_events(
                workspace.project,
                comparison_id=attrs["comparison_id"],
                actions=_DECISIONS,
            )
            direct = [e for e in events if not e.evidence.get("rollout_id")]
            return [_edge(node, e, "decided") for e in reversed(direct)] + rollouts_of(
                workspace, node, comparison_id=attrs["comparison_id"]
            )
        if node.kind in ("rollout", "rollout_stage"):
            return rollout_downstream(workspace, node, _event_node)
        if node.kind == "promotion" and not attrs["comparison_id"]:
            return _rolled_back_after(workspace, node)
        if node.kind == "promotion" and attrs["outcome"] == "promoted":
            events = store.list_challenger_events(
                workspace.project,
                comparison_id=attrs["comparison_id"],
                actions=["rolled_back"],
            )
            return [_edge(node, e, "rolled back") for e in reversed(events)]
        if node.kind == "alert":
            return [
                (child, GraphEdge(node.id, child.id, "fired"))
                for child in map(_dispatch_node, _firings(workspace, attrs["alert_id"]))
            ]
        if node.kind == "trigger_dispatch" and attrs.get("run_id"):
            return _started(workspace, node)
        return []

    def _comparison(self, workspace: Workspace, reference: str) -> list[GraphNode]:
        if not reference:
            return []
        try:
            found = workspace.triggers.get_comparison(workspace.project, reference)
        except LookupError:
            return []
        return [_comparison_node(found)]

    def _rollout_parent(
        self, workspace: Workspace, rollout: RolloutRecord
    ) -> GraphNode:
        found = self._comparison(workspace, rollout.comparison_id or "")
        if found:
            return found[0]
        attrs = {"project": rollout.project, "model": rollout.model}
        return _version_node(workspace, attrs, rollout.challenger_version)


def _is_ours(node: GraphNode) -> bool:
    keys = {
        "challenger_comparison": "comparison_id",
        "promotion": "event_id",
        "rollback": "event_id",
        "trigger_dispatch": "dispatch_id",
        "alert": "alert_id",
        "rollout": "rollout_id",
        "rollout_stage": "rollout_id",
    }
    return keys.get(node.kind, "") in node.attributes


def _edge(parent: GraphNode, event: ChallengerEventRecord, kind: str) -> Neighbour:
    child = _event_node(event)
    if child is None:  # pragma: no cover - only decision and rollback events come here
        raise LookupError(event.id)
    return child, GraphEdge(parent.id, child.id, kind)


def _compared(workspace: Workspace, node: GraphNode) -> list[Neighbour]:
    attrs = node.attributes
    found = workspace.triggers.list_comparisons(
        attrs["project"], model=attrs["model"], version=attrs["version"], limit=100
    )
    out: list[Neighbour] = []
    for comparison in reversed(found):
        role = (
            "challenger"
            if comparison.challenger_version == attrs["version"]
            else "champion"
        )
        child = _comparison_node(comparison)
        out.append((child, GraphEdge(node.id, child.id, role)))
    return out


def _rollback_cause(workspace: Workspace, node: GraphNode) -> list[Neighbour]:
    attrs = node.attributes
    if attrs.get("comparison_id"):
        events = workspace.triggers.list_challenger_events(
            workspace.project,
            comparison_id=attrs["comparison_id"],
            actions=["promoted"],
        )
        if events:
            parent = _event_node(events[0])
            if parent is not None:
                return [(parent, GraphEdge(parent.id, node.id, "rolled back"))]
    watched = _version_node(workspace, attrs, attrs["from_version"])
    return [(watched, GraphEdge(watched.id, node.id, "rolled back"))]


def _promoted_by_rollout(workspace: Workspace, node: GraphNode) -> list[Neighbour]:
    from rung.serving import rollout_store

    try:
        rollout = rollout_store(workspace).get_rollout(
            workspace.project, node.attributes["rollout_id"]
        )
    except LookupError:
        return []
    last = stage_node(rollout, len(rollout.stages) - 1)
    return [(last, GraphEdge(last.id, node.id, "decided"))]


def _rolled_back_after(workspace: Workspace, node: GraphNode) -> list[Neighbour]:
    """Rollbacks of a version promoted without a comparison (by a rollout)."""
    attrs = node.attributes
    if attrs["outcome"] != "promoted":
        return []
    events = workspace.triggers.list_challenger_events(
        workspace.project, model=attrs["model"], actions=["rolled_back"]
    )
    return [
        _edge(node, e, "rolled back")
        for e in reversed(events)
        if e.alias == attrs["alias"]
        and e.evidence.get("from_version") == attrs["version"]
        and e.at >= attrs["at"]
    ]


def _started_by(workspace: Workspace, node: GraphNode) -> list[Neighbour]:
    try:
        run = workspace.runs.get_run(node.attributes["run_id"])
    except LookupError:
        return []
    dispatch_id = run.tags.get("rung.trigger.dispatch")
    if not dispatch_id or not dispatch_id.isdigit():
        return []
    try:
        dispatch = workspace.triggers.get_dispatch(run.project, int(dispatch_id))
    except LookupError:
        return []
    parent = _dispatch_node(dispatch)
    return [(parent, GraphEdge(parent.id, node.id, "started"))]


def _started(workspace: Workspace, node: GraphNode) -> list[Neighbour]:
    run_id = node.attributes["run_id"]
    out: list[Neighbour] = []
    for step in workspace.runs.list_step_runs(run_id):
        child = GraphNode(
            f"step_run:{step.id}",
            "step_run",
            f"{step.name} (run {run_id[:8]})",
            {"step": step.name, "run_id": run_id, "step_run_id": step.id},
        )
        out.append((child, GraphEdge(node.id, child.id, "started")))
    return out


def _firings(workspace: Workspace, alert_id: str) -> list[DispatchRecord]:
    key = f"monitor:{alert_id}"
    recent = workspace.triggers.list_dispatches(workspace.project, limit=_RECENT)
    return [d for d in reversed(recent) if d.event_key == key and d.outcome == "fired"]


def _comparison_node(record: ChallengerComparison) -> GraphNode:
    metric = next((c for c in record.checks if c.get("check") == "metric"), {})
    return GraphNode(
        f"comparison:{record.id}",
        "challenger_comparison",
        f"{record.model} v{record.challenger_version} vs v{record.champion_version}: "
        f"{record.verdict} ({record.metric} {_num(metric.get('challenger'))} vs "
        f"{_num(metric.get('champion'))})",
        {
            "comparison_id": record.id,
            "project": record.project,
            "model": record.model,
            "alias": record.alias,
            "champion_version": record.champion_version,
            "challenger_version": record.challenger_version,
            "metric": record.metric,
            "verdict": record.verdict,
            "labelled_rows": record.window.get("labelled_rows"),
            "content_hash": record.window.get("content_hash"),
            "created_at": record.created_at,
        },
    )


def _event_node(event: ChallengerEventRecord) -> GraphNode | None:
    base = {
        "event_id": event.id,
        "project": event.project,
        "model": event.model,
        "alias": event.alias,
        "comparison_id": event.comparison_id,
        "watch_id": event.watch_id,
        "rollout_id": event.evidence.get("rollout_id"),
        "at": event.at,
        "user": event.user,
        "reason": event.reason,
    }
    if event.action in _DECISIONS:
        return GraphNode(
            f"promotion:{event.id}",
            "promotion",
            f"{event.model}@{event.alias} -> v{event.version} ({event.action})",
            {**base, "outcome": event.action, "version": event.version},
        )
    if event.action == "rolled_back":
        watched = event.evidence.get("from_version")
        return GraphNode(
            f"rollback:{event.id}",
            "rollback",
            f"{event.model}@{event.alias} back to v{event.version}: {event.reason}",
            {**base, "to_version": event.version, "from_version": watched},
        )
    return None


def _dispatch_node(dispatch: DispatchRecord) -> GraphNode:
    return GraphNode(
        f"dispatch:{dispatch.id}",
        "trigger_dispatch",
        f"trigger {dispatch.trigger} {dispatch.outcome} ({dispatch.event_key or '-'})",
        {
            "dispatch_id": dispatch.id,
            "project": dispatch.project,
            "trigger": dispatch.trigger,
            "outcome": dispatch.outcome,
            "event_key": dispatch.event_key,
            "run_id": dispatch.run_id,
            "alert_id": dispatch.evidence.get("alert_id"),
        },
    )


def _alert_node(dispatch: DispatchRecord) -> GraphNode:
    found = dispatch.evidence
    return GraphNode(
        f"alert:{found.get('alert_id')}",
        "alert",
        f"alert {found.get('monitor')}/{found.get('check')} "
        f"({found.get('severity')}): {found.get('message', '')}",
        {
            "alert_id": found.get("alert_id"),
            "monitor": found.get("monitor"),
            "check": found.get("check"),
            "severity": found.get("severity"),
            "window_start": found.get("window_start"),
            "window_end": found.get("window_end"),
        },
    )


def _version_node(workspace: Workspace, attrs: Any, version: int) -> GraphNode:
    # The same node the catalog's model source builds (same id, same fields).
    project, model = attrs["project"], attrs["model"]
    found = workspace.models.get_model_version(project, model, int(version))
    return GraphNode(
        f"model_version:{project}/{model}/{found.version}",
        "model_version",
        f"{model} v{found.version}",
        {
            "model": model,
            "version": found.version,
            "project": project,
            "artifact_id": found.artifact_id,
            "state": found.state,
            "run_id": found.run_id,
            "step_run_id": found.step_run_id,
        },
    )


def _num(value: Any) -> str:
    return "?" if value is None else f"{float(value):.4g}"


CHALLENGERS = AutomationLineage()
