"""The champion/challenger ledger: every comparison, promotion and rollback.

Each action of :func:`compare_challenger`, :func:`promote_if_better` and the
post-promotion watches is appended here with its reason and evidence (the
registry keeps its own audit event of every alias move, with the
comparison or watch id in its details).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rung._internal.timeutil import now
from rung.automation.records import ChallengerEventRecord

if TYPE_CHECKING:
    from rung.automation.records import ChallengerComparison, WatchRecord
    from rung.workspace import Workspace

__all__ = [
    "challenger_ledger",
    "find_comparison",
    "get_comparison",
    "list_comparisons",
    "list_watches",
    "record_event",
]


def record_event(
    workspace: Workspace,
    model: str,
    alias: str,
    action: str,
    *,
    version: int | None = None,
    comparison_id: str | None = None,
    watch_id: str | None = None,
    reason: str = "",
    evidence: Mapping[str, Any] | None = None,
    at: float | None = None,
) -> ChallengerEventRecord:
    """Append one entry to the ledger, by the workspace's user."""
    return workspace.triggers.add_challenger_event(
        ChallengerEventRecord(
            0,
            workspace.project,
            model,
            alias,
            action,
            now() if at is None else at,
            workspace.user,
            version=version,
            comparison_id=comparison_id,
            watch_id=watch_id,
            reason=reason,
            evidence=dict(evidence or {}),
        )
    )


def challenger_ledger(
    workspace: Workspace,
    model: str | None = None,
    *,
    actions: Sequence[str] | None = None,
    limit: int | None = 100,
) -> list[ChallengerEventRecord]:
    """The champion/challenger ledger, newest first.

    Example:
        >>> [e.action for e in challenger_ledger(ws, "churn")]  # doctest: +SKIP
        ['rolled_back', 'watch_started', 'promoted', 'compared']
    """
    return workspace.triggers.list_challenger_events(
        workspace.project, model=model, actions=actions, limit=limit
    )


def get_comparison(workspace: Workspace, comparison_id: str) -> ChallengerComparison:
    """One stored comparison, by id or unique prefix (>= 4 characters).

    Raises:
        ComparisonNotFoundError: none has this id.
    """
    return workspace.triggers.get_comparison(workspace.project, comparison_id)


def list_comparisons(
    workspace: Workspace,
    model: str | None = None,
    *,
    version: int | None = None,
    limit: int | None = 100,
) -> list[ChallengerComparison]:
    """Stored comparisons, newest first (``version`` in either role)."""
    return workspace.triggers.list_comparisons(
        workspace.project, model=model, version=version, limit=limit
    )


def find_comparison(
    workspace: Workspace, model: str, first: int, second: int
) -> ChallengerComparison | None:
    """The newest stored comparison of two versions (either way round), or None."""
    pair = {first, second}
    for found in list_comparisons(workspace, model, version=first, limit=None):
        if {found.champion_version, found.challenger_version} == pair:
            return found
    return None


def list_watches(
    workspace: Workspace,
    model: str | None = None,
    *,
    active: bool = True,
    limit: int | None = 100,
) -> list[WatchRecord]:
    """Promotion watches, newest first (only the active ones by default)."""
    return workspace.triggers.list_watches(
        workspace.project,
        model=model,
        states=["watching"] if active else None,
        limit=limit,
    )
