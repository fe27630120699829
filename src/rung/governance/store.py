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
    1"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol, runtime_checkable

from rung._internal.hashing import hash_json
from rung.errors import InvalidRecordError, PolicySetNotFoundError
from rung.governance.records import (
    VERDICTS,
    PolicyDecisionRecord,
    PolicySetRecord,
)
from rung.store import clean_mapping

__all__ = [
    "PolicyStore",
    "clean_decision",
    "new_policy_set",
    "policy_set_not_found",
]


@runtime_checkable
class PolicyStore(Protocol):
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
            f"Project {project!r} has no policy set.", project=project, reason="none"
        )
    return PolicySetNotFoundError(
        f"Project {project!r} has no policy set version {version}.",
        project=project,
        version=version,
        reason="unknown_version",
    )
