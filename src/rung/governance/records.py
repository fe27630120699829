"""Governance records: versioned policy sets and the audit of policy decisions.

Frozen dataclasses, taken and returned by every ``PolicyStore`` backend.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "VERDICTS",
    "PolicyDecisionRecord",
    "PolicySetRecord",
    "Verdict",
]


Verdict = Literal["allow", "refuse"]


VERDICTS: tuple[str, ...] = ("allow", "refuse")


@dataclass(frozen=True, slots=True)
class PolicySetRecord:
    """One stored version of a project's policies.

    Attributes:
        project: the project the policies govern.
        version: 1, 2, ... per project; the highest is in force.
        created_at: when it was applied (POSIX seconds).
        user: who applied it.
        document: the validated policies as JSON (``{"policies": [...]}``).
        digest: SHA-256 of the canonical JSON of ``document``.
        source: the text of the file it came from (for ``rung policies show``).
    """

    project: str
    version: int
    created_at: float
    user: str
    document: Mapping[str, Any]
    digest: str
    source: str = ""


@dataclass(frozen=True, slots=True)
class PolicyDecisionRecord:
    """One audited decision: a rule allowed or refused something.

    Attributes:
        id: 32-hex id.
        decided_at: when (POSIX seconds).
        project: the project.
        user: who triggered it.
        stage: ``plan`` (before a run), ``run`` (while a step runs), or what a
            calling domain names its moment (``request``...).
        rule: the policy's name.
        subject: what was decided on (``pipeline training, step train``).
        verdict: ``allow`` or ``refuse``.
        reason: one sentence, with the lineage path when there is one.
        run_id: the run, when one exists (not yet at plan time).
        policy_version: the policy set version that decided.
        details: JSON-able extras (regions, tags, paths).
    """

    id: str
    decided_at: float
    project: str
    user: str
    stage: str
    rule: str
    subject: str
    verdict: str
    reason: str
    run_id: str | None = None
    policy_version: int | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
