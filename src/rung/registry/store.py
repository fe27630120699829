"""Model registry records and the ``ModelStore`` protocol.

A model is a name in a project; each registration adds a numbered version
that points at an artifact. Aliases (``staging``, ``production``...) point at
one version each and move by compare-and-set. Every change writes a
:class:`RegistryEventRecord` in the same transaction: the audit log is the
history, and rollbacks replay it.

``ModelStore`` combines three small protocols: versions
(:class:`ModelVersionRecords`), state changes and aliases
(:class:`ModelStateRecords`), and reviews (:class:`ReviewRecords`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Protocol, runtime_checkable

from rung.errors import (
    InvalidRecordError,
    ModelNotFoundError,
    ModelVersionNotFoundError,
    PromotionRefusedError,
    RegistryConflictError,
    RegistryError,
)
from rung.registry.records import (
    MODEL_VERSION_STATES,
    REGISTRY_ACTIONS,
    AliasRecord,
    ApprovalRecord,
    AuditNote,
    ModelRecord,
    ModelVersionRecord,
    RegistryEventRecord,
    RoleRecord,
    SignatureColumn,
)
from rung.store import (
    check_changeable,
    clean_mapping,
    clean_params,
    clean_strings,
)

__all__ = [
    "ModelStateRecords",
    "ModelStore",
    "ModelVersionRecords",
    "ReviewRecords",
]


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

    def add_registry_event(
        self,
        project: str,
        name: str,
        note: AuditNote,
        *,
        version: int | None = None,
        alias: str | None = None,
    ) -> None:
        """Record an event that changes nothing else (e.g. a refused promotion).

        Raises ModelNotFoundError for an unknown model.
        """
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
class ModelStore(ModelVersionRecords, ModelStateRecords, ReviewRecords, Protocol):
    """Everything the model registry stores."""


_MODEL_CHANGEABLE = frozenset({"description", "tags", "gates"})


_VERSION_CHANGEABLE = frozenset({"state", "description", "tags"})


def _clean_version(version: ModelVersionRecord) -> ModelVersionRecord:
    """Check a new version; return it with its values as every backend stores them."""
    _check_choice(version.state, MODEL_VERSION_STATES, "model version state")
    metrics = clean_params(version.metrics, "metrics")
    try:
        numbers = {key: float(value) for key, value in metrics.items()}
    except (TypeError, ValueError):
        raise InvalidRecordError(
            f"Metrics of model {version.model!r} must be numbers, got {metrics!r}."
        ) from None
    return replace(
        version,
        metrics=numbers,
        tags=clean_strings(version.tags, "tags"),
        training_data=clean_strings(version.training_data, "training_data"),
        card=clean_mapping(version.card, "card"),
        signature=_signature_from_json(_signature_to_json(version.signature)),
    )


def _clean_changes(changes: Mapping[str, Any], *, version: bool) -> dict[str, Any]:
    """Check ``update_model`` (or ``update_model_version``) changes."""

    allowed = _VERSION_CHANGEABLE if version else _MODEL_CHANGEABLE
    check_changeable(changes, allowed, "a model version" if version else "a model")
    out = dict(changes)
    if "state" in out:
        _check_choice(out["state"], MODEL_VERSION_STATES, "model version state")
    if "tags" in out:
        out["tags"] = clean_strings(out["tags"], "tags")
    if "gates" in out:
        out["gates"] = clean_mapping(out["gates"], "gates")
    if "description" in out:
        out["description"] = str(out["description"])
    return out


def _clean_note(note: AuditNote) -> AuditNote:

    _check_choice(note.action, REGISTRY_ACTIONS, "registry action")
    return replace(note, details=clean_mapping(note.details, "event details"))


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
        f"No model {name!r} in project {project!r}.", model=name, project=project
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
        f"{was}: another change moved it first. Nothing was changed.",
        model=name,
        alias=alias,
    )


def _archived_refused(name: str, version: int, alias: str) -> PromotionRefusedError:
    return PromotionRefusedError(
        f"Cannot point alias {alias!r} of model {name!r} at version {version}: the "
        "version is archived.",
        model=name,
        version=version,
        reason="archived",
    )


def _alias_in_use(name: str, version: int, aliases: list[str]) -> RegistryError:
    return RegistryError(
        f"Cannot archive version {version} of model {name!r}: alias(es) "
        f"{', '.join(map(repr, aliases))} point to it. Promote another version to "
        "them (or roll them back) first."
    )


def _role_not_held(user: str, role: str) -> RegistryError:
    return RegistryError(
        f"User {user!r} does not hold role {role!r}; nothing to revoke.",
        user=user,
        role=role,
        reason="role_not_held",
    )
