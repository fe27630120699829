"""``Client`` methods for governance (``rung.governance``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from rung.governance import (
        AppliedPolicies,
        Classification,
        PlanReport,
        PolicySet,
    )
    from rung.governance.records import PolicyDecisionRecord
    from rung.pipelines import ExecutionPlan
    from rung.workspace import Workspace

__all__ = ["_Policies"]


class _Policies:
    """Policy sets, the decision audit log, plan checks and classifications."""

    workspace: Workspace

    def apply_policy_file(self, path: str | Path) -> AppliedPolicies:
        """Validate a YAML policy file and store it as the next policy set."""
        from rung import governance

        return governance.apply_policy_file(self.workspace, path)

    def get_policies(self, version: int | None = None) -> PolicySet:
        """The policy set in force (or one version)."""
        from rung import governance

        return governance.get_policies(self.workspace, version)

    def active_policies(self) -> PolicySet | None:
        """The policy set in force, or None when none was applied."""
        from rung import governance

        return governance.active_policies(self.workspace)

    def list_policy_sets(self) -> list[PolicySet]:
        """Policy set versions, newest first."""
        from rung import governance

        return governance.list_policy_sets(self.workspace)

    def audit_log(
        self,
        *,
        run_id: str | None = None,
        verdict: str | None = None,
        limit: int | None = 100,
    ) -> list[PolicyDecisionRecord]:
        """Audited policy decisions, newest first (``run_id``: id or prefix)."""
        from rung import governance

        if run_id is not None:
            run_id = self.workspace.runs.get_run(run_id).id
        return governance.audit_log(
            self.workspace, run_id=run_id, verdict=verdict, limit=limit
        )

    def explain_plan(
        self, plan: ExecutionPlan, policies: PolicySet | None = None
    ) -> PlanReport:
        """What the policies decide about a planned run, without running it."""
        from rung import governance

        return governance.explain_plan(self.workspace, plan, policies)

    def classifications_of(self, reference: str) -> Classification:
        """What something inherits through lineage (tags, regions, paths)."""
        from rung import governance

        return governance.classifications_of(self.workspace, reference)
