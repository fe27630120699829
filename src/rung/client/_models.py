"""``Client`` methods for the model registry (``rung.registry``).

Each method is the registry function of the same name, with the client's
workspace: ``client.promote_model("churn", 3, "production")`` is
``rung.registry.promote_model(client.workspace, "churn", 3, "production")``.
A remote client implements the same methods over HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rung.client._classification import classify_model_version

if TYPE_CHECKING:
    from pathlib import Path

    from rung.client._classification import InheritedClassification
    from rung.registry import GateCheck, Gates, ModelCard, VersionComparison
    from rung.registry.records import (
        AliasRecord,
        ApprovalRecord,
        ModelRecord,
        ModelVersionRecord,
        RegistryEventRecord,
        RoleRecord,
    )
    from rung.workspace import Workspace

__all__ = ["_Models"]


class _Models:
    """Models, versions, aliases, gates, approvals, roles and the audit log."""

    workspace: Workspace

    def list_models(self) -> list[ModelRecord]:
        """The project's models, by name."""
        from rung import registry

        return registry.list_models(self.workspace)

    def get_model(self, name: str) -> ModelRecord:
        """One model, with its aliases."""
        from rung import registry

        return registry.get_model(self.workspace, name)

    def list_versions(self, name: str) -> list[ModelVersionRecord]:
        """A model's versions, oldest first."""
        from rung import registry

        return registry.list_versions(self.workspace, name)

    def compare_versions(self, name: str, versions: list[int]) -> VersionComparison:
        """Metrics and signature changes of several versions of one model."""
        from rung import registry

        return registry.compare_versions(self.workspace, name, versions)

    def register_model(
        self,
        model: Any,
        name: str,
        *,
        step: str | None = None,
        output: str | None = None,
        metrics: Mapping[str, float] | None = None,
        tags: Mapping[str, str] | None = None,
        description: str = "",
        card: ModelCard | Mapping[str, Any] | None = None,
        training_data: Any = None,
    ) -> ModelVersionRecord:
        """A new version from an artifact id or a ``Run`` (with ``step``).

        ``training_data``: the table it was trained on (a DataFrame, or a
        table artifact's id) when lineage does not lead to it.
        """
        from rung import registry

        return registry.register_model(
            self.workspace,
            model,
            name,
            step=step,
            output=output,
            metrics=metrics,
            tags=tags,
            description=description,
            card=card,
            training_data=training_data,
        )

    def check_promotion(self, name: str, version: int, alias: str) -> list[GateCheck]:
        """The gate results of moving ``alias`` to ``version``, without moving it."""
        from rung import registry

        return registry.check_promotion(self.workspace, name, version, alias)

    def promote_model(
        self, name: str, version: int, alias: str, *, comment: str = ""
    ) -> AliasRecord:
        """Point ``alias`` at ``version`` once its gates pass (audited)."""
        from rung import registry

        return registry.promote_model(
            self.workspace, name, version, alias, comment=comment
        )

    def approve_promotion(
        self, name: str, version: int, alias: str, *, comment: str = ""
    ) -> ApprovalRecord:
        """Approve moving ``alias`` to ``version``, as the workspace user."""
        from rung import registry

        return registry.approve_promotion(
            self.workspace, name, version, alias, comment=comment
        )

    def reject_promotion(
        self, name: str, version: int, alias: str, *, comment: str = ""
    ) -> ApprovalRecord:
        """Reject moving ``alias`` to ``version``; it blocks the approvals gate."""
        from rung import registry

        return registry.reject_promotion(
            self.workspace, name, version, alias, comment=comment
        )

    def rollback_model(
        self, name: str, alias: str, *, to: int | None = None, comment: str = ""
    ) -> AliasRecord:
        """Move ``alias`` back to its previous version (or to ``to``)."""
        from rung import registry

        return registry.rollback_model(
            self.workspace, name, alias, to=to, comment=comment
        )

    def archive_version(
        self, name: str, version: int, *, comment: str = ""
    ) -> ModelVersionRecord:
        """Archive a version: it can no longer be promoted."""
        from rung import registry

        return registry.archive_version(self.workspace, name, version, comment=comment)

    def restore_version(
        self, name: str, version: int, *, comment: str = ""
    ) -> ModelVersionRecord:
        """Restore an archived version."""
        from rung import registry

        return registry.restore_version(self.workspace, name, version, comment=comment)

    def get_gates(self, name: str) -> Gates:
        """A model's promotion gates (empty when none are set)."""
        from rung import registry

        return registry.get_gates(self.workspace, name)

    def set_gates(
        self,
        name: str,
        gates: Gates | Mapping[str, Any] | Path,
        *,
        comment: str = "",
    ) -> Gates:
        """Replace a model's gates: ``Gates``, a mapping, or a YAML file's path."""
        from pathlib import Path

        from rung import registry

        if isinstance(gates, Path):
            gates = registry.load_gates_file(gates)
        return registry.set_gates(self.workspace, name, gates, comment=comment)

    def model_history(
        self, name: str | None = None, *, limit: int | None = None
    ) -> list[RegistryEventRecord]:
        """The registry's audit log, oldest first (one model's, or the project's)."""
        from rung import registry

        return registry.model_history(self.workspace, name, limit=limit)

    def grant_role(self, user: str, role: str, *, comment: str = "") -> RoleRecord:
        """Give ``user`` a role (for approval gates)."""
        from rung import registry

        return registry.grant_role(self.workspace, user, role, comment=comment)

    def revoke_role(self, user: str, role: str, *, comment: str = "") -> None:
        """Take a role away from ``user``."""
        from rung import registry

        registry.revoke_role(self.workspace, user, role, comment=comment)

    def list_roles(self, *, user: str | None = None) -> list[RoleRecord]:
        """Role grants, by user then role."""
        from rung import registry

        return registry.list_roles(self.workspace, user=user)

    def model_classification(
        self, version: ModelVersionRecord
    ) -> InheritedClassification:
        """The classification (tags, regions) a model version inherits via lineage."""
        return classify_model_version(self.workspace, version)
