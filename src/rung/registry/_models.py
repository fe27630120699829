"""Reading the registry, archiving versions, roles and the audit log."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rung.registry._refs import check_model_name, note, resolve_workspace
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


def get_model(name: str, *, workspace: Workspace | None = None) -> ModelRecord:
    """One model of the workspace's project (with its aliases)."""
    ws = resolve_workspace(workspace)
    return ws.models.get_model(ws.project, check_model_name(name))


def list_models(*, workspace: Workspace | None = None) -> list[ModelRecord]:
    """The project's models, by name."""
    ws = resolve_workspace(workspace)
    return ws.models.list_models(ws.project)


def get_version(
    name: str, version: int, *, workspace: Workspace | None = None
) -> ModelVersionRecord:
    """One version of a model."""
    ws = resolve_workspace(workspace)
    return ws.models.get_model_version(ws.project, name, version)


def list_versions(
    name: str, *, workspace: Workspace | None = None
) -> list[ModelVersionRecord]:
    """A model's versions, oldest first."""
    ws = resolve_workspace(workspace)
    return ws.models.list_model_versions(ws.project, name)


def compare_versions(
    name: str, versions: list[int], *, workspace: Workspace | None = None
) -> VersionComparison:
    """Metrics and signature changes of several versions of one model."""
    ws = resolve_workspace(workspace)
    found = [ws.models.get_model_version(ws.project, name, n) for n in versions]
    keys = sorted({key for v in found for key in v.metrics})
    metrics = {key: [v.metrics.get(key) for v in found] for key in keys}
    changes = []
    for old, new in itertools.pairwise(found):
        if old.signature is not None and new.signature is not None:
            for problem in signature_problems(new.signature, old.signature):
                changes.append(f"v{old.version} -> v{new.version}: {problem}")
    return VersionComparison(found, metrics, changes)


def archive_version(
    name: str, version: int, *, comment: str = "", workspace: Workspace | None = None
) -> ModelVersionRecord:
    """Archive a version: it can no longer be promoted (or rolled back to).

    Raises:
        RegistryError: an alias points to it; move the alias first.
    """
    return _set_state(
        name, version, "archived", "archive", comment=comment, workspace=workspace
    )


def restore_version(
    name: str, version: int, *, comment: str = "", workspace: Workspace | None = None
) -> ModelVersionRecord:
    """Undo :func:`archive_version`."""
    return _set_state(
        name, version, "ready", "restore", comment=comment, workspace=workspace
    )


def model_history(
    name: str | None = None,
    *,
    limit: int | None = None,
    workspace: Workspace | None = None,
) -> list[RegistryEventRecord]:
    """The audit log, oldest first: one model's events, or the whole project's.

    Raises:
        ModelNotFoundError: ``name`` is given but unknown.
    """
    ws = resolve_workspace(workspace)
    if name is not None:
        ws.models.get_model(ws.project, name)
    return ws.models.list_registry_events(ws.project, model=name, limit=limit)


def grant_role(
    user: str, role: str, *, comment: str = "", workspace: Workspace | None = None
) -> RoleRecord:
    """Give ``user`` a role in the project (idempotent, audited)."""
    ws = resolve_workspace(workspace)
    _check_text(user, "user")
    _check_text(role, "role")
    ws.models.set_role(
        ws.project, user, role, granted=True, note=note(ws, "grant_role", comment)
    )
    held = ws.models.list_roles(ws.project, user=user)
    return next(r for r in held if r.role == role)


def revoke_role(
    user: str, role: str, *, comment: str = "", workspace: Workspace | None = None
) -> None:
    """Take a role away from ``user`` (audited).

    Raises:
        RegistryError: the user does not hold the role.
    """
    ws = resolve_workspace(workspace)
    ws.models.set_role(
        ws.project, user, role, granted=False, note=note(ws, "revoke_role", comment)
    )


def list_roles(
    *, user: str | None = None, workspace: Workspace | None = None
) -> list[RoleRecord]:
    """Role grants of the project, by user then role."""
    ws = resolve_workspace(workspace)
    return ws.models.list_roles(ws.project, user=user)


def _set_state(
    name: str,
    version: int,
    state: str,
    action: str,
    *,
    comment: str,
    workspace: Workspace | None,
) -> ModelVersionRecord:
    ws = resolve_workspace(workspace)
    return ws.models.update_model_version(
        ws.project, name, version, {"state": state}, note(ws, action, comment)
    )


def _check_text(value: object, what: str) -> None:
    from rung.errors import InvalidModelReferenceError

    if not isinstance(value, str) or not value.strip() or value != value.strip():
        raise InvalidModelReferenceError(
            f"Invalid {what} {value!r}: give a non-empty name without surrounding "
            "spaces."
        )
