"""The audit of policy decisions: every allow and every refusal, appended."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rung._internal.ids import new_id
from rung._internal.timeutil import now
from rung.governance.records import PolicyDecisionRecord

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rung.workspace import Workspace

__all__ = ["Decision", "audit_log", "record_decisions"]


@dataclass(frozen=True, slots=True)
class Decision:
    """A decision before it is recorded.

    Attributes:
        rule: the policy's name.
        subject: what was decided on.
        verdict: ``allow`` or ``refuse``.
        reason: one sentence, with the lineage path when there is one.
        details: JSON-able extras.
    """

    rule: str
    subject: str
    verdict: str
    reason: str
    details: dict[str, Any] = field(default_factory=dict)


def record_decisions(
    workspace: Workspace,
    decisions: Sequence[Decision],
    *,
    stage: str,
    run_id: str | None = None,
    policy_version: int | None = None,
) -> list[PolicyDecisionRecord]:
    """Append decisions to the workspace's audit log in one transaction.

    Args:
        workspace: whose log (its project and user are stamped on each row).
        decisions: what was decided.
        stage: ``plan``, ``run``, or the calling domain's moment.
        run_id: the run, when there is one.
        policy_version: the policy set version that decided.

    Returns:
        The records written.
    """
    when = now()
    records = [
        PolicyDecisionRecord(
            id=new_id(),
            decided_at=when,
            project=workspace.project,
            user=workspace.user,
            stage=stage,
            rule=d.rule,
            subject=d.subject,
            verdict=d.verdict,
            reason=d.reason,
            run_id=run_id,
            policy_version=policy_version,
            details=d.details,
        )
        for d in decisions
    ]
    if records:
        workspace.policies.add_policy_decisions(records)
    return records


def audit_log(
    workspace: Workspace,
    *,
    run_id: str | None = None,
    verdict: str | None = None,
    limit: int | None = 100,
) -> list[PolicyDecisionRecord]:
    """The project's audited decisions, newest first.

    Example:
        >>> [d.verdict for d in audit_log(ws, limit=2)]  # doctest: +SKIP
        ['refuse', 'allow']
    """
    return workspace.policies.list_policy_decisions(
        project=workspace.project, run_id=run_id, verdict=verdict, limit=limit
    )
