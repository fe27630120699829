"""Alert sinks: where alert events go (the log, a webhook, e-mail).

A sink is anything with ``send(event)``. Monitors store their sinks as JSON
specs (``{"type": "webhook", "url": ...}``) and build them when an alert
changes; ``add_alert_sink`` adds sinks to one workspace in Python.

Specs hold no secrets: header values, SMTP passwords and URLs that are
secrets are references (``env:NAME``, ``file:/path``) read when sending
(``_secrets``). Webhooks reach only public addresses unless allow-listed
(``_targets``).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from rung.errors import AlertSinkError, MonitorDefinitionError
from rung.monitoring._secrets import (
    REDACTED,
    check_reference,
    is_reference,
    redact,
    redact_url,
    refuse_url_secrets,
    resolve_secret,
)
from rung.monitoring._targets import AllowList, find_target, post_json

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rung.monitoring.records import AlertRecord

__all__ = [
    "DELIVERY_HEADER",
    "AlertEvent",
    "AlertSink",
    "EmailAlertSink",
    "LogAlertSink",
    "WebhookAlertSink",
    "check_sink",
    "redact_sink",
    "sink_from_spec",
]

_log = logging.getLogger("rung.monitoring.alerts")
DELIVERY_HEADER = "X-Rung-Delivery"
"""The header carrying an event's delivery id (the same on every retry)."""
SINK_TYPES = ("log", "webhook", "email")
_OPTIONS: dict[str, tuple[str, ...]] = {
    "log": (),
    "webhook": ("url", "timeout", "headers"),
    "email": (
        "host",
        "port",
        "sender",
        "recipients",
        "username",
        "password",
        "starttls",
        "timeout",
    ),
}


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """An alert opened or resolved.

    Attributes:
        kind: ``opened`` or ``resolved``.
        alert: the alert as stored after the change.
        delivery_id: the outbox delivery carrying it, if any: the same on
            every retry, so a receiver can drop repeats (webhooks get it as
            the ``X-Rung-Delivery`` header, e-mails as a header too).
    """

    kind: str
    alert: AlertRecord
    delivery_id: str | None = None

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

    The URL must lead to a public address, unless ``allow_hosts`` names it;
    the request goes to the address that was checked and redirects are not
    followed. Secrets are references resolved when sending: every header
    value, and the URL itself when it is a secret (a Slack or Teams hook).

    Args:
        url: the receiver (``http://`` or ``https://``), or ``env:NAME`` /
            ``file:/path`` naming where the URL is kept.
        timeout: seconds to wait for it.
        headers: extra headers whose values are ``env:NAME`` or
            ``file:/path`` (e.g. ``{"Authorization": "env:HOOK_AUTH"}``).
        allow_hosts: internal receivers allowed anyway: ``host:port``,
            ``IP``, ``[IPv6]:port`` or a CIDR (``["127.0.0.1:8123"]``).

    Example:
        >>> sink = WebhookAlertSink(
        ...     "https://hooks.example.com/rung",
        ...     headers={"Authorization": "env:HOOK_AUTH"},
        ... )
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 5.0,
        headers: Mapping[str, str] | None = None,
        allow_hosts: Sequence[str] = (),
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.headers = dict(headers or {})
        self.allow_hosts = tuple(allow_hosts)

    @property
    def shown(self) -> str:
        """The URL as configured, without credentials (for messages)."""
        return str(redact_url(self.url))

    def check(self) -> None:
        """Refuse literal secrets and internal receivers before storing the sink.

        A URL given as a reference is checked when sending.

        Raises:
            MonitorDefinitionError: a literal secret, a malformed reference, a
                URL that is not http(s), or an address that is not public and
                not allow-listed.
        """
        allow = AllowList(self.allow_hosts)
        for name, value in self.headers.items():
            what = f"value of the webhook header {name!r}"
            check_reference(value, what, _env_example("ALERT_WEBHOOK", name))
        if is_reference(self.url):
            check_reference(self.url, "webhook URL", "ALERT_WEBHOOK_URL")
            return
        refuse_url_secrets(str(self.url), self.shown, MonitorDefinitionError)
        find_target(str(self.url), allow, shown=self.shown, strict=False)

    def send(self, event: AlertEvent) -> None:
        """POST the event; raise AlertSinkError unless the answer is 2xx."""
        import httpx

        allow = AllowList(self.allow_hosts)
        text = self.url
        if is_reference(text):
            text = resolve_secret(text, f"webhook URL {self.shown}")
        else:
            refuse_url_secrets(text, self.shown, AlertSinkError)
        headers = {
            name: resolve_secret(value, f"header {name!r} of the webhook {self.shown}")
            for name, value in self.headers.items()
        }
        if event.delivery_id is not None:
            headers[DELIVERY_HEADER] = event.delivery_id
        target = find_target(text, allow, shown=self.shown, error=AlertSinkError)
        try:
            status, body = post_json(
                target, event.to_dict(), headers, timeout=self.timeout
            )
        except httpx.HTTPError as exc:
            raise AlertSinkError(f"Webhook {self.shown} unreachable: {exc}") from exc
        if 300 <= status < 400:
            raise AlertSinkError(
                f"Webhook {self.shown} answered {status}, a redirect, which is not "
                "followed. Point the webhook at the final URL."
            )
        if not 200 <= status < 300:
            raise AlertSinkError(
                f"Webhook {self.shown} answered {status}: {body[:200]}"
            )


class EmailAlertSink:
    """Sends each event as a plain-text e-mail over SMTP.

    Args:
        host / port: the SMTP server.
        sender: the From address.
        recipients: the To addresses.
        username: login, if the server needs one (or ``env:NAME``).
        password: ``env:NAME`` or ``file:/path`` where the password is kept;
            it is read when sending, never stored.
        starttls: upgrade the connection with STARTTLS first.
        timeout: seconds to wait for the server.

    Example:
        >>> sink = EmailAlertSink("smtp.example.com", 587, recipients=["ops@x.org"],
        ...                       username="rung", password="env:SMTP_PASSWORD",
        ...                       starttls=True)
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

    def check(self) -> None:
        """Refuse a literal password before storing the sink.

        Raises:
            MonitorDefinitionError: a literal or malformed password reference.
        """
        if self.password is not None:
            check_reference(self.password, "SMTP password", "ALERT_SMTP_PASSWORD")
        if is_reference(self.username):
            check_reference(self.username, "SMTP user name", "ALERT_SMTP_USER")

    def send(self, event: AlertEvent) -> None:
        """Send the e-mail; raise AlertSinkError if the server refuses it."""
        import smtplib
        from email.message import EmailMessage

        username = self.username
        if username is not None and is_reference(username):
            username = resolve_secret(username, "SMTP user name")
        password = ""
        if self.password is not None:
            password = resolve_secret(self.password, "SMTP password")
        message = EmailMessage()
        message["Subject"] = event.summary()
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        if event.delivery_id is not None:
            message[DELIVERY_HEADER] = event.delivery_id
        message.set_content(json.dumps(event.to_dict(), indent=2, default=str))
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if username:
                    smtp.login(username, password)
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise AlertSinkError(
                f"E-mail to {', '.join(self.recipients)} via {self.host}:{self.port} "
                f"failed: {exc}"
            ) from exc


def check_sink(
    spec: Mapping[str, Any], *, allow_hosts: Sequence[str] = ()
) -> dict[str, Any]:
    """Validate a sink spec before it is stored; return it as a dict.

    Args:
        spec: ``{"type": "webhook", "url": ..., "headers": {...}}``...
        allow_hosts: internal webhook receivers allowed anyway.

    Raises:
        MonitorDefinitionError: unknown type or settings, a literal secret,
            or a webhook to an address that is not public and not allowed.
    """
    sink = sink_from_spec(spec, allow_hosts=allow_hosts)
    if isinstance(sink, WebhookAlertSink | EmailAlertSink):
        sink.check()
    return dict(spec)


def sink_from_spec(
    spec: Mapping[str, Any], *, allow_hosts: Sequence[str] = ()
) -> AlertSink:
    """Build the sink a stored spec describes.

    Args:
        spec: the stored spec.
        allow_hosts: internal webhook receivers allowed anyway (the
            ``alert_allow_hosts`` setting); never part of the spec.

    Example:
        >>> sink_from_spec({"type": "webhook", "url": "https://hooks.example.com/x"}).url
        'https://hooks.example.com/x'
    """
    kind = spec.get("type")
    options = {k: v for k, v in spec.items() if k != "type"}
    unknown = sorted(set(options) - set(_OPTIONS.get(str(kind), ())))
    if kind == "log" and not options:
        return LogAlertSink()
    if kind == "webhook" and not unknown and _is_webhook(options):
        return WebhookAlertSink(**options, allow_hosts=allow_hosts)
    if (
        kind == "email"
        and not unknown
        and options.get("host")
        and options.get("recipients")
    ):
        return EmailAlertSink(**options)
    hint = ""
    if "allow_hosts" in unknown:
        hint = (
            " The allow list is not stored with a monitor: set alert_allow_hosts "
            "in rung.toml or RUNG_ALERT_ALLOW_HOSTS, or pass alert_allow_hosts=[...] "
            "to create_monitor and run_monitor."
        )
    elif unknown and kind in _OPTIONS:
        hint = f" Unknown settings {unknown}; known: {list(_OPTIONS[str(kind)])}."
    raise MonitorDefinitionError(
        f"Invalid alert sink {redact_sink(spec)!r}.{hint} Use {{'type': 'log'}}, "
        "{'type': 'webhook', 'url': 'https://...', 'headers': {'Authorization': "
        "'env:NAME'}} or {'type': 'email', 'host': ..., 'port': 25, 'sender': ..., "
        "'recipients': [...], 'password': 'env:NAME'}."
    )


def redact_sink(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A sink spec safe to print: references shown, literal secrets as ``***``.

    Example:
        >>> redact_sink({"type": "email", "host": "mx", "password": "hunter2"})
        {'type': 'email', 'host': 'mx', 'password': '***'}
    """
    shown = dict(spec)
    headers = shown.get("headers")
    if isinstance(headers, Mapping):
        shown["headers"] = {str(k): redact(v) for k, v in headers.items()}
    elif headers is not None:
        shown["headers"] = REDACTED
    if "password" in shown:
        shown["password"] = redact(shown["password"])
    if "url" in shown:
        shown["url"] = redact_url(shown["url"])
    return shown


def _is_webhook(options: Mapping[str, Any]) -> bool:
    url, headers = options.get("url"), options.get("headers", {})
    if not isinstance(url, str) or not isinstance(headers, Mapping):
        return False
    return is_reference(url) or url.strip().lower().startswith(("http://", "https://"))


def _env_example(prefix: str, name: str) -> str:
    return f"{prefix}_{re.sub(r'[^A-Za-z0-9]+', '_', name).strip('_').upper()}"
