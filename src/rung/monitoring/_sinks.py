"""Alert sinks: where alert events go (the log, a webhook, e-mail).

A sink is anything with ``send(event)``. Monitors store their sinks as JSON
specs (``{"type": "webhook", "url": ...}``) and build them when an alert
changes; ``add_alert_sink`` adds process-wide sinks in Python.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from rung.errors import AlertSinkError, MonitorDefinitionError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from rung.monitoring.records import AlertRecord

__all__ = [
    "AlertEvent",
    "AlertSink",
    "EmailAlertSink",
    "LogAlertSink",
    "WebhookAlertSink",
    "check_sink",
    "sink_from_spec",
]

_log = logging.getLogger("rung.monitoring.alerts")
SINK_TYPES = ("log", "webhook", "email")


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """An alert opened or resolved.

    Attributes:
        kind: ``opened`` or ``resolved``.
        alert: the alert as stored after the change.
    """

    kind: str
    alert: AlertRecord

    def to_dict(self) -> dict[str, Any]:
        """The JSON a webhook receives."""
        return {"event": f"alert.{self.kind}", "alert": asdict(self.alert)}

    def summary(self) -> str:
        """One line for logs and e-mail subjects."""
        a = self.alert
        return (
            f"[rung] {a.severity} alert {self.kind}: monitor {a.monitor!r}, "
            f"check {a.check!r}: {a.message}"
        )


@runtime_checkable
class AlertSink(Protocol):
    """Receives alert events; raise AlertSinkError when delivery fails."""

    def send(self, event: AlertEvent) -> None:
        """Deliver one event."""
        ...


class LogAlertSink:
    """Writes events to the ``rung.monitoring.alerts`` logger (WARNING)."""

    def send(self, event: AlertEvent) -> None:
        """Log the event's summary."""
        _log.warning("%s", event.summary())


class WebhookAlertSink:
    """POSTs each event as JSON to a URL.

    Args:
        url: the receiver (``http://`` or ``https://``).
        timeout: seconds to wait for it.
        headers: extra headers (e.g. an authorization token).
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 5.0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.headers = dict(headers or {})

    def send(self, event: AlertEvent) -> None:
        """POST the event; raise AlertSinkError unless the answer is 2xx."""
        import httpx

        try:
            answer = httpx.post(
                self.url,
                json=event.to_dict(),
                headers=self.headers,
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            raise AlertSinkError(f"Webhook {self.url} unreachable: {exc}") from exc
        if not answer.is_success:
            raise AlertSinkError(
                f"Webhook {self.url} answered {answer.status_code}: {answer.text[:200]}"
            )


class EmailAlertSink:
    """Sends each event as a plain-text e-mail over SMTP.

    Args:
        host / port: the SMTP server.
        sender: the From address.
        recipients: the To addresses.
        username / password: login, if the server needs one.
        starttls: upgrade the connection with STARTTLS first.
        timeout: seconds to wait for the server.
    """

    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        sender: str = "rung@localhost",
        recipients: Sequence[str] = (),
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.host, self.port = host, port
        self.sender, self.recipients = sender, list(recipients)
        self.username, self.password = username, password
        self.starttls, self.timeout = starttls, timeout

    def send(self, event: AlertEvent) -> None:
        """Send the e-mail; raise AlertSinkError if the server refuses it."""
        import smtplib
        from email.message import EmailMessage

        message = EmailMessage()
        message["Subject"] = event.summary()
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message.set_content(json.dumps(event.to_dict(), indent=2, default=str))
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise AlertSinkError(
                f"E-mail to {', '.join(self.recipients)} via {self.host}:{self.port} "
                f"failed: {exc}"
            ) from exc


def check_sink(spec: dict[str, Any]) -> dict[str, Any]:
    """Validate a sink spec; return it (building it is the test).

    Raises:
        MonitorDefinitionError: unknown type or missing settings.
    """
    sink_from_spec(spec)
    return spec


def sink_from_spec(spec: Mapping[str, Any]) -> AlertSink:
    """Build the sink a stored spec describes.

    Example:
        >>> sink_from_spec({"type": "webhook", "url": "http://127.0.0.1:9/x"}).url
        'http://127.0.0.1:9/x'
    """
    kind = spec.get("type")
    options = {k: v for k, v in spec.items() if k != "type"}
    if kind == "log" and not options:
        return LogAlertSink()
    if kind == "webhook" and str(options.get("url", "")).startswith(
        ("http://", "https://")
    ):
        return WebhookAlertSink(**options)
    if kind == "email" and options.get("host") and options.get("recipients"):
        return EmailAlertSink(**options)
    raise MonitorDefinitionError(
        f"Invalid alert sink {dict(spec)!r}. Use {{'type': 'log'}}, {{'type': "
        "'webhook', 'url': 'https://...'}} or {'type': 'email', 'host': ..., "
        "'port': 25, 'sender': ..., 'recipients': [...]}."
    )
