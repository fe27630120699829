"""``Client`` methods for rollouts: shadow, canary, promotion (``rung.automation``).

Each method is the automation function of the same name, with the client's
workspace; ``rung.automation`` is imported when a method is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rung.automation import RolloutCheck
    from rung.serving.records import RolloutRecord
    from rung.workspace import Workspace

__all__ = ["_Rollouts"]


class _Rollouts:
    """Start, follow, compare, promote and abort rollouts of a challenger."""

    workspace: Workspace

    def start_rollout(
        self, model: str, challenger_version: int, **options: Any
    ) -> RolloutRecord:
        """Roll a challenger out behind an alias: shadow, canary, promotion.

        ``options`` are those of :func:`rung.automation.start_rollout`
        (``alias``, ``shadow_s``, ``share``, ``bake_s``, ``min_metric``,
        ``max_error_rate``, ``max_latency_ms``, ...).
        """
        from rung import automation

        return automation.start_rollout(
            self.workspace, model, challenger_version, **options
        )

    def get_rollout(self, rollout_id: str) -> RolloutRecord:
        """One rollout by id or unique prefix."""
        from rung import automation

        return automation.get_rollout(self.workspace, rollout_id)

    def list_rollouts(
        self, model: str | None = None, *, active: bool = False, limit: int | None = 100
    ) -> list[RolloutRecord]:
        """Rollouts, newest first (only running ones with ``active``)."""
        from rung import automation

        return automation.list_rollouts(
            self.workspace, model, active=active, limit=limit
        )

    def rollout_stats(self, rollout_id: str) -> dict[str, dict[str, Any]]:
        """What the servers counted for a rollout, per arm."""
        from rung import automation

        return automation.rollout_stats(self.workspace, rollout_id)

    def compare_shadow(
        self, rollout_id: str, *, until: float | None = None
    ) -> dict[str, Any]:
        """The champion's answers and the shadow's predictions, side by side."""
        from rung import automation

        return automation.compare_shadow(self.workspace, rollout_id, until=until)

    def check_rollouts(self) -> list[RolloutCheck]:
        """Move the running rollouts on now (the agent does it every tick)."""
        from rung import automation

        return automation.check_rollouts(self.workspace)

    def promote_rollout(self, rollout_id: str, *, comment: str = "") -> RolloutRecord:
        """Promote a running rollout's challenger now, through the registry."""
        from rung import automation

        return automation.promote_rollout(self.workspace, rollout_id, comment=comment)

    def abort_rollout(self, rollout_id: str, *, reason: str = "") -> RolloutRecord:
        """Stop a rollout: every request goes back to the champion."""
        from rung import automation

        return automation.abort_rollout(self.workspace, rollout_id, reason=reason)
