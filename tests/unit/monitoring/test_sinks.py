"""Alert sinks: a webhook receiver and an SMTP server on 127.0.0.1, the log."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import TYPE_CHECKING, Any

import pytest

from rung.errors import AlertSinkError
from rung.monitoring import (
    AlertEvent,
    EmailAlertSink,
    WebhookAlertSink,
    add_alert_sink,
    create_monitor,
    remove_alert_sink,
    run_monitor,
)
from tests.unit.monitoring.conftest import production

if TYPE_CHECKING:
    from rung.registry.records import ModelVersionRecord
    from rung.workspace import Workspace


class Receiver(HTTPServer):
    """Collects the JSON bodies POSTed to it; answers ``status``."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.bodies: list[dict[str, Any]] = []
        self.status = 200

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/alerts"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        size = int(self.headers["Content-Length"])
        self.server.bodies.append(json.loads(self.rfile.read(size)))
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class Inbox:
    """An aiosmtpd handler that keeps the messages it receives."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:  # a free port (the controller needs one up front)
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_breach_and_recovery_post_json_to_the_webhook(
    workspace: Workspace, churn: ModelVersionRecord, receiver: Receiver
) -> None:
    create_monitor(
        workspace,
        "churn",
        model="churn@production",
        checks=["drift"],
        sinks=[{"type": "webhook", "url": receiver.url}],
    )
    run_monitor(workspace, "churn", current=production(shift=1.5))
    run_monitor(workspace, "churn", current=production(shift=1.5))  # no new event
    run_monitor(workspace, "churn", current=production(seed=4))
    assert [b["event"] for b in receiver.bodies] == ["alert.opened", "alert.resolved"]
    alert = receiver.bodies[0]["alert"]
    assert (alert["monitor"], alert["check"], alert["status"]) == (
        "churn",
        "drift",
        "open",
    )
    assert alert["evidence"]["features"] == ["age", "income"]


def test_alerts_are_mailed_over_smtp(
    workspace: Workspace, churn: ModelVersionRecord, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    sink = {
        "type": "email",
        "host": "127.0.0.1",
        "port": port,
        "sender": "rung@example.com",
        "recipients": ["ops@example.com"],
    }
    create_monitor(
        workspace, "churn", model="churn@production", checks=["drift"], sinks=[sink]
    )
    run_monitor(workspace, "churn", current=production(shift=1.5))
    [mail] = inbox.messages
    assert mail["To"] == "ops@example.com" and mail["From"] == "rung@example.com"
    assert mail["Subject"].startswith("[rung] warning alert opened: monitor 'churn'")
    assert json.loads(mail.get_payload())["alert"]["check"] == "drift"


def test_process_wide_sinks_and_the_log_sink(
    workspace: Workspace,
    churn: ModelVersionRecord,
    caplog: pytest.LogCaptureFixture,
) -> None:
    received: list[AlertEvent] = []

    class Collect:
        def send(self, event: AlertEvent) -> None:
            received.append(event)

    sink = Collect()
    add_alert_sink(sink)
    create_monitor(workspace, "churn", model="churn@production", checks=["drift"])
    with caplog.at_level(logging.WARNING, logger="rung.monitoring.alerts"):
        run_monitor(workspace, "churn", current=production(shift=1.5))
    assert [e.kind for e in received] == ["opened"]
    assert "alert opened: monitor 'churn', check 'drift'" in caplog.text
    remove_alert_sink(sink)
    run_monitor(workspace, "churn", current=production(seed=4))
    assert len(received) == 1


def test_delivery_failures_are_reported_not_raised(
    workspace: Workspace, churn: ModelVersionRecord, receiver: Receiver
) -> None:
    receiver.status = 500
    create_monitor(
        workspace,
        "churn",
        model="churn@production",
        checks=["drift"],
        sinks=[
            {"type": "webhook", "url": receiver.url},
            {
                "type": "email",
                "host": "127.0.0.1",
                "port": 1,
                "recipients": ["x@example.com"],
            },
        ],
    )
    result = run_monitor(workspace, "churn", current=production(shift=1.5))
    assert result.status == "breached" and len(result.delivery_failures) == 2
    assert "answered 500" in result.delivery_failures[0]
    with pytest.raises(AlertSinkError, match="unreachable"):
        WebhookAlertSink("http://127.0.0.1:1/x", timeout=0.5).send(
            AlertEvent("opened", result.alerts.opened[0])
        )
    with pytest.raises(AlertSinkError, match=r"via 127\.0\.0\.1:1 failed"):
        EmailAlertSink("127.0.0.1", 1, recipients=["x@example.com"]).send(
            AlertEvent("opened", result.alerts.opened[0])
        )
