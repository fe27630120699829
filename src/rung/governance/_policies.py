"""Policy sets in the workspace: apply a new version, read the one in force.

The newest version of a project's policy set is in force. Reading it costs
one query; parsing it is cached by digest (versions never change). A run is
judged by the version in force when its first check ran.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rung._internal.timeutil import now

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from rung.governance._model import Policy, PolicyDocument
    from rung.governance.records import PolicySetRecord
    from rung.workspace import Workspace

__all__ = [
    "AppliedPolicies",
    "PolicySet",
    "active_policies",
    "apply_policies",
    "apply_policy_file",
    "get_policies",
    "list_policy_sets",
    "policies_for_run",
]

_CACHE_SIZE = 64
_lock = threading.Lock()
_parsed: OrderedDict[str, PolicyDocument] = OrderedDict()


@dataclass(frozen=True, slots=True)
class PolicySet:
    """A stored, validated version of a project's policies.

    Attributes:
        record: the stored record (version, who, when, digest, source text).
        document: the validated policies.
    """

    record: PolicySetRecord
    document: PolicyDocument

    @property
    def version(self) -> int:
        """The version number."""
        return self.record.version

    @property
    def policies(self) -> tuple[Policy, ...]:
        """The rules."""
        return self.document.policies


@dataclass(frozen=True, slots=True)
class AppliedPolicies:
    """What ``apply_policies`` did: the set in force, and whether it is new."""

    policy_set: PolicySet
    created: bool


def apply_policies(
    workspace: Workspace,
    policies: PolicyDocument | Mapping[str, Any] | str,
    *,
    source: str | None = None,
) -> AppliedPolicies:
    """Validate policies and store them as the project's next version.

    Applying the same policies as the version in force stores nothing.

    Args:
        workspace: where to store them (``workspace.project`` is governed).
        policies: a validated document, its dict form, or YAML text.
        source: the text to keep for ``rung policies show`` (default: the
            YAML given, or the document as YAML).

    Raises:
        PolicyFileError: the policies are invalid; nothing is stored.

    Example:
        >>> apply_policies(ws, "policies: []").policy_set.version  # doctest: +SKIP
        1
    """
    document = _document(policies)
    text = source if source is not None else _source_text(policies, document)
    stored = document.model_dump(mode="json")
    current = active_policies(workspace)
    if current is not None and current.record.document == stored:
        return AppliedPolicies(current, created=False)
    record = workspace.policies.add_policy_set(
        workspace.project, stored, user=workspace.user, created_at=now(), source=text
    )
    return AppliedPolicies(PolicySet(record, document), created=True)


def apply_policy_file(workspace: Workspace, path: str | Path) -> AppliedPolicies:
    """Read, validate and apply a YAML policy file (see :func:`apply_policies`).

    Raises:
        PolicyFileError: unreadable or invalid, naming the line, key and fix.
    """
    from rung.governance._parse import load_policy_file

    document, text = load_policy_file(path)
    return apply_policies(workspace, document, source=text)


def active_policies(workspace: Workspace) -> PolicySet | None:
    """The project's policy set in force, or None when none was applied."""
    found = workspace.policies.list_policy_sets(workspace.project, limit=1)
    return _loaded(found[0]) if found else None


def get_policies(workspace: Workspace, version: int | None = None) -> PolicySet:
    """One version of the project's policy set (default: the one in force).

    Raises:
        PolicySetNotFoundError: no such version (or none applied yet).
    """
    return _loaded(workspace.policies.get_policy_set(workspace.project, version))


def list_policy_sets(workspace: Workspace, limit: int | None = 100) -> list[PolicySet]:
    """The project's policy set versions, newest first."""
    stored = workspace.policies.list_policy_sets(workspace.project, limit=limit)
    return [_loaded(record) for record in stored]


def policies_for_run(workspace: Workspace, run_id: str | None) -> PolicySet | None:
    """The policy set that judges a run: the one in force at its first check."""
    if run_id is None:
        return active_policies(workspace)
    # Remembered per workspace: a run keeps the policy set of its first check.
    runs: OrderedDict[str, PolicySet | None] = workspace.attach(
        "governance.policies_by_run", OrderedDict
    )
    with _lock:
        if run_id in runs:
            return runs[run_id]
    found = active_policies(workspace)
    with _lock:
        found = runs.setdefault(run_id, found)
        while len(runs) > _CACHE_SIZE:
            runs.popitem(last=False)
    return found


def _loaded(record: PolicySetRecord) -> PolicySet:
    with _lock:
        document = _parsed.get(record.digest)
    if document is None:
        from rung.governance._model import PolicyDocument

        document = PolicyDocument.model_validate(record.document)
        with _lock:
            _parsed[record.digest] = document
            while len(_parsed) > _CACHE_SIZE:
                _parsed.popitem(last=False)
    return PolicySet(record, document)


def _document(policies: PolicyDocument | Mapping[str, Any] | str) -> PolicyDocument:
    from rung.governance._model import PolicyDocument
    from rung.governance._parse import parse_policies, policies_from_dict

    if isinstance(policies, PolicyDocument):
        return policies
    if isinstance(policies, str):
        return parse_policies(policies)
    return policies_from_dict(policies)


def _source_text(
    policies: PolicyDocument | Mapping[str, Any] | str, document: PolicyDocument
) -> str:
    if isinstance(policies, str):
        return policies
    import yaml

    return yaml.safe_dump(document.model_dump(mode="json"), sort_keys=False)
