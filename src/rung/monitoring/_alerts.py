"""Alerts: querying them, subscribing to them, delivering them.

Alerts are stored by the metadata store as evaluations record breaches (one
open alert per monitor and check). Each alert that opens or resolves becomes
an :class:`AlertEvent` delivered to the monitor's sinks, the process-wide
sinks (``add_alert_sink``) and the subscribers (``subscribe``) — the hook for
automated retraining. A failing sink is logged; it never fails the
evaluation.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from rung.monitoring._sinks import AlertEvent, AlertSink, redact_sink, sink_from_spec

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rung.monitoring.records import AlertChanges, AlertRecord, MonitorRecord
    from rung.workspace import Workspace

__all__ = [
    "add_alert_sink",
    "deliver",
    "list_alerts",
    "remove_alert_sink",
    "subscribe",
]

_log = logging.getLogger("rung.monitoring.alerts")
_lock = threading.Lock()
_sinks: list[AlertSink] = []
_subscribers: list[Callable[[AlertEvent], None]] = []


def list_alerts(
    workspace: Workspace,
    monitor: str | None = None,
    *,
    status: str | None = None,
    since: float | None = None,
    limit: int | None = 100,
) -> list[AlertRecord]:
    """Alerts of the project, most recently changed first.

    Args:
        workspace: the workspace.
        monitor: one monitor's alerts only.
        status: ``open`` or ``resolved``.
        since: alerts opened, updated or resolved at or after this time.
        limit: at most this many.

    Example:
        >>> [a.check for a in list_alerts(ws, status="open")]  # doctest: +SKIP
        ['drift']
    """
    return workspace.monitors.list_alerts(
        workspace.project, monitor=monitor, status=status, since=since, limit=limit
    )


def subscribe(callback: Callable[[AlertEvent], None]) -> Callable[[], None]:
    """Call ``callback(event)`` for every alert opened or resolved in this process.

    Returns:
        A function that unsubscribes.

    Example:
        >>> stop = subscribe(lambda event: print(event.kind, event.alert.check))
        >>> stop()
    """
    with _lock:
        _subscribers.append(callback)

    def unsubscribe() -> None:
        with _lock:
            if callback in _subscribers:
                _subscribers.remove(callback)

    return unsubscribe


def add_alert_sink(sink: AlertSink) -> None:
    """Deliver every alert event of this process to ``sink`` as well."""
    with _lock:
        if sink not in _sinks:
            _sinks.append(sink)


def remove_alert_sink(sink: AlertSink) -> None:
    """Stop delivering to ``sink`` (unknown sinks are ignored)."""
    with _lock:
        if sink in _sinks:
            _sinks.remove(sink)


def deliver(
    monitor: MonitorRecord, changes: AlertChanges, *, allow_hosts: Sequence[str] = ()
) -> list[str]:
    """Send the events of ``changes`` everywhere; return delivery failures.

    ``allow_hosts`` lists internal webhook receivers the monitor's sinks may
    reach (the ``alert_allow_hosts`` setting).
    """
    events = [AlertEvent("opened", a) for a in changes.opened]
    events += [AlertEvent("resolved", a) for a in changes.resolved]
    if not events:
        return []
    with _lock:
        sinks, subscribers = list(_sinks), list(_subscribers)
    failures: list[str] = []
    for spec in monitor.sinks:
        try:
            sinks.append(sink_from_spec(spec, allow_hosts=allow_hosts))
        except Exception as exc:  # a stored spec gone bad: report it, go on
            failures.append(f"sink {redact_sink(spec)!r}: {exc}")
    targets: list[Callable[[AlertEvent], None]] = [s.send for s in sinks]
    for event in events:
        for target in (*targets, *subscribers):
            try:
                target(event)
            except Exception as exc:  # user code and the network raise anything
                failures.append(f"{getattr(target, '__qualname__', target)}: {exc}")
                _log.warning("Alert %s not delivered: %s", event.alert.id[:12], exc)
    return failures
