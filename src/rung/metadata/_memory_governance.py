"""Policy sets and the decision audit of ``InMemoryMetadataStore``.

A mixin, so the in-memory store keeps one class while each domain's records
live in their own module. It shares the store's lock and copies what it
returns, like the rest of the store.
"""

from __future__ import annotations

import copy
import threading
from typing import TYPE_CHECKING, Any

from rung.metadata._common import already_exists
from rung.metadata.governance import (
    PolicyDecisionRecord,
    PolicySetRecord,
    clean_decision,
    new_policy_set,
    policy_set_not_found,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["InMemoryGovernanceMixin"]


class _GovernanceState:
    def __init__(self) -> None:
        self.policy_sets: dict[str, list[PolicySetRecord]] = {}
        self.decisions: list[PolicyDecisionRecord] = []
        self.decision_ids: set[str] = set()


class InMemoryGovernanceMixin:
    """The ``GovernanceRecords`` methods, over a few in-memory lists."""

    _lock: threading.RLock

    def _governance(self) -> _GovernanceState:
        # Created on first use: the store's __init__ stays the core's.
        state: _GovernanceState | None = self.__dict__.get("_governance_state")
        if state is None:
            state = self.__dict__.setdefault("_governance_state", _GovernanceState())
        return state

    def add_policy_set(
        self,
        project: str,
        document: Mapping[str, Any],
        *,
        user: str,
        created_at: float,
        source: str = "",
    ) -> PolicySetRecord:
        """Store ``document`` as the project's next policy set version."""
        with self._lock:
            versions = self._governance().policy_sets.setdefault(project, [])
            record = new_policy_set(
                project,
                len(versions) + 1,
                document,
                user=user,
                created_at=created_at,
                source=source,
            )
            versions.append(record)
            return copy.deepcopy(record)

    def get_policy_set(
        self, project: str, version: int | None = None
    ) -> PolicySetRecord:
        """Return one version (default: the newest)."""
        with self._lock:
            versions = self._governance().policy_sets.get(project, [])
            if version is None and versions:
                return copy.deepcopy(versions[-1])
            for record in versions:
                if record.version == version:
                    return copy.deepcopy(record)
        raise policy_set_not_found(project, version)

    def list_policy_sets(
        self, project: str, *, limit: int | None = 100
    ) -> list[PolicySetRecord]:
        """Return the project's policy sets, newest first."""
        with self._lock:
            versions = self._governance().policy_sets.get(project, [])
            return copy.deepcopy(list(reversed(versions))[:limit])

    def add_policy_decisions(self, decisions: Sequence[PolicyDecisionRecord]) -> None:
        """Append decisions to the audit log in one transaction."""
        clean = [clean_decision(d) for d in decisions]
        ids = [d.id for d in clean]
        with self._lock:
            state = self._governance()
            batch: set[str] = set()
            for decision_id in ids:
                if decision_id in batch or decision_id in state.decision_ids:
                    raise already_exists("Decision", decision_id)
                batch.add(decision_id)
            state.decisions.extend(clean)
            state.decision_ids.update(ids)

    def list_policy_decisions(
        self,
        *,
        project: str | None = None,
        run_id: str | None = None,
        verdict: str | None = None,
        limit: int | None = 100,
    ) -> list[PolicyDecisionRecord]:
        """Return audited decisions, newest first, filtered by the given fields."""
        with self._lock:
            found = [
                d
                for d in reversed(self._governance().decisions)
                if project in (None, d.project)
                and run_id in (None, d.run_id)
                and verdict in (None, d.verdict)
            ]
            return copy.deepcopy(found[:limit])
