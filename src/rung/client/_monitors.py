"""``Client`` methods for monitoring (``rung.monitoring``).

``rung.monitoring`` loads NumPy, so each method imports it when called: a
client that only lists runs never pays for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rung.monitoring import DeliveryReport, MonitorEvaluation
    from rung.monitoring.records import (
        AlertRecord,
        DeliveryRecord,
        EvaluationRecord,
        MonitorRecord,
    )
    from rung.workspace import Workspace

__all__ = ["_Monitors"]


class _Monitors:
    """Monitors, their evaluations, alerts and reports."""

    workspace: Workspace

    def create_monitor(self, name: str, **options: Any) -> MonitorRecord:
        """Define a monitor.

        ``options`` are those of :func:`rung.monitoring.create_monitor`
        (``model``, ``reference``, ``checks``, ``thresholds``, ``window``,
        ``schedule``, ``sinks``, ...).
        """
        from rung import monitoring

        return monitoring.create_monitor(self.workspace, name, **options)

    def run_monitor(
        self, name: str, *, alert_allow_hosts: Sequence[str] = ()
    ) -> MonitorEvaluation:
        """Evaluate a monitor now and record the results."""
        from rung import monitoring

        return monitoring.run_monitor(
            self.workspace, name, alert_allow_hosts=alert_allow_hosts
        )

    def run_due_monitors(
        self, *, alert_allow_hosts: Sequence[str] = ()
    ) -> list[MonitorEvaluation]:
        """Evaluate every monitor whose schedule is due (one failing stops none)."""
        from rung import monitoring

        return monitoring.run_due(self.workspace, alert_allow_hosts=alert_allow_hosts)

    def get_monitor(self, name: str) -> MonitorRecord:
        """One monitor's definition."""
        from rung import monitoring

        return monitoring.get_monitor(self.workspace, name)

    def latest_evaluation(self, name: str) -> EvaluationRecord | None:
        """A monitor's newest evaluation, or None if it never ran."""
        found = self.workspace.monitors.list_evaluations(
            self.workspace.project, name, limit=1
        )
        return found[0] if found else None

    def list_monitors(self) -> list[MonitorRecord]:
        """The project's monitors."""
        from rung import monitoring

        return monitoring.list_monitors(self.workspace)

    def list_alerts(
        self,
        monitor: str | None = None,
        *,
        status: str | None = None,
        since: float | None = None,
    ) -> list[AlertRecord]:
        """Alerts, most recently changed first."""
        from rung import monitoring

        return monitoring.list_alerts(
            self.workspace, monitor, status=status, since=since
        )

    def list_deliveries(
        self,
        monitor: str | None = None,
        *,
        alerts: Sequence[AlertRecord] | None = None,
        status: str | None = None,
    ) -> list[DeliveryRecord]:
        """The alert outbox, in the order deliveries were enqueued.

        ``alerts``: only these alerts' deliveries; ``status``: ``pending``,
        ``delivered`` or ``failed``.
        """
        from rung import monitoring

        return monitoring.list_deliveries(
            self.workspace, monitor, alerts=alerts, status=status
        )

    def deliver_alerts(
        self,
        *,
        monitor: str | None = None,
        alert_allow_hosts: Sequence[str] = (),
        include_waiting: bool = False,
    ) -> DeliveryReport:
        """Send the due alert deliveries; retry or give up on failures.

        ``include_waiting`` also tries deliveries whose next attempt is later.
        """
        from rung import monitoring

        return monitoring.deliver_alerts(
            self.workspace,
            monitor=monitor,
            alert_allow_hosts=alert_allow_hosts,
            include_waiting=include_waiting,
        )

    def monitor_report(self, name: str) -> dict[str, Any]:
        """A monitor's report data (``rung.monitoring.render_html`` draws it)."""
        from rung import monitoring

        return monitoring.build_report(self.workspace, name)

    def delete_monitor(self, name: str) -> None:
        """Delete a monitor with its evaluations and alerts."""
        from rung import monitoring

        monitoring.delete_monitor(self.workspace, name)
