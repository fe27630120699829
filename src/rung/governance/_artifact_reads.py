"""The artifact read check: every read of an artifact's value, judged and audited.

Wired in the ``rung.artifact_read_checks`` entry-point group, so every path
that hands out an artifact's value passes here: ``rung.load_artifact``,
``Workspace.load_artifact``, ``Client.load_artifact`` and
``export_artifact``, ``load_model``, ``rung serve`` (at start and on every
swap) and batch scoring (``rung predict``). The read path comes with the
read (:class:`~rung.workspace.ArtifactRead`).

The artifact is classified through lineage: the dataset versions it is a
snapshot of, what reached the step runs that produced it (and what they
read), and for a model, what reached the step run that registered it.
Finished step runs never change, so what they carried is cached per
workspace; the datasets' tags and regions are read fresh on every check.

The reader is where the data goes: the caller's destination (a serving
endpoint's region), else the current step's ``region`` label, else the
workspace's region. No region for region-bound data is a refusal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rung.governance._classify import Classification, DataSource
from rung.governance._evaluate import (
    is_egress,
    judge_residency,
    locate,
    locate_step,
    matching_sources,
)
from rung.governance._policies import policies_for_run
from rung.governance._run_lineage import RunLineage
from rung.governance._runtime import egress_read, settle
from rung.tracking import current_scope

if TYPE_CHECKING:
    from collections.abc import Mapping

    from rung.governance._evaluate import Location, RuleResult
    from rung.governance._policies import PolicySet
    from rung.metadata import ArtifactRecord
    from rung.tracking import RunScope
    from rung.workspace import ArtifactRead, Workspace

__all__ = ["check_artifact_read", "classify_artifact"]

# Reads another check judges: a step's inputs (the step input check, before
# the step's code runs), dataset snapshots (the catalog's read check), and
# Rung reading metadata (a model's feature names) without handing it out.
_JUDGED_ELSEWHERE = frozenset({"step_input", "dataset", "inspect"})


def check_artifact_read(
    workspace: Workspace, artifact: ArtifactRecord, read: ArtifactRead
) -> None:
    """The artifact read check: may this reader have this artifact here?

    Does nothing (one query, cached inside a run) when no policy set is in
    force, and decides nothing for an artifact no rule governs.

    Raises:
        PolicyViolationError: a rule refuses the read (audited first).
    """
    if read.path in _JUDGED_ELSEWHERE:
        return
    scope = current_scope()
    own = scope if scope is not None and scope.workspace is workspace else None
    run_id = own.run_id if own is not None else None
    policy_set = policies_for_run(workspace, run_id)
    if policy_set is None:
        return
    bare = classify_artifact(workspace, artifact)
    if not bare:
        return
    reader, hop = _reader(read, scope)
    data = RunLineage(workspace, "").with_facts(bare).via(hop)
    results = _judge(workspace, policy_set, data, read=read, scope=scope, reader=reader)
    what = read.subject or f"artifact {artifact.id[:12]}"
    settle(
        workspace,
        policy_set,
        results,
        subject=f"{what} read by {reader} ({read.path})",
        run_id=run_id,
        headline=f"Reading {what} by {reader} ({read.path})",
        stage=read.path,
        details={"artifact_id": artifact.id, "read_path": read.path},
    )
    if own is not None and own.step and own.step_run_id:
        # What the step's code loaded reaches its outputs too.
        RunLineage(workspace, own.run_id).add_received(own.step, own.step_run_id, bare)


def classify_artifact(workspace: Workspace, artifact: ArtifactRecord) -> Classification:
    """What an artifact carries, bare (datasets and paths, no tags yet).

    The union, to fail closed, over everything lineage knows of these bytes:
    the dataset versions they are a snapshot of, every step run that
    produced them, and every step run that registered them as a model.
    """
    lineage = RunLineage(workspace, "")
    snapshots = workspace.datasets.find_snapshot_versions(artifact.id)
    parts = [
        Classification(tuple(DataSource(v.dataset, v.version) for v in snapshots)),
        lineage.artifact(artifact.id),
    ]
    for version in workspace.models.find_model_versions(artifact.id):
        if version.run_id and version.step_run_id:
            parts.append(lineage.step_run(version.run_id, version.step_run_id))
    return Classification.merge(parts)


def _reader(read: ArtifactRead, scope: RunScope | None) -> tuple[str, str]:
    """Who reads (for messages) and the hop it adds to lineage paths."""
    if read.reader is not None:
        return read.reader, read.reader
    if scope is not None and scope.step:
        return f"step {scope.step!r}", scope.step
    if scope is not None:
        return f"run {scope.run_id[:8]}", read.path
    return "this session", read.path


def _location(
    workspace: Workspace,
    read: ArtifactRead,
    scope: RunScope | None,
    aliases: Mapping[str, str],
) -> Location:
    if read.region is not None:
        return locate(read.region, f"{read.kind} region", aliases)
    labels = scope.labels if scope is not None else {}
    return locate_step(labels, workspace.options.region, aliases)


def _judge(
    workspace: Workspace,
    policy_set: PolicySet,
    data: Classification,
    *,
    read: ArtifactRead,
    scope: RunScope | None,
    reader: str,
) -> list[RuleResult]:
    aliases = policy_set.document.aliases
    location = _location(workspace, read, scope, aliases)
    egress = read.kind == "step" and scope is not None and is_egress(scope.labels)
    results: list[RuleResult] = []
    for policy in policy_set.policies:
        results.append(
            judge_residency(
                policy, data, location, subject=reader, kind=read.kind, aliases=aliases
            )
        )
        if egress and policy.egress is not None:
            sources, _ = matching_sources(policy, data, aliases)
            if sources:
                results.append(egress_read(policy.name, reader, sources[0].label))
    return results
