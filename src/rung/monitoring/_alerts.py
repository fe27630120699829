"""Alerts: querying them, and the sinks and subscribers of a workspace.

Alerts are stored by the monitor store as evaluations record breaches (one
open alert per monitor and check). Each alert that opens or resolves is
delivered through the outbox (``_outbox``: retried until delivered) to the
monitor's stored sinks and to the sinks plugins install for every workspace
(the ``rung.alert_sinks`` entry-point group). Sinks added in Python
(``add_alert_sink``) and subscribers (``subscribe``, the hook for automated
retraining) belong to one workspace and are called in its process, once,
right after the change. A failing sink is logged; it never fails the
evaluation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from rung._internal.hooks import HookList
from rung.monitoring._sinks import AlertEvent, AlertSink

if TYPE_CHECKING:
    from rung.monitoring.records import AlertChanges, AlertRecord
    from rung.workspace import Workspace

__all__ = [
    "SINK_GROUP",
    "add_alert_sink",
    "list_alerts",
    "notify",
    "plugin_sinks",
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
    never sees them. The sink is called in this process, once per event,
    right after the evaluation (it is not retried). For delivery with
    retries, give the monitor a stored sink (``sinks=[{"type": "webhook",
    ...}]``), or install the sink for every workspace through the
    ``rung.alert_sinks`` entry-point group (a plugin).

    Example:
        >>> add_alert_sink(ws, LogAlertSink())  # doctest: +SKIP
    """
    _sinks(workspace).add(sink)


def remove_alert_sink(workspace: Workspace, sink: AlertSink | str) -> None:
    """Stop delivering the events of ``workspace`` to ``sink``.

    Unknown sinks are ignored. ``sink`` may also be the ``"module:attr"`` of a
    plugin's sink: it is then disabled for this workspace.
    """
    _sinks(workspace).remove(sink)


def plugin_sinks(workspace: Workspace) -> list[str]:
    """The ``"module:attr"`` of the plugin sinks enabled for ``workspace``.

    They are delivered through the outbox, like the monitor's stored sinks:
    any process of the workspace can load them again to retry.
    """
    return [e for e in _sinks(workspace).entries() if isinstance(e, str)]


def notify(workspace: Workspace, changes: AlertChanges) -> list[str]:
    """Call the workspace's Python sinks and subscribers; return their failures.

    Plugin sinks and the monitor's stored sinks are not called here: the
    store put their deliveries in the outbox.
    """
    events = [AlertEvent("opened", a) for a in changes.opened]
    events += [AlertEvent("resolved", a) for a in changes.resolved]
    if not events:
        return []
    sinks = [s for s in _sinks(workspace).entries() if not isinstance(s, str)]
    targets: list[_Subscriber] = [s.send for s in sinks]
    targets += _subscribers(workspace).resolved()
    failures: list[str] = []
    for event in events:
        for target in targets:
            try:
                target(event)
            except Exception as exc:  # user code and the network raise anything
                failures.append(f"{getattr(target, '__qualname__', target)}: {exc}")
                _log.warning("Alert %s not delivered: %s", event.alert.id[:12], exc)
    return failures
