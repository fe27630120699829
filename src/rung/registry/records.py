"""Model registry records: models, versions, aliases, approvals, roles, audit events.

Frozen dataclasses, taken and returned by every ``ModelStore`` backend.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "APPROVAL_DECISIONS",
    "MODEL_VERSION_STATES",
    "REGISTRY_ACTIONS",
    "AliasRecord",
    "ApprovalRecord",
    "AuditNote",
    "ModelRecord",
    "ModelVersionRecord",
    "RegistryEventRecord",
    "RoleRecord",
    "SignatureColumn",
]


MODEL_VERSION_STATES: tuple[str, ...] = ("ready", "archived")


APPROVAL_DECISIONS: tuple[str, ...] = ("approve", "reject")


REGISTRY_ACTIONS: tuple[str, ...] = (
    "register",
    "promote",
    "promote_refused",
    "rollback",
    "archive",
    "restore",
    "approve",
    "reject",
    "set_gates",
    "update",
    "grant_role",
    "revoke_role",
)


@dataclass(frozen=True, slots=True)
class SignatureColumn:
    """One input column a model expects.

    Attributes:
        name: the column's name.
        type: its type as the data library spells it (``int64``, ``object``...).
        nullable: True when the training data held nulls in it.
    """

    name: str
    type: str
    nullable: bool = False


@dataclass(frozen=True, slots=True)
class ModelRecord:
    """A registered model: a name in a project, with versions and aliases.

    Attributes:
        name: unique in its project.
        project: the project.
        user: who registered its first version.
        created_at / updated_at: POSIX seconds.
        description: free text (the first version's description).
        tags: free-form string tags.
        gates: promotion gates per alias, as stored (see ``rung.registry``).
        latest_version: the highest version number.
        aliases: alias -> the version number it points to.
    """

    name: str
    project: str
    user: str
    created_at: float
    updated_at: float
    description: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)
    gates: Mapping[str, Any] = field(default_factory=dict)
    latest_version: int = 0
    aliases: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ModelVersionRecord:
    """One registered version of a model.

    Attributes:
        model: the model's name.
        version: 1, 2, ... per model (assigned by the store).
        project: the model's project.
        artifact_id: the artifact holding the model.
        user / created_at: who registered it, and when.
        state: ``ready`` or ``archived`` (archived versions cannot be promoted).
        run_id / step_run_id: the run and step run that produced the artifact.
        description: free text.
        metrics: the metrics it was registered with.
        tags: free-form string tags.
        signature: the input columns it expects, when known.
        framework / framework_version: e.g. ``sklearn`` ``1.5.2``.
        git_commit / source_hash: the code version of the producing run.
        training_data: input name -> artifact id of the data it was trained on.
        card: the model card (intended use, limitations...) as JSON-able data.
    """

    model: str
    version: int
    project: str
    artifact_id: str
    user: str
    created_at: float
    state: str = "ready"
    run_id: str | None = None
    step_run_id: str | None = None
    description: str = ""
    metrics: Mapping[str, float] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    signature: tuple[SignatureColumn, ...] | None = None
    framework: str | None = None
    framework_version: str | None = None
    git_commit: str | None = None
    source_hash: str | None = None
    training_data: Mapping[str, str] = field(default_factory=dict)
    card: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_archived(self) -> bool:
        """True when the version was archived."""
        return self.state == "archived"


@dataclass(frozen=True, slots=True)
class AliasRecord:
    """An alias of a model and the one version it points to."""

    model: str
    alias: str
    version: int
    project: str
    user: str
    updated_at: float


@dataclass(frozen=True, slots=True)
class ApprovalRecord:
    """A user's decision on moving an alias to a version.

    Attributes:
        decision: ``approve`` or ``reject``.
        id: assigned by the store (0 before).
    """

    model: str
    version: int
    alias: str
    project: str
    user: str
    decision: str
    created_at: float
    comment: str = ""
    id: int = 0


@dataclass(frozen=True, slots=True)
class RoleRecord:
    """A role a user holds in a project (e.g. ``reviewer``)."""

    project: str
    user: str
    role: str
    granted_by: str
    granted_at: float


@dataclass(frozen=True, slots=True)
class AuditNote:
    """Who changes the registry, when, why: becomes the event of a change.

    Attributes:
        action: one of :data:`REGISTRY_ACTIONS`.
        user: who.
        at: when (POSIX seconds).
        comment: why.
        details: extra JSON-able facts (gate results...).
    """

    action: str
    user: str
    at: float
    comment: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RegistryEventRecord:
    """One entry of the registry's audit log.

    Attributes:
        id: increasing with time.
        model: the model's name (None for role changes).
        version: the version acted on, if any.
        alias: the alias acted on, if any.
        from_version / to_version: where an alias pointed before and after.
    """

    id: int
    project: str
    action: str
    user: str
    created_at: float
    model: str | None = None
    version: int | None = None
    alias: str | None = None
    from_version: int | None = None
    to_version: int | None = None
    comment: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)
