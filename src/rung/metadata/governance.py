"""Governance records: versioned policy sets and the audit of policy decisions.

A project's policies are stored as numbered *policy sets*: applying a policy
file adds version ``n + 1``; the newest version is the one in force. Every
decision taken against a policy (a run allowed or refused, a dataset read, an
egress) is appended to an audit log that is never updated.

Example:
    >>> from rung.metadata import open_metadata_store
    >>> store = open_metadata_store("memory://")
    >>> record = store.add_policy_set(
    ...     "demo", {"policies": []}, user="ada", created_at=0.0
    ... )
    >>> record.version
    1
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol, runtime_checkable

from rung._internal.hashing import hash_json
from rung.errors import PolicySetNotFoundError
from rung.metadata._errors import InvalidRecordError

__all__ = [
    "VERDICTS",
    "GovernanceRecords",
    "PolicyDecisionRecord",
    "PolicySetRecord",
    "Verdict",
    "clean_decision",
    "new_policy_set",
    "policy_set_not_found",
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


@runtime_checkable
class GovernanceRecords(Protocol):
    """Policy set versions and the decision audit log."""

    def add_policy_set(
        self,
        project: str,
        document: Mapping[str, Any],
        *,
        user: str,
        created_at: float,
        source: str = "",
    ) -> PolicySetRecord:
        """Store ``document`` as the project's next policy set version."""
        ...

    def get_policy_set(
        self, project: str, version: int | None = None
    ) -> PolicySetRecord:
        """Return one version (default: the newest).

        Raises PolicySetNotFoundError when there is no such version.
        """
        ...

    def list_policy_sets(
        self, project: str, *, limit: int | None = 100
    ) -> list[PolicySetRecord]:
        """Return the project's policy sets, newest first."""
        ...

    def add_policy_decisions(self, decisions: Sequence[PolicyDecisionRecord]) -> None:
        """Append decisions to the audit log in one transaction."""
        ...

    def list_policy_decisions(
        self,
        *,
        project: str | None = None,
        run_id: str | None = None,
        verdict: str | None = None,
        limit: int | None = 100,
    ) -> list[PolicyDecisionRecord]:
        """Return audited decisions, newest first, filtered by the given fields."""
        ...


# -- checks shared by every backend ---------------------------------------------------


def new_policy_set(
    project: str,
    version: int,
    document: Mapping[str, Any],
    *,
    user: str,
    created_at: float,
    source: str,
) -> PolicySetRecord:
    """Check a new policy set and return it as every backend stores it.

    Raises:
        InvalidRecordError: empty project, or a document JSON cannot hold.
    """
    from rung.metadata._common import clean_mapping  # _common imports base

    if not isinstance(project, str) or not project:
        raise InvalidRecordError(
            f"A policy set needs a project name, got {project!r}. Pass the "
            "workspace's project."
        )
    clean = clean_mapping(document, f"policy set document of project {project!r}")
    return PolicySetRecord(
        project=project,
        version=version,
        created_at=float(created_at),
        user=str(user),
        document=clean,
        digest=hash_json(clean),
        source=str(source),
    )


def clean_decision(decision: PolicyDecisionRecord) -> PolicyDecisionRecord:
    """Check a decision and return it with its details as stored.

    Raises:
        InvalidRecordError: unknown verdict, empty rule or stage, bad details.
    """
    from rung.metadata._common import clean_mapping

    if decision.verdict not in VERDICTS:
        raise InvalidRecordError(
            f"Invalid verdict {decision.verdict!r} for decision {decision.id!r}. "
            f"Use one of: {', '.join(VERDICTS)}."
        )
    for name in ("id", "project", "stage", "rule"):
        if not getattr(decision, name):
            raise InvalidRecordError(
                f"Decision {decision.id!r} has an empty {name}. Give every "
                "decision an id, a project, a stage and a rule."
            )
    details = clean_mapping(decision.details, f"details of decision {decision.id!r}")
    return replace(decision, details=details)


def policy_set_not_found(project: str, version: int | None) -> PolicySetNotFoundError:
    """Return the error for a missing policy set (any, or one version)."""
    if version is None:
        return PolicySetNotFoundError(
            f"Project {project!r} has no policy set. Apply one with "
            "`rung policies apply policies.yaml`."
        )
    return PolicySetNotFoundError(
        f"Project {project!r} has no policy set version {version}. List versions "
        "with `rung policies list`."
    )
