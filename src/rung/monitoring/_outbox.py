"""Sending the alert outbox: claim due deliveries, send, retry with backoff.

The store enqueues one delivery per sink in the transaction that opens or
resolves an alert. :func:`deliver_alerts` sends what is due: after each
evaluation (that monitor's), at the end of ``rung monitor run``, and from
``rung monitor deliver``. A failed attempt is retried after 30 s, 60 s,
120 s... up to an hour between tries; after ``max_attempts`` tries, or once
the alert change is older than ``max_age_s``, the delivery is ``failed``
(kept, with the reason, for ``rung monitor alerts``).

Senders claim deliveries with a lease before sending, so two senders (two
cron ticks, ``run --due`` beside ``deliver``) never send one twice at once. A
sender that dies while sending leaves its claim to expire; the delivery is
then sent again, with the same ``X-Rung-Delivery`` id for the receiver to
drop the repeat.
"""

from __future__ import annotations

import logging
import math
import uuid
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from rung._internal.hooks import group_entries, resolve
from rung._internal.timeutil import now as _now
from rung.errors import AlertSinkError, MonitorDefinitionError
from rung.monitoring._alerts import SINK_GROUP
from rung.monitoring._sinks import AlertEvent, redact_sink, sink_from_spec
from rung.monitoring.records import AlertRecord

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from rung.monitoring._sinks import AlertSink
    from rung.monitoring.records import DeliveryRecord
    from rung.workspace import Workspace

__all__ = [
    "DeliveryReport",
    "RetryPolicy",
    "deliver_alerts",
    "describe_sink",
    "list_deliveries",
    "plugin_spec",
]

_log = logging.getLogger("rung.monitoring.alerts")
_BATCH = 100


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often, and for how long, a delivery is retried.

    Attributes:
        first_delay_s: wait after the first failed attempt; it doubles after
            each further failure...
        max_delay_s: ...up to this.
        max_attempts: attempts before the delivery is ``failed``.
        max_age_s: a delivery whose alert changed longer ago than this is
            ``failed`` (an alert from yesterday is news no longer).
        lease_s: how long a sender holds a claimed delivery; one that dies
            while sending frees it after this (more than any send takes).

    Example:
        >>> [RetryPolicy().delay(n) for n in (1, 2, 3, 8, 9)]
        [30.0, 60.0, 120.0, 3600.0, 3600.0]
    """

    first_delay_s: float = 30.0
    max_delay_s: float = 3_600.0
    max_attempts: int = 20
    max_age_s: float = 86_400.0
    lease_s: float = 300.0

    def __post_init__(self) -> None:
        numbers = (self.first_delay_s, self.max_delay_s, self.max_age_s, self.lease_s)
        if (
            not all(math.isfinite(n) and n > 0 for n in numbers)
            or self.max_attempts < 1
        ):
            raise MonitorDefinitionError(
                f"Invalid alert retry policy {self!r}: every delay, age and lease "
                "must be a positive number of seconds and max_attempts at least 1."
            )

    def delay(self, attempts: int) -> float:
        """Seconds to wait after ``attempts`` failed attempts."""
        exponent = min(max(attempts - 1, 0), 60)  # 2**60 s is past any cap
        return float(min(self.first_delay_s * 2**exponent, self.max_delay_s))


@dataclass(slots=True)
class DeliveryReport:
    """What one drain of the outbox did.

    Attributes:
        delivered: deliveries a sink took.
        retrying: deliveries that failed and wait for their next attempt.
        failed: deliveries given up now (too many attempts, or too old).
    """

    delivered: list[DeliveryRecord] = field(default_factory=list)
    retrying: list[DeliveryRecord] = field(default_factory=list)
    failed: list[DeliveryRecord] = field(default_factory=list)

    @property
    def failures(self) -> list[str]:
        """One line per delivery that failed now (retrying, then given up)."""
        return [failure_line(d) for d in (*self.retrying, *self.failed)]

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON data (sinks shown without secrets)."""
        return {
            state: [delivery_dict(d) for d in found]
            for state, found in (
                ("delivered", self.delivered),
                ("retrying", self.retrying),
                ("failed", self.failed),
            )
        }

    def __len__(self) -> int:
        return len(self.delivered) + len(self.retrying) + len(self.failed)


def deliver_alerts(
    workspace: Workspace,
    *,
    monitor: str | None = None,
    now: float | None = None,
    alert_allow_hosts: Sequence[str] = (),
    policy: RetryPolicy | None = None,
    include_waiting: bool = False,
) -> DeliveryReport:
    """Send the workspace's due alert deliveries; retry or give up on failures.

    Safe to run in several processes at once: each delivery is claimed
    before it is sent. Each delivery is tried at most once per call.

    Args:
        workspace: the workspace.
        monitor: only this monitor's deliveries.
        now: the current time (default: now).
        alert_allow_hosts: internal webhook receivers sinks may reach (the
            ``alert_allow_hosts`` setting).
        policy: backoff, attempts and age limits (default: 30 s doubling to
            1 h, 20 attempts, 24 h).
        include_waiting: also try deliveries whose next attempt is later
            (the receiver is known to be back).

    Returns:
        What was delivered, what waits for a retry, what was given up.

    Example:
        >>> report = deliver_alerts(ws)  # doctest: +SKIP
        >>> len(report.delivered), report.failures  # doctest: +SKIP
        (2, [])
    """
    rules = policy or RetryPolicy()
    at = _now() if now is None else now
    sender = uuid.uuid4().hex
    report = DeliveryReport()
    store = workspace.monitors
    while True:
        claimed = store.claim_deliveries(
            workspace.project,
            sender=sender,
            now=at,
            lease_s=rules.lease_s,
            monitor=monitor,
            include_waiting=include_waiting,
            limit=_BATCH,
        )
        if not claimed:
            return report
        for delivery in claimed:
            outcome = _attempt(delivery, at, rules, alert_allow_hosts)
            if store.finish_delivery(outcome, sender):
                _file(report, outcome)


def list_deliveries(
    workspace: Workspace,
    monitor: str | None = None,
    *,
    alerts: Sequence[AlertRecord] | None = None,
    status: str | None = None,
) -> list[DeliveryRecord]:
    """The outbox of the project, in the order deliveries were enqueued.

    Args:
        workspace: the workspace.
        monitor: one monitor's deliveries only.
        alerts: only these alerts' deliveries.
        status: ``pending``, ``delivered`` or ``failed``.

    Example:
        >>> found = list_deliveries(ws, "churn")  # doctest: +SKIP
        >>> [(d.event, d.status) for d in found]  # doctest: +SKIP
        [('opened', 'delivered'), ('resolved', 'pending')]
    """
    return workspace.monitors.list_deliveries(
        workspace.project,
        monitor=monitor,
        alert_ids=None if alerts is None else [a.id for a in alerts],
        status=status,
    )


def plugin_spec(entry: str) -> dict[str, Any]:
    """The outbox spec of a sink of the ``rung.alert_sinks`` group."""
    return {"type": "plugin", "entry": entry}


def describe_sink(spec: Mapping[str, Any]) -> str:
    """A sink in a few words, without secrets (``webhook https://...``).

    Example:
        >>> describe_sink({"type": "email", "host": "mx", "recipients": ["a@b.c"]})
        'email a@b.c'
    """
    shown = redact_sink(spec)
    kind = str(shown.get("type", "?"))
    if kind == "webhook":
        return f"webhook {shown.get('url')}"
    if kind == "email":
        return "email " + ", ".join(map(str, shown.get("recipients") or []))
    if kind == "plugin":
        return f"plugin {shown.get('entry')}"
    return kind


def delivery_dict(delivery: DeliveryRecord) -> dict[str, Any]:
    """A delivery as JSON data: the sink described and redacted, no payload."""
    data = asdict(delivery)
    del data["payload"]
    data["sink"] = redact_sink(delivery.sink)
    data["sink_name"] = describe_sink(delivery.sink)
    return data


def failure_line(delivery: DeliveryRecord) -> str:
    """``<sink>: <error> (attempt N; next try at ...)`` for logs and results."""
    from rung.monitoring._text import when

    if delivery.status == "failed":
        state = "given up"
    else:
        state = f"next try at {when(delivery.next_attempt_at)}"
    return (
        f"{describe_sink(delivery.sink)}: {delivery.last_error} "
        f"(attempt {delivery.attempts}; {state})"
    )


def _attempt(
    delivery: DeliveryRecord,
    at: float,
    policy: RetryPolicy,
    allow_hosts: Sequence[str],
) -> DeliveryRecord:
    """Send one claimed delivery; return it as it should be stored."""
    age = at - delivery.created_at
    if age > policy.max_age_s:
        reason = delivery.last_error or "no attempt was made in time"
        return replace(
            delivery,
            status="failed",
            next_attempt_at=None,
            updated_at=at,
            last_error=f"not delivered within {_duration(policy.max_age_s)}: {reason}",
        )
    error = _send(delivery, allow_hosts)
    attempts = delivery.attempts + 1
    if error is None:
        return replace(
            delivery,
            status="delivered",
            attempts=attempts,
            next_attempt_at=None,
            delivered_at=at,
            updated_at=at,
            last_error=None,
        )
    retry_at = at + policy.delay(attempts)
    if attempts >= policy.max_attempts or retry_at - delivery.created_at > (
        policy.max_age_s
    ):
        return replace(
            delivery,
            status="failed",
            attempts=attempts,
            next_attempt_at=None,
            updated_at=at,
            last_error=f"gave up after {attempts} attempts: {error}",
        )
    return replace(
        delivery,
        attempts=attempts,
        next_attempt_at=retry_at,
        updated_at=at,
        last_error=error,
    )


def _send(delivery: DeliveryRecord, allow_hosts: Sequence[str]) -> str | None:
    """Send through the delivery's sink; return why it failed, or None."""
    try:
        event = AlertEvent(
            delivery.event, AlertRecord(**delivery.payload), delivery_id=delivery.id
        )
        _sink(delivery.sink, allow_hosts).send(event)
    except Exception as exc:  # the network, a plugin, a bad spec: retry later
        text = str(exc) if str(exc) else type(exc).__name__
        return " ".join(text.split())
    return None


def _sink(spec: Mapping[str, Any], allow_hosts: Sequence[str]) -> AlertSink:
    if spec.get("type") != "plugin":
        return sink_from_spec(spec, allow_hosts=allow_hosts)
    entry = str(spec.get("entry"))
    # Only what the entry-point group names now: the database never chooses
    # which code runs.
    if entry not in group_entries(SINK_GROUP):
        raise AlertSinkError(
            f"The plugin alert sink {entry!r} is not installed (entry-point group "
            f"{SINK_GROUP!r}). Install the package that provides it."
        )
    found: AlertSink = resolve(entry)  # type: ignore[assignment]
    return found


def _file(report: DeliveryReport, delivery: DeliveryRecord) -> None:
    if delivery.status == "delivered":
        report.delivered.append(delivery)
        return
    line = failure_line(delivery)
    if delivery.status == "failed":
        report.failed.append(delivery)
        _log.error("Alert %s not delivered: %s", delivery.alert_id[:12], line)
    else:
        report.retrying.append(delivery)
        _log.warning("Alert %s not delivered: %s", delivery.alert_id[:12], line)


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"
