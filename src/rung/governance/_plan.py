"""The plan check: refuse, before it runs, a pipeline that would break a policy.

For every node, in DAG order: the datasets it reads (inputs resolved from
the catalog), plus what it inherits from the nodes it consumes; its location;
and each rule's verdict. ``explain_plan`` returns that table; ``check_plan``
(registered with ``rung.pipelines.add_plan_check``) audits it and raises.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from rung.errors import PolicyViolationError
from rung.governance._audit import Decision, record_decisions
from rung.governance._classify import Classification, DataSource, source_of_dataset
from rung.governance._evaluate import (
    Location,
    RuleResult,
    is_egress,
    judge_egress_plan,
    judge_residency,
    locate_step,
)
from rung.governance._policies import active_policies

if TYPE_CHECKING:
    from rung.governance._policies import PolicySet
    from rung.pipelines import ExecutionPlan, Node
    from rung.workspace import Workspace

__all__ = ["NodeReport", "PlanReport", "check_plan", "explain_plan"]


@dataclass(frozen=True, slots=True)
class NodeReport:
    """One node of a plan, as the policies see it.

    Attributes:
        name: the node's name in the pipeline.
        reads: the dataset versions it reads itself (``claims@v3 [health, CA]``).
        classification: what it reads plus what it inherits, with paths.
        location: where it runs.
        egress: True when labelled ``egress``.
        results: one verdict per rule.
    """

    name: str
    reads: tuple[str, ...]
    classification: Classification
    location: Location
    egress: bool
    results: tuple[RuleResult, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form."""
        return {
            "name": self.name,
            "reads": list(self.reads),
            "classification": self.classification.to_dict(),
            "location": asdict(self.location),
            "egress": self.egress,
            "results": [asdict(r) for r in self.results],
        }


@dataclass(frozen=True, slots=True)
class PlanReport:
    """The policies' verdict on a whole plan.

    Attributes:
        pipeline: the pipeline's name.
        policy_version: the policy set version that judged it (None: none).
        nodes: one report per node, in DAG order.
    """

    pipeline: str
    policy_version: int | None
    nodes: tuple[NodeReport, ...]

    @property
    def violations(self) -> list[tuple[NodeReport, RuleResult]]:
        """Every failed rule, with its node."""
        return [(n, r) for n in self.nodes for r in n.results if r.failed]

    @property
    def allowed(self) -> bool:
        """True when no rule failed."""
        return not self.violations

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form, with the verdict."""
        return {
            "pipeline": self.pipeline,
            "policy_version": self.policy_version,
            "allowed": self.allowed,
            "nodes": [n.to_dict() for n in self.nodes],
        }

    def error(self) -> PolicyViolationError:
        """The error that refuses the plan, naming each rule, step and path."""
        lines = [
            f"Pipeline {self.pipeline!r} was refused before it ran: "
            f"{len(self.violations)} policy violation(s) (policy set "
            f"v{self.policy_version})."
        ]
        for node, result in self.violations:
            lines.append(f"- rule {result.rule!r}, step {node.name!r}: {result.reason}")
            lines.extend(f"    {path}" for path in result.paths)
        lines.append(
            "Run the steps where the rules allow (label region=...), or stop "
            "passing them that data."
        )
        return PolicyViolationError(
            "\n".join(lines), pipeline=self.pipeline, reason="plan_refused"
        )


def explain_plan(
    workspace: Workspace, plan: ExecutionPlan, policies: PolicySet | None = None
) -> PlanReport:
    """Judge a plan without running it or recording anything.

    Args:
        workspace: where the catalog and the policies are.
        plan: the traced pipeline (``Pipeline.plan(...)``).
        policies: the set to judge by (default: the one in force).

    Raises:
        DatasetNotFoundError: a step reads a dataset the catalog does not know.

    Example:
        >>> report = explain_plan(ws, training.plan())  # doctest: +SKIP
        >>> report.allowed  # doctest: +SKIP
        True
    """
    policy_set = policies if policies is not None else active_policies(workspace)
    lookups: dict[tuple[str, Any], DataSource] = {}
    seen: dict[str, Classification] = {}
    reports: list[NodeReport] = []
    for name, node in plan.dag.nodes.items():
        reads = [_read_source(workspace, r, lookups) for r in _dataset_reads(node)]
        inherited = [seen[ref.node] for ref in node.inputs.values()]
        direct = Classification(tuple(reads))
        classification = Classification.merge([direct, *inherited]).via(name)
        seen[name] = classification
        reports.append(_judge_node(workspace, node, classification, reads, policy_set))
    version = policy_set.version if policy_set else None
    return PlanReport(plan.pipeline, version, tuple(reports))


def check_plan(workspace: Workspace, plan: ExecutionPlan) -> None:
    """The plan check: audit every rule's decision; refuse on a violation.

    Registered with ``rung.pipelines.add_plan_check``; runs before a run is
    recorded. Without a policy set it costs one query.

    Raises:
        PolicyViolationError: a rule fails; the refusal is audited.
        DatasetNotFoundError: a step reads an unknown dataset (nothing audited).
    """
    policy_set = active_policies(workspace)
    if policy_set is None:
        return
    report = explain_plan(workspace, plan, policy_set)
    record_decisions(
        workspace,
        _decisions(report, policy_set),
        stage="plan",
        policy_version=policy_set.version,
    )
    if not report.allowed:
        raise report.error()


def _dataset_reads(node: Node) -> list[dict[str, Any]]:
    described = (r.rung_describe() for r in node.resolvers.values())
    return [d for d in described if d.get("kind") == "dataset"]


def _read_source(
    workspace: Workspace,
    described: dict[str, Any],
    lookups: dict[tuple[str, Any], DataSource],
) -> DataSource:
    from rung.catalog import get_dataset, get_dataset_version

    key = (str(described["name"]), described.get("version"))
    if key not in lookups:
        record = get_dataset(workspace, key[0])
        number = key[1]
        if number is not None:
            number = get_dataset_version(workspace, key[0], number).version
        lookups[key] = source_of_dataset(
            record, number or record.latest_version or None
        )
    return lookups[key]


def _judge_node(
    workspace: Workspace,
    node: Node,
    classification: Classification,
    reads: list[DataSource],
    policy_set: PolicySet | None,
) -> NodeReport:
    labels = node.step.labels
    aliases = policy_set.document.aliases if policy_set else {}
    location = locate_step(labels, workspace.options.region, aliases)
    egress = is_egress(labels)
    subject = f"step {node.name!r}"
    results: list[RuleResult] = []
    for policy in policy_set.policies if policy_set else ():
        judged = []
        if policy.allow_regions is not None:
            judged.append(
                judge_residency(
                    policy, classification, location, subject=subject, aliases=aliases
                )
            )
        if policy.egress is not None:
            judged.append(
                judge_egress_plan(
                    policy,
                    classification,
                    egress=egress,
                    subject=subject,
                    aliases=aliases,
                )
            )
        results.append(_strongest(policy.name, judged))
    labels_read = tuple(s.label for s in reads)
    return NodeReport(
        node.name, labels_read, classification, location, egress, tuple(results)
    )


def _strongest(rule: str, results: list[RuleResult]) -> RuleResult:
    for outcome in ("fail", "deferred", "pass", "n/a"):
        for result in results:
            if result.outcome == outcome:
                return result
    return RuleResult(rule, "n/a", "")


def _decisions(report: PlanReport, policy_set: PolicySet) -> list[Decision]:
    decisions: list[Decision] = []
    where = f"pipeline {report.pipeline!r}"
    for policy in policy_set.policies:
        judged = [
            (n, r) for n in report.nodes for r in n.results if r.rule == policy.name
        ]
        failed = [(n, r) for n, r in judged if r.failed]
        for node, result in failed:
            decisions.append(
                Decision(
                    policy.name,
                    f"{where}, step {node.name!r}",
                    "refuse",
                    result.reason,
                    {"paths": list(result.paths), "region": node.location.region},
                )
            )
        if not failed:
            summary = _summary(judged, egress_only=policy.allow_regions is None)
            decisions.append(Decision(policy.name, where, "allow", summary))
    return decisions


def _summary(judged: list[tuple[NodeReport, RuleResult]], *, egress_only: bool) -> str:
    passed = [
        f"{n.name} in {n.location.region}" for n, r in judged if r.outcome == "pass"
    ]
    deferred = [n.name for n, r in judged if r.outcome == "deferred"]
    if not passed and not deferred:
        if egress_only:
            return "No egress step receives data this rule governs."
        return "No step handles data this rule governs."
    text = f"Allowed: {', '.join(passed)}." if passed else ""
    if deferred:
        text += f" Egress checked when {', '.join(deferred)} run(s)."
    return text.strip()
