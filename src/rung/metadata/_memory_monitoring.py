"""Monitors, evaluations and alerts of ``InMemoryMetadataStore`` (a mixin).

It shares the store's lock and copies what it returns, and applies the same
checks and alert rules as the SQL backend (``rung.metadata.monitoring``).
"""

from __future__ import annotations

import copy
import threading
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from rung.metadata._common import already_exists
from rung.metadata.monitoring import (
    AlertChanges,
    AlertRecord,
    CheckValueRecord,
    EvaluationRecord,
    MonitorRecord,
    check_monitor_changes,
    clean_evaluation,
    clean_monitor,
    clean_value,
    monitor_not_found,
    plan_alerts,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["InMemoryMonitoringMixin"]


class _MonitoringState:
    def __init__(self) -> None:
        self.monitors: dict[tuple[str, str], MonitorRecord] = {}
        self.evaluations: list[EvaluationRecord] = []
        self.evaluation_ids: set[str] = set()
        self.values: list[CheckValueRecord] = []
        self.alerts: dict[str, AlertRecord] = {}


class InMemoryMonitoringMixin:
    """The ``MonitoringRecords`` methods, over a few in-memory collections."""

    _lock: threading.RLock

    def _monitoring(self) -> _MonitoringState:
        state: _MonitoringState | None = self.__dict__.get("_monitoring_state")
        if state is None:
            state = self.__dict__.setdefault("_monitoring_state", _MonitoringState())
        return state

    def add_monitor(self, monitor: MonitorRecord) -> None:
        """Insert a monitor; raises InvalidRecordError if the name is taken."""
        clean = clean_monitor(monitor)
        with self._lock:
            key = (clean.project, clean.name)
            if key in self._monitoring().monitors:
                raise already_exists("Monitor", clean.name)
            self._monitoring().monitors[key] = clean

    def update_monitor(
        self, project: str, name: str, changes: Mapping[str, Any]
    ) -> MonitorRecord:
        """Change fields (not name or project); raises MonitorNotFoundError."""
        check_monitor_changes(changes)
        with self._lock:
            new = clean_monitor(replace(self._monitor(project, name), **changes))
            self._monitoring().monitors[(project, name)] = new
            return copy.deepcopy(new)

    def get_monitor(self, project: str, name: str) -> MonitorRecord:
        """Return one monitor; raises MonitorNotFoundError."""
        with self._lock:
            return copy.deepcopy(self._monitor(project, name))

    def list_monitors(self, project: str) -> list[MonitorRecord]:
        """Return the project's monitors by name."""
        with self._lock:
            found = [
                m for (p, _), m in self._monitoring().monitors.items() if p == project
            ]
            return copy.deepcopy(sorted(found, key=lambda m: m.name))

    def delete_monitor(self, project: str, name: str) -> None:
        """Delete a monitor with its evaluations, values and alerts."""
        with self._lock:
            self._monitor(project, name)
            state = self._monitoring()
            del state.monitors[(project, name)]

            def mine(record: Any) -> bool:
                return bool(record.project == project and record.monitor == name)

            state.evaluations = [e for e in state.evaluations if not mine(e)]
            state.evaluation_ids = {e.id for e in state.evaluations}
            state.values = [v for v in state.values if not mine(v)]
            state.alerts = {k: a for k, a in state.alerts.items() if not mine(a)}

    def record_evaluation(
        self,
        evaluation: EvaluationRecord,
        values: Sequence[CheckValueRecord],
        breaches: Sequence[AlertRecord],
        passed: Sequence[str],
    ) -> AlertChanges:
        """Store an evaluation, its values and alert changes atomically."""
        clean, drafts = clean_evaluation(evaluation, breaches)
        rows = [clean_value(v, clean) for v in values]
        with self._lock:
            state = self._monitoring()
            self._monitor(clean.project, clean.monitor)
            if clean.id in state.evaluation_ids:
                raise already_exists("Evaluation", clean.id)
            open_alerts = {
                a.check: a
                for a in state.alerts.values()
                if a.project == clean.project
                and a.monitor == clean.monitor
                and a.status == "open"
            }
            changes = plan_alerts(open_alerts, clean, drafts, passed)
            if any(a.id in state.alerts for a in changes.opened):
                raise already_exists("Alert", changes.opened[0].id)
            state.evaluations.append(clean)
            state.evaluation_ids.add(clean.id)
            state.values.extend(rows)
            for alert in (*changes.opened, *changes.continued, *changes.resolved):
                state.alerts[alert.id] = alert
            key = (clean.project, clean.monitor)
            state.monitors[key] = replace(
                state.monitors[key], last_evaluated_at=clean.evaluated_at
            )
            return copy.deepcopy(changes)

    def list_evaluations(
        self,
        project: str,
        monitor: str,
        *,
        since: float | None = None,
        limit: int | None = 100,
    ) -> list[EvaluationRecord]:
        """Return a monitor's evaluations, newest first."""
        with self._lock:
            found = [
                e
                for e in reversed(self._monitoring().evaluations)
                if e.project == project
                and e.monitor == monitor
                and (since is None or e.evaluated_at >= since)
            ]
            found.sort(key=lambda e: e.evaluated_at, reverse=True)
            return copy.deepcopy(found[:limit])

    def list_check_values(
        self,
        project: str,
        monitor: str,
        *,
        check: str | None = None,
        feature: str | None = None,
        metric: str | None = None,
        since: float | None = None,
    ) -> list[CheckValueRecord]:
        """Return values in time order (then insertion order), filtered."""
        with self._lock:
            found = [
                v
                for v in self._monitoring().values
                if v.project == project
                and v.monitor == monitor
                and check in (None, v.check)
                and feature in (None, v.feature)
                and metric in (None, v.metric)
                and (since is None or v.evaluated_at >= since)
            ]
            return copy.deepcopy(sorted(found, key=lambda v: v.evaluated_at))

    def list_alerts(
        self,
        project: str,
        *,
        monitor: str | None = None,
        status: str | None = None,
        since: float | None = None,
        limit: int | None = 100,
    ) -> list[AlertRecord]:
        """Return alerts updated at or after ``since``, newest first."""
        with self._lock:
            found = [
                a
                for a in self._monitoring().alerts.values()
                if a.project == project
                and monitor in (None, a.monitor)
                and status in (None, a.status)
                and (since is None or a.updated_at >= since)
            ]
            found.sort(key=lambda a: (a.updated_at, a.opened_at, a.id), reverse=True)
            return copy.deepcopy(found[:limit])

    def _monitor(self, project: str, name: str) -> MonitorRecord:
        try:
            return self._monitoring().monitors[(project, name)]
        except KeyError:
            raise monitor_not_found(project, name) from None
