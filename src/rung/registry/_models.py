"""Reading the registry, archiving versions, roles and the audit log."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rung.registry._refs import check_model_name, note
from rung.registry._signature import signature_problems

if TYPE_CHECKING:
    from rung.registry.records import (
        ModelRecord,
        ModelVersionRecord,
        RegistryEventRecord,
        RoleRecord,
    )
    from rung.workspace import Workspace

__all__ = [
    "VersionComparison",
    "archive_version",
    "compare_versions",
    "get_model",
    "get_version",
    "grant_role",
    "list_models",
    "list_roles",
    "list_versions",
    "model_history",
    "restore_version",
    "revoke_role",
]


@dataclass(frozen=True, slots=True)
class VersionComparison:
    """Versions of one model side by side.

    Attributes:
        versions: the versions, in the order asked.
        metrics: metric -> one value per version (None where absent).
        signature_changes: "vA -> vB: problem" for each consecutive pair.
    """

    versions: list[ModelVersionRecord]
    metrics: dict[str, list[float | None]] = field(default_factory=dict)
    signature_changes: list[str] = field(default_factory=list)


def get_model(workspace: Workspace, name: str) -> ModelRecord:
    """One model of the workspace's project (with its aliases).

    Example:
        >>> get_model(ws, "churn").aliases  # doctest: +SKIP
        {'production': 3}
    """
    return workspace.models.get_model(workspace.project, check_model_name(name))


def list_models(workspace: Workspace) -> list[ModelRecord]:
    """The project's models, by name."""
    return workspace.models.list_models(workspace.project)


def get_version(workspace: Workspace, name: str, version: int) -> ModelVersionRecord:
    """One version of a model."""
    return workspace.models.get_model_version(workspace.project, name, version)


def list_versions(workspace: Workspace, name: str) -> list[ModelVersionRecord]:
    """A model's versions, oldest first."""
    return workspace.models.list_model_versions(workspace.project, name)


def compare_versions(
    workspace: Workspace, name: str, versions: list[int]
) -> VersionComparison:
    """Metrics and signature changes of several versions of one model."""
    found = [
        workspace.models.get_model_version(workspace.project, name, n) for n in versions
    ]
    keys = sorted({key for v in found for key in v.metrics})
    metrics = {key: [v.metrics.get(key) for v in found] for key in keys}
    changes = []
    for old, new in itertools.pairwise(found):
        if old.signature is not None and new.signature is not None:
            for problem in signature_problems(new.signature, old.signature):
                changes.append(f"v{old.version} -> v{new.version}: {problem}")
    return VersionComparison(found, metrics, changes)


def archive_version(
    workspace: Workspace, name: str, version: int, *, comment: str = ""
) -> ModelVersionRecord:
    """Archive a version: it can no longer be promoted (or rolled back to).

    Raises:
        RegistryError: an alias points to it; move the alias first.
    """
    return _set_state(workspace, name, version, "archived", "archive", comment=comment)


def restore_version(
    workspace: Workspace, name: str, version: int, *, comment: str = ""
) -> ModelVersionRecord:
    """Undo :func:`archive_version`."""
    return _set_state(workspace, name, version, "ready", "restore", comment=comment)


def model_history(
    workspace: Workspace, name: str | None = None, *, limit: int | None = None
) -> list[RegistryEventRecord]:
    """The audit log, oldest first: one model's events, or the whole project's.

    Raises:
        ModelNotFoundError: ``name`` is given but unknown.
    """
    if name is not None:
        workspace.models.get_model(workspace.project, name)
    return workspace.models.list_registry_events(
        workspace.project, model=name, limit=limit
    )


def grant_role(
    workspace: Workspace, user: str, role: str, *, comment: str = ""
) -> RoleRecord:
    """Give ``user`` a role in the project (idempotent, audited)."""
    _check_text(user, "user")
    _check_text(role, "role")
    workspace.models.set_role(
        workspace.project,
        user,
        role,
        granted=True,
        note=note(workspace, "grant_role", comment),
    )
    held = workspace.models.list_roles(workspace.project, user=user)
    return next(r for r in held if r.role == role)


def revoke_role(
    workspace: Workspace, user: str, role: str, *, comment: str = ""
) -> None:
    """Take a role away from ``user`` (audited).

    Raises:
        RegistryError: the user does not hold the role.
    """
    workspace.models.set_role(
        workspace.project,
        user,
        role,
        granted=False,
        note=note(workspace, "revoke_role", comment),
    )


def list_roles(workspace: Workspace, *, user: str | None = None) -> list[RoleRecord]:
    """Role grants of the project, by user then role."""
    return workspace.models.list_roles(workspace.project, user=user)


def _set_state(
    workspace: Workspace,
    name: str,
    version: int,
    state: str,
    action: str,
    *,
    comment: str,
) -> ModelVersionRecord:
    return workspace.models.update_model_version(
        workspace.project,
        name,
        version,
        {"state": state},
        note(workspace, action, comment),
    )


def _check_text(value: object, what: str) -> None:
    from rung.errors import InvalidModelReferenceError

    if not isinstance(value, str) or not value.strip() or value != value.strip():
        raise InvalidModelReferenceError(
            f"Invalid {what} {value!r}: give a non-empty name without surrounding "
            "spaces."
        )
