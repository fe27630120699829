"""``Client`` methods for champion and challenger (``rung.automation``).

Each method is the automation function of the same name, with the client's
workspace; ``rung.automation`` is imported when a method is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    from rung.automation import (
        ChallengerComparison,
        ChallengerEventRecord,
        PromotionResult,
        WatchCheck,
        WatchRecord,
    )
    from rung.workspace import Workspace

__all__ = ["_Challenger"]


class _Challenger:
    """Comparisons on production data, promotion if better, watches, the ledger."""

    workspace: Workspace

    def compare_challenger(
        self, model: str, challenger_version: int, **options: Any
    ) -> ChallengerComparison:
        """Score a challenger and the champion on the same labelled window.

        ``options`` are those of :func:`rung.automation.compare_challenger`
        (``alias``, ``window``, ``metric``, ``margin``, ``slices``, ...).
        """
        from rung import automation

        return automation.compare_challenger(
            self.workspace, model, challenger_version, **options
        )

    def promote_if_better(
        self,
        model: str,
        challenger_version: int,
        *,
        comment: str = "",
        watch: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> PromotionResult:
        """Compare (or reuse a comparison), then promote through the gates if it won.

        ``watch``: settings of a post-promotion watch; ``options``: those of
        :func:`rung.automation.promote_if_better`.
        """
        from rung import automation

        return automation.promote_if_better(
            self.workspace,
            model,
            challenger_version,
            comment=comment,
            watch=watch,
            **options,
        )

    def get_comparison(self, comparison_id: str) -> ChallengerComparison:
        """A stored comparison by id or unique prefix."""
        from rung import automation

        return automation.get_comparison(self.workspace, comparison_id)

    def list_comparisons(
        self,
        model: str | None = None,
        *,
        version: int | None = None,
        limit: int | None = 100,
    ) -> list[ChallengerComparison]:
        """Stored comparisons, newest first."""
        from rung import automation

        return automation.list_comparisons(
            self.workspace, model, version=version, limit=limit
        )

    def find_comparison(
        self, model: str, first: int, second: int
    ) -> ChallengerComparison | None:
        """The newest stored comparison of two versions of ``model``, if any."""
        from rung import automation

        return automation.find_comparison(self.workspace, model, first, second)

    def watch_promotion(
        self, model: str, alias: str = "production", **options: Any
    ) -> WatchRecord:
        """Watch an alias after its promotion; the agent rolls it back on a breach.

        ``options`` are those of :func:`rung.automation.watch_promotion`
        (``bake_s``, ``metric``, ``metric_floor``, ``error_rate_ceiling``, ...).
        """
        from rung import automation

        return automation.watch_promotion(self.workspace, model, alias, **options)

    def list_watches(
        self, model: str | None = None, *, active: bool = True, limit: int | None = 100
    ) -> list[WatchRecord]:
        """Promotion watches (active ones by default)."""
        from rung import automation

        return automation.list_watches(
            self.workspace, model, active=active, limit=limit
        )

    def check_watches(self) -> list[WatchCheck]:
        """Check the active watches now (the agent does it every tick)."""
        from rung import automation

        return automation.check_watches(self.workspace)

    def challenger_ledger(
        self, model: str | None = None, *, limit: int | None = 100
    ) -> list[ChallengerEventRecord]:
        """Every comparison, promotion, refusal, watch and rollback, newest first."""
        from rung import automation

        return automation.challenger_ledger(self.workspace, model, limit=limit)
