"""Checks while a run is going: every dataset read, every step's inputs.

- :func:`check_read` (a catalog read check) judges each dataset read, also
  the dynamic ``rung.load_dataset`` calls inside steps, against where the
  reading step runs.
- :func:`check_step_inputs` (a pipelines step input check) classifies a
  step's input artifacts through lineage (so data read dynamically upstream
  counts) and judges residency, and egress for steps labelled ``egress``.
- :func:`check_flow` is the same residency judgement for other domains:
  serving endpoints and LLM providers call it before data goes to them.

Both audit every decision a rule takes and raise ``PolicyViolationError``
to stop the step; the run is recorded as failed with that message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rung.errors import GovernanceError, PolicyViolationError
from rung.governance._audit import Decision, record_decisions
from rung.governance._classify import Classification, source_of_dataset
from rung.governance._egress import judge_egress_value
from rung.governance._evaluate import (
    DESTINATION_KINDS,
    RuleResult,
    is_egress,
    judge_residency,
    locate,
    locate_step,
    matching_sources,
)
from rung.governance._policies import policies_for_run
from rung.governance._run_lineage import RunLineage

if TYPE_CHECKING:
    from collections.abc import Mapping

    from rung.catalog.records import DatasetRecord, DatasetVersionRecord
    from rung.governance._policies import PolicySet
    from rung.pipelines import StepInputs
    from rung.tracking import RunScope
    from rung.workspace import Workspace

# Registered with the catalog by name in ``rung.catalog``: every read is judged.
__all__ = ["check_flow", "check_read", "check_step_inputs", "egress_read", "settle"]


def check_read(
    workspace: Workspace,
    dataset: DatasetRecord,
    version: DatasetVersionRecord,
    scope: RunScope | None,
) -> None:
    """The catalog read check: may this step (or session) read this data here?

    Raises:
        PolicyViolationError: a rule refuses the read (audited first).
    """
    run_id = scope.run_id if scope is not None else None
    policy_set = policies_for_run(workspace, run_id)
    if policy_set is None:
        return
    labels = scope.labels if scope is not None else {}
    aliases = policy_set.document.aliases
    location = locate_step(labels, workspace.options.region, aliases)
    if scope is not None and scope.step:
        hop, subject = scope.step, f"step {scope.step!r}"
    else:
        hop = subject = "this session" if run_id is None else f"run {run_id[:8]}"
    data = Classification((source_of_dataset(dataset, version.version),)).via(hop)
    results: list[RuleResult] = []
    for policy in policy_set.policies:
        results.append(
            judge_residency(policy, data, location, subject=subject, aliases=aliases)
        )
        if policy.egress is not None and is_egress(labels):
            sources, _ = matching_sources(policy, data, aliases)
            if sources:
                results.append(egress_read(policy.name, subject, sources[0].label))
    what = f"dataset {dataset.name!r} v{version.version} read by {subject}"
    settle(
        workspace,
        policy_set,
        results,
        subject=what,
        run_id=run_id,
        headline=f"Reading {what}",
    )


def check_step_inputs(inputs: StepInputs) -> None:
    """The step input check: residency and egress of what a step receives.

    Raises:
        PolicyViolationError: a rule refuses the inputs (audited first).
    """
    context = inputs.context
    workspace = context.workspace
    lineage = RunLineage(workspace, context.run_id)
    if not inputs.artifacts and context.step_run_id is not None:
        lineage.remember(context.step, context.step_run_id, Classification())
    policy_set = policies_for_run(workspace, context.run_id)
    if policy_set is None:
        return
    if not inputs.artifacts:
        return
    bare = {
        arg: lineage.bare_input(_upstream(inputs, arg), record.id)
        for arg, record in inputs.artifacts.items()
    }
    if context.step_run_id is not None:
        lineage.remember(
            context.step, context.step_run_id, Classification.merge(bare.values())
        )
    per_arg = {arg: lineage.with_facts(b).via(context.step) for arg, b in bare.items()}
    received = Classification.merge(per_arg.values())
    if not received:
        return
    results = _judge_inputs(inputs, policy_set, per_arg, received)
    settle(
        workspace,
        policy_set,
        results,
        subject=f"inputs of step {context.step!r} (run {context.run_id[:8]})",
        run_id=context.run_id,
        headline=f"Step {context.step!r} (before its code ran)",
    )


def _upstream(inputs: StepInputs, arg: str) -> str | None:
    ref = inputs.node.inputs.get(arg)
    return ref.node if ref is not None else None


def _judge_inputs(
    inputs: StepInputs,
    policy_set: PolicySet,
    per_arg: dict[str, Classification],
    received: Classification,
) -> list[RuleResult]:
    context = inputs.context
    aliases = policy_set.document.aliases
    location = locate_step(context.labels, context.workspace.options.region, aliases)
    subject = f"step {context.step!r}"
    egress = is_egress(context.labels)
    results: list[RuleResult] = []
    for policy in policy_set.policies:
        results.append(
            judge_residency(
                policy, received, location, subject=subject, aliases=aliases
            )
        )
        if not (egress and policy.egress):
            continue
        for arg, data in per_arg.items():
            sources, _ = matching_sources(policy, data, aliases)
            if sources:
                value = inputs.values.get(arg)
                results.append(
                    judge_egress_value(policy, sources, value, subject=subject, arg=arg)
                )
    return results


def check_flow(
    workspace: Workspace,
    classification: Classification,
    destination_region: str | None,
    destination_kind: str,
    destination_name: str,
    *,
    stage: str = "request",
    run_id: str | None = None,
) -> list[RuleResult]:
    """May data with this classification go to this destination?

    The location check other domains call: a serving endpoint before it is
    bound to a model, an LLM gateway before a prompt leaves. Decisions are
    audited; an unknown or invalid region for governed data is a violation.

    Args:
        workspace: the workspace (its policies, its audit log).
        classification: what the data carries (see ``classifications_of``).
        destination_region: where it would go (``CA``), or None if unknown.
        destination_kind: ``step``, ``endpoint`` or ``llm_provider``.
        destination_name: the endpoint's or provider's name, for messages.
        stage: the moment, recorded in the audit (``request``, ``deploy``...).
        run_id: the run, if the flow happens inside one.

    Returns:
        One result per rule (``pass`` or ``n/a``) when the flow is allowed.

    Raises:
        PolicyViolationError: a rule refuses the flow.
        GovernanceError: ``destination_kind`` is not a known kind.

    Example:
        >>> data = classifications_of(ws, "churn/2")  # doctest: +SKIP
        >>> check_flow(ws, data, "US", "llm_provider", "openai")  # doctest: +SKIP
        Traceback (most recent call last):
        rung.errors.PolicyViolationError: Sending data to llm_provider 'openai' ...
    """
    if destination_kind not in DESTINATION_KINDS:
        raise GovernanceError(
            f"Unknown destination kind {destination_kind!r}. Use one of: "
            f"{', '.join(DESTINATION_KINDS)}."
        )
    policy_set = policies_for_run(workspace, run_id)
    if policy_set is None:
        return []
    aliases = policy_set.document.aliases
    location = locate(destination_region, "destination", aliases)
    subject = f"{destination_kind} {destination_name!r}"
    data = classification.via(f"{destination_kind} {destination_name}")
    results = [
        judge_residency(
            policy,
            data,
            location,
            subject=subject,
            kind=destination_kind,
            aliases=aliases,
        )
        for policy in policy_set.policies
    ]
    what = f"data sent to {subject}"
    settle(
        workspace,
        policy_set,
        results,
        subject=what,
        run_id=run_id,
        headline=f"Sending data to {subject}",
        stage=stage,
    )
    return results


def egress_read(rule: str, subject: str, label: str) -> RuleResult:
    """The refusal of governed data read by an egress step's own code."""
    return RuleResult(
        rule,
        "fail",
        f"{subject} is labelled egress and reads {label} itself. Read and drop or "
        "hash the classified columns in an upstream step instead.",
    )


def settle(
    workspace: Workspace,
    policy_set: PolicySet,
    results: list[RuleResult],
    *,
    subject: str,
    run_id: str | None,
    headline: str,
    stage: str = "run",
    details: Mapping[str, Any] | None = None,
) -> None:
    """Audit the decided results; raise PolicyViolationError if one failed."""
    decided = [r for r in results if r.outcome in ("pass", "fail")]
    record_decisions(
        workspace,
        [
            Decision(
                r.rule,
                subject,
                "refuse" if r.failed else "allow",
                r.reason,
                {**(details or {}), "paths": list(r.paths)},
            )
            for r in decided
        ],
        stage=stage,
        run_id=run_id,
        policy_version=policy_set.version,
    )
    failed = [r for r in decided if r.failed]
    if failed:
        lines = [f"{headline} was refused by policy set v{policy_set.version}:"]
        for result in failed:
            lines.append(f"- rule {result.rule!r}: {result.reason}")
            lines.extend(f"    {path}" for path in result.paths)
        raise PolicyViolationError("\n".join(lines))
