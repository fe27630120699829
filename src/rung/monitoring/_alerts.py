"""Alerts: querying them, and the sinks and subscribers of a workspace.

Alerts are stored by the monitor store as evaluations record breaches (one
open alert per monitor and check). Each alert that opens or resolves becomes
an :class:`AlertEvent` delivered to the monitor's sinks, the workspace's
sinks (``add_alert_sink``, and those plugins install for every workspace
through the ``rung.alert_sinks`` entry-point group) and the workspace's
subscribers (``subscribe``) — the hook for automated retraining. A failing
sink is logged; it never fails the evaluation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from rung._internal.hooks import HookList, resolve
from rung.monitoring._sinks import AlertEvent, AlertSink, redact_sink, sink_from_spec

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rung.monitoring.records import AlertChanges, AlertRecord, MonitorRecord
    from rung.workspace import Workspace

__all__ = [
    "SINK_GROUP",
    "add_alert_sink",
    "list_alerts",
    "notify",
    "remove_alert_sink",
    "subscribe",
]

SINK_GROUP = "rung.alert_sinks"
"""Entry-point group: alert sinks (objects with ``send(event)``) a plugin
installs for every workspace; none is wired by default."""

_log = logging.getLogger("rung.monitoring.alerts")
_Subscriber = Callable[[AlertEvent], None]


def _sinks(workspace: Workspace) -> HookList[AlertSink]:
    return workspace.attach("monitoring.alert_sinks", lambda: HookList(SINK_GROUP))


def _subscribers(workspace: Workspace) -> HookList[_Subscriber]:
    return workspace.attach("monitoring.alert_subscribers", HookList[_Subscriber])


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


def subscribe(
    workspace: Workspace, callback: Callable[[AlertEvent], None]
) -> Callable[[], None]:
    """Call ``callback(event)`` for every alert of ``workspace`` opened or resolved.

    The callback runs in this process, right after the evaluation that
    changed the alert; it is not retried.

    Returns:
        A function that unsubscribes.

    Example:
        >>> stop = subscribe(ws, lambda event: print(event.kind, event.alert.check))
        >>> stop()
    """
    subscribers = _subscribers(workspace)
    subscribers.add(callback)

    def unsubscribe() -> None:
        subscribers.remove(callback)

    return unsubscribe


def add_alert_sink(workspace: Workspace, sink: AlertSink) -> None:
    """Deliver every alert event of ``workspace`` to ``sink`` as well.

    Sinks belong to the workspace: another workspace in the same process
    never sees them. Sinks a plugin installs for every workspace come from
    the ``rung.alert_sinks`` entry-point group.

    Example:
        >>> add_alert_sink(ws, LogAlertSink())  # doctest: +SKIP
    """
    _sinks(workspace).add(sink)


def remove_alert_sink(workspace: Workspace, sink: AlertSink) -> None:
    """Stop delivering the events of ``workspace`` to ``sink``.

    Unknown sinks are ignored. ``sink`` may also be the ``"module:attr"`` of a
    plugin's sink: it is then disabled for this workspace.
    """
    _sinks(workspace).remove(sink)


def notify(
    workspace: Workspace,
    monitor: MonitorRecord,
    changes: AlertChanges,
    *,
    allow_hosts: Sequence[str] = (),
) -> list[str]:
    """Send the events of ``changes`` everywhere; return delivery failures.

    ``allow_hosts`` lists internal webhook receivers the monitor's sinks may
    reach (the ``alert_allow_hosts`` setting).
    """
    events = [AlertEvent("opened", a) for a in changes.opened]
    events += [AlertEvent("resolved", a) for a in changes.resolved]
    if not events:
        return []
    failures: list[str] = []
    sinks: list[AlertSink] = []
    for entry in _sinks(workspace).entries():
        try:
            sinks.append(resolve(entry) if isinstance(entry, str) else entry)  # type: ignore[arg-type]
        except Exception as exc:  # a plugin that cannot be imported
            failures.append(f"alert sink {entry!r} cannot be loaded: {exc}")
    for spec in monitor.sinks:
        try:
            sinks.append(sink_from_spec(spec, allow_hosts=allow_hosts))
        except Exception as exc:  # a stored spec gone bad: report it, go on
            failures.append(f"sink {redact_sink(spec)!r}: {exc}")
    targets: list[_Subscriber] = [s.send for s in sinks]
    targets += _subscribers(workspace).resolved()
    for event in events:
        for target in targets:
            try:
                target(event)
            except Exception as exc:  # user code and the network raise anything
                failures.append(f"{getattr(target, '__qualname__', target)}: {exc}")
                _log.warning("Alert %s not delivered: %s", event.alert.id[:12], exc)
    return failures
