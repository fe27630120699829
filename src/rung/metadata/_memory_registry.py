"""The model registry in memory: a mixin of ``InMemoryMetadataStore``.

Same checks, orderings and errors as the SQL backend. Every method holds the
store's lock for its whole body, which makes each one a transaction.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from rung.metadata import _common as c
from rung.metadata import registry as r
from rung.metadata.registry import (
    AliasRecord,
    ApprovalRecord,
    AuditNote,
    ModelRecord,
    ModelVersionRecord,
    RegistryEventRecord,
    RoleRecord,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from rung.metadata.base import ArtifactRecord

__all__ = ["InMemoryModelRecords"]


@dataclass(slots=True)
class _Model:
    record: ModelRecord
    versions: dict[int, ModelVersionRecord] = field(default_factory=dict)
    aliases: dict[str, AliasRecord] = field(default_factory=dict)


@dataclass(slots=True)
class _State:
    models: dict[tuple[str, str], _Model] = field(default_factory=dict)
    approvals: list[ApprovalRecord] = field(default_factory=list)
    roles: dict[tuple[str, str, str], RoleRecord] = field(default_factory=dict)
    events: list[RegistryEventRecord] = field(default_factory=list)


class InMemoryModelRecords:
    """The ``ModelRecords`` protocol for ``InMemoryMetadataStore`` (a mixin)."""

    _lock: threading.RLock
    _artifacts: dict[str, ArtifactRecord]

    @property
    def _registry(self) -> _State:
        # Created on first use: the host class's __init__ does not know about it.
        with self._lock:
            state: _State | None = getattr(self, "_registry_state", None)
            if state is None:
                state = _State()
                self._registry_state = state
            return state

    # -- versions -------------------------------------------------------------------

    def add_model_version(
        self, version: ModelVersionRecord, note: AuditNote
    ) -> ModelVersionRecord:
        """Create the model if new; add the version with the next number."""
        clean, audit = r._clean_version(version), r._clean_note(note)
        with self._lock:
            if clean.artifact_id not in self._artifacts:
                raise c.artifacts_not_found([clean.artifact_id])
            key = (clean.project, clean.model)
            model = self._registry.models.get(key)
            if model is None:
                record = ModelRecord(
                    clean.model,
                    clean.project,
                    clean.user,
                    audit.at,
                    audit.at,
                    clean.description,
                )
                model = self._registry.models[key] = _Model(record)
            new = replace(clean, version=max(model.versions, default=0) + 1)
            model.versions[new.version] = new
            self._touch(model, audit.at)
            self._log(clean.project, clean.model, audit, version=new.version)
            return copy.deepcopy(new)

    def get_model(self, project: str, name: str) -> ModelRecord:
        """Return a model; raises ModelNotFoundError."""
        with self._lock:
            return _snapshot(self._model(project, name))

    def list_models(self, project: str | None = None) -> list[ModelRecord]:
        """Return models ordered by name (then project)."""
        with self._lock:
            found = [
                _snapshot(m)
                for (proj, _name), m in self._registry.models.items()
                if project in (None, proj)
            ]
        return sorted(found, key=lambda m: (m.name, m.project))

    def get_model_version(
        self, project: str, name: str, version: int
    ) -> ModelVersionRecord:
        """Return one version of a model."""
        with self._lock:
            return copy.deepcopy(self._version(project, name, version))

    def list_model_versions(self, project: str, name: str) -> list[ModelVersionRecord]:
        """Return a model's versions, oldest first."""
        with self._lock:
            model = self._model(project, name)
            return copy.deepcopy([model.versions[n] for n in sorted(model.versions)])

    def find_model_versions(self, artifact_id: str) -> list[ModelVersionRecord]:
        """Return every version made from this exact artifact."""
        with self._lock:
            found = [
                v
                for model in self._registry.models.values()
                for v in model.versions.values()
                if v.artifact_id == artifact_id
            ]
            found.sort(key=lambda v: (v.project, v.model, v.version))
            return copy.deepcopy(found)

    # -- state and aliases ----------------------------------------------------------

    def update_model(
        self, project: str, name: str, changes: Mapping[str, Any], note: AuditNote
    ) -> ModelRecord:
        """Change a model's description, tags (merged) or gates (replaced)."""
        clean = r._clean_changes(changes, version=False)
        audit = r._clean_note(note)
        with self._lock:
            model = self._model(project, name)
            values = dict(clean)
            if "tags" in values:
                values["tags"] = {**model.record.tags, **values["tags"]}
            model.record = replace(model.record, **values, updated_at=audit.at)
            self._log(project, name, audit)
            return _snapshot(model)

    def update_model_version(
        self,
        project: str,
        name: str,
        version: int,
        changes: Mapping[str, Any],
        note: AuditNote,
    ) -> ModelVersionRecord:
        """Change a version's state, description or tags (merged)."""
        clean = r._clean_changes(changes, version=True)
        audit = r._clean_note(note)
        with self._lock:
            current = self._version(project, name, version)
            model = self._model(project, name)
            if clean.get("state") == "archived":
                aliases = sorted(
                    a for a, rec in model.aliases.items() if rec.version == version
                )
                if aliases:
                    raise r._alias_in_use(name, version, aliases)
            if "tags" in clean:
                clean["tags"] = {**current.tags, **clean["tags"]}
            new = model.versions[version] = replace(current, **clean)
            self._touch(model, audit.at)
            self._log(project, name, audit, version=version)
            return copy.deepcopy(new)

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
        """Point ``alias`` at ``version`` if it still points at ``expected``."""
        audit = r._clean_note(note)
        with self._lock:
            target = self._version(project, name, version)
            if target.is_archived:
                raise r._archived_refused(name, version, alias)
            model = self._model(project, name)
            current = model.aliases.get(alias)
            actual = None if current is None else current.version
            if actual != expected:
                raise r._alias_conflict(name, alias, expected, actual)
            record = AliasRecord(name, alias, version, project, audit.user, audit.at)
            model.aliases[alias] = record
            self._touch(model, audit.at)
            self._log(project, name, audit, alias=alias, moved=(expected, version))
            return record

    def list_aliases(self, project: str, name: str) -> list[AliasRecord]:
        """Return a model's aliases ordered by name."""
        with self._lock:
            model = self._model(project, name)
            return [model.aliases[a] for a in sorted(model.aliases)]

    # -- reviews, roles, events -----------------------------------------------------

    def add_approval(self, approval: ApprovalRecord) -> ApprovalRecord:
        """Record an approval or rejection and its event."""
        r._check_choice(approval.decision, r.APPROVAL_DECISIONS, "decision")
        with self._lock:
            self._version(approval.project, approval.model, approval.version)
            state = self._registry
            stored = replace(approval, id=len(state.approvals) + 1)
            state.approvals.append(stored)
            note = AuditNote(
                approval.decision, approval.user, approval.created_at, approval.comment
            )
            self._log(
                approval.project,
                approval.model,
                note,
                version=approval.version,
                alias=approval.alias,
            )
            return stored

    def list_approvals(
        self,
        project: str,
        name: str,
        *,
        version: int | None = None,
        alias: str | None = None,
    ) -> list[ApprovalRecord]:
        """Return decisions on a model, oldest first."""
        with self._lock:
            self._model(project, name)
            return [
                a
                for a in self._registry.approvals
                if (a.project, a.model) == (project, name)
                and version in (None, a.version)
                and alias in (None, a.alias)
            ]

    def set_role(
        self, project: str, user: str, role: str, *, granted: bool, note: AuditNote
    ) -> None:
        """Grant (idempotent) or revoke a role."""
        audit = r._clean_note(note)
        key = (project, user, role)
        with self._lock:
            roles = self._registry.roles
            if granted:
                roles.setdefault(key, RoleRecord(*key, audit.user, audit.at))
            elif roles.pop(key, None) is None:
                raise r._role_not_held(user, role)
            details = {**audit.details, "subject": user, "role": role}
            self._log(project, None, replace(audit, details=details))

    def list_roles(self, project: str, *, user: str | None = None) -> list[RoleRecord]:
        """Return role grants ordered by user, then role."""
        with self._lock:
            return [
                rec
                for key, rec in sorted(self._registry.roles.items())
                if key[0] == project and user in (None, key[1])
            ]

    def list_registry_events(
        self,
        project: str,
        *,
        model: str | None = None,
        alias: str | None = None,
        limit: int | None = None,
    ) -> list[RegistryEventRecord]:
        """Return events oldest first; ``limit`` keeps the newest ones."""
        with self._lock:
            found = [
                e
                for e in self._registry.events
                if e.project == project
                and model in (None, e.model)
                and alias in (None, e.alias)
            ]
        if limit is not None:
            found = found[-limit:] if limit > 0 else []
        return copy.deepcopy(found)

    # -- helpers --------------------------------------------------------------------

    def _model(self, project: str, name: str) -> _Model:
        model = self._registry.models.get((project, name))
        if model is None:
            raise r._model_not_found(project, name)
        return model

    def _version(self, project: str, name: str, version: int) -> ModelVersionRecord:
        model = self._model(project, name)
        found = model.versions.get(version)
        if found is None:
            raise r._version_not_found(name, version, sorted(model.versions))
        return found

    def _touch(self, model: _Model, at: float) -> None:
        model.record = replace(model.record, updated_at=at)

    def _log(
        self,
        project: str,
        model: str | None,
        note: AuditNote,
        *,
        version: int | None = None,
        alias: str | None = None,
        moved: tuple[int | None, int] | None = None,
    ) -> None:
        events = self._registry.events
        from_version, to_version = moved if moved is not None else (None, None)
        events.append(
            RegistryEventRecord(
                id=len(events) + 1,
                project=project,
                action=note.action,
                user=note.user,
                created_at=note.at,
                model=model,
                version=to_version if moved is not None else version,
                alias=alias,
                from_version=from_version,
                to_version=to_version,
                comment=note.comment,
                details=copy.deepcopy(dict(note.details)),
            )
        )


def _snapshot(model: _Model) -> ModelRecord:
    return copy.deepcopy(
        replace(
            model.record,
            latest_version=max(model.versions, default=0),
            aliases={a: model.aliases[a].version for a in sorted(model.aliases)},
        )
    )
