"""Model registry records and the ``ModelRecords`` protocol.

A model is a name in a project; each registration adds a numbered version
that points at an artifact. Aliases (``staging``, ``production``...) point at
one version each and move by compare-and-set. Every change writes a
:class:`RegistryEventRecord` in the same transaction: the audit log is the
history, and rollbacks replay it.

``ModelRecords`` combines three small protocols: versions
(:class:`ModelVersionRecords`), state changes and aliases
(:class:`ModelStateRecords`), and reviews (:class:`ReviewRecords`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, runtime_checkable

from rung.errors import (
    ModelNotFoundError,
    ModelVersionNotFoundError,
    PromotionRefusedError,
    RegistryConflictError,
    RegistryError,
)
from rung.metadata._errors import InvalidRecordError

__all__ = [
    "APPROVAL_DECISIONS",
    "MODEL_VERSION_STATES",
    "REGISTRY_ACTIONS",
    "AliasRecord",
    "ApprovalRecord",
    "AuditNote",
    "ModelRecord",
    "ModelRecords",
    "ModelStateRecords",
    "ModelVersionRecord",
    "ModelVersionRecords",
    "RegistryEventRecord",
    "ReviewRecords",
    "RoleRecord",
    "SignatureColumn",
]

MODEL_VERSION_STATES: tuple[str, ...] = ("ready", "archived")
APPROVAL_DECISIONS: tuple[str, ...] = ("approve", "reject")
REGISTRY_ACTIONS: tuple[str, ...] = (
    "register",
    "promote",
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


@runtime_checkable
class ModelVersionRecords(Protocol):
    """Models and their numbered versions."""

    def add_model_version(
        self, version: ModelVersionRecord, note: AuditNote
    ) -> ModelVersionRecord:
        """Create the model if new and add the version with the next number.

        ``version.version`` is ignored: concurrent calls get distinct numbers.
        Raises ArtifactNotFoundError for an unknown artifact.
        """
        ...

    def get_model(self, project: str, name: str) -> ModelRecord:
        """Return a model; raises ModelNotFoundError."""
        ...

    def list_models(self, project: str | None = None) -> list[ModelRecord]:
        """Return models ordered by name (then project)."""
        ...

    def get_model_version(
        self, project: str, name: str, version: int
    ) -> ModelVersionRecord:
        """Return one version; raises ModelNotFoundError or
        ModelVersionNotFoundError."""
        ...

    def list_model_versions(self, project: str, name: str) -> list[ModelVersionRecord]:
        """Return a model's versions, oldest first; raises ModelNotFoundError."""
        ...

    def find_model_versions(self, artifact_id: str) -> list[ModelVersionRecord]:
        """Return every version (any project) made from this exact artifact."""
        ...


@runtime_checkable
class ModelStateRecords(Protocol):
    """What changes after registration: descriptions, states and aliases."""

    def update_model(
        self, project: str, name: str, changes: Mapping[str, Any], note: AuditNote
    ) -> ModelRecord:
        """Change ``description``, ``tags`` (merged) or ``gates`` (replaced)."""
        ...

    def update_model_version(
        self,
        project: str,
        name: str,
        version: int,
        changes: Mapping[str, Any],
        note: AuditNote,
    ) -> ModelVersionRecord:
        """Change ``state``, ``description`` or ``tags`` (merged).

        Archiving a version an alias points to raises RegistryError.
        """
        ...

    def move_alias(
        self,
        project: str,
        name: str,
        alias: str,
        version: int,
        *,
        expected: int | None,
        note: AuditNote,
    ) -> AliasRecord:
        """Point ``alias`` at ``version`` if it still points at ``expected``.

        ``expected`` is None for an alias that does not exist yet. Raises
        RegistryConflictError when another change moved it first, and
        PromotionRefusedError for an archived version.
        """
        ...

    def list_aliases(self, project: str, name: str) -> list[AliasRecord]:
        """Return a model's aliases ordered by name."""
        ...


@runtime_checkable
class ReviewRecords(Protocol):
    """Approvals, roles and the audit log."""

    def add_approval(self, approval: ApprovalRecord) -> ApprovalRecord:
        """Record an approval or rejection (and its event); return it with its id."""
        ...

    def list_approvals(
        self,
        project: str,
        name: str,
        *,
        version: int | None = None,
        alias: str | None = None,
    ) -> list[ApprovalRecord]:
        """Return decisions on a model, oldest first."""
        ...

    def set_role(
        self, project: str, user: str, role: str, *, granted: bool, note: AuditNote
    ) -> None:
        """Grant (idempotent) or revoke a role; revoking one not held raises."""
        ...

    def list_roles(self, project: str, *, user: str | None = None) -> list[RoleRecord]:
        """Return role grants ordered by user, then role."""
        ...

    def list_registry_events(
        self,
        project: str,
        *,
        model: str | None = None,
        alias: str | None = None,
        limit: int | None = None,
    ) -> list[RegistryEventRecord]:
        """Return events oldest first; ``limit`` keeps the newest ones."""
        ...


@runtime_checkable
class ModelRecords(ModelVersionRecords, ModelStateRecords, ReviewRecords, Protocol):
    """Everything the model registry stores."""


# -- checks and messages shared by both backends (private) ------------------------
# ``_common`` imports ``base``, which imports this module: import it lazily.

_MODEL_CHANGEABLE = frozenset({"description", "tags", "gates"})
_VERSION_CHANGEABLE = frozenset({"state", "description", "tags"})


def _clean_version(version: ModelVersionRecord) -> ModelVersionRecord:
    """Check a new version; return it with its values as every backend stores them."""
    from rung.metadata import _common as c

    _check_choice(version.state, MODEL_VERSION_STATES, "model version state")
    metrics = c.clean_params(version.metrics, "metrics")
    try:
        numbers = {key: float(value) for key, value in metrics.items()}
    except (TypeError, ValueError):
        raise InvalidRecordError(
            f"Metrics of model {version.model!r} must be numbers, got {metrics!r}."
        ) from None
    return replace(
        version,
        metrics=numbers,
        tags=c.clean_strings(version.tags, "tags"),
        training_data=c.clean_strings(version.training_data, "training_data"),
        card=c.clean_mapping(version.card, "card"),
        signature=_signature_from_json(_signature_to_json(version.signature)),
    )


def _clean_changes(changes: Mapping[str, Any], *, version: bool) -> dict[str, Any]:
    """Check ``update_model`` (or ``update_model_version``) changes."""
    from rung.metadata import _common as c

    allowed = _VERSION_CHANGEABLE if version else _MODEL_CHANGEABLE
    bad = sorted(set(changes) - allowed)
    if bad:
        what = "a model version" if version else "a model"
        raise InvalidRecordError(
            f"Cannot change {', '.join(map(repr, bad))} of {what}. "
            f"Changeable: {', '.join(sorted(allowed))}."
        )
    out = dict(changes)
    if "state" in out:
        _check_choice(out["state"], MODEL_VERSION_STATES, "model version state")
    if "tags" in out:
        out["tags"] = c.clean_strings(out["tags"], "tags")
    if "gates" in out:
        out["gates"] = c.clean_mapping(out["gates"], "gates")
    if "description" in out:
        out["description"] = str(out["description"])
    return out


def _clean_note(note: AuditNote) -> AuditNote:
    from rung.metadata import _common as c

    _check_choice(note.action, REGISTRY_ACTIONS, "registry action")
    return replace(note, details=c.clean_mapping(note.details, "event details"))


def _check_choice(value: object, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise InvalidRecordError(
            f"Invalid {what} {value!r}. Use one of: {', '.join(allowed)}."
        )


def _signature_to_json(
    signature: tuple[SignatureColumn, ...] | None,
) -> list[dict[str, Any]] | None:
    if signature is None:
        return None
    return [
        {"name": str(col.name), "type": str(col.type), "nullable": bool(col.nullable)}
        for col in signature
    ]


def _signature_from_json(
    data: list[dict[str, Any]] | None,
) -> tuple[SignatureColumn, ...] | None:
    if data is None:
        return None
    return tuple(SignatureColumn(d["name"], d["type"], d["nullable"]) for d in data)


def _model_not_found(project: str, name: str) -> ModelNotFoundError:
    return ModelNotFoundError(
        f"No model {name!r} in project {project!r}. List models with "
        "`rung models list`, or register one with `rung models register`."
    )


def _version_not_found(
    name: str, version: int, known: list[int]
) -> ModelVersionNotFoundError:
    shown = ", ".join(map(str, known[-10:])) or "none"
    return ModelVersionNotFoundError(
        f"Model {name!r} has no version {version}. Known versions: {shown}."
    )


def _alias_conflict(
    name: str, alias: str, expected: int | None, actual: int | None
) -> RegistryConflictError:
    now = "does not exist" if actual is None else f"points to version {actual}"
    was = "not to exist" if expected is None else f"to point to version {expected}"
    return RegistryConflictError(
        f"Alias {alias!r} of model {name!r} now {now}, but this change expected it "
        f"{was}: another change moved it first. Nothing was changed; check "
        f"`rung models show {name}` and retry."
    )


def _archived_refused(name: str, version: int, alias: str) -> PromotionRefusedError:
    return PromotionRefusedError(
        f"Cannot point alias {alias!r} of model {name!r} at version {version}: the "
        f"version is archived. Restore it with `rung models restore {name} "
        f"{version}`, or pick another version."
    )


def _alias_in_use(name: str, version: int, aliases: list[str]) -> RegistryError:
    return RegistryError(
        f"Cannot archive version {version} of model {name!r}: alias(es) "
        f"{', '.join(map(repr, aliases))} point to it. Promote another version to "
        "them (or roll them back) first."
    )


def _role_not_held(user: str, role: str) -> RegistryError:
    return RegistryError(
        f"User {user!r} does not hold role {role!r}; nothing to revoke. List roles "
        "with `rung models roles list`."
    )
