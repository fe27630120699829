"""Alert sinks: a webhook receiver and an SMTP server on 127.0.0.1, the log.

The receiver is on a loopback address, which webhooks may reach only when
allow-listed (``alert_allow_hosts``), as these tests do.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from email import message_from_bytes
from typing import TYPE_CHECKING, Any

import pytest

from rung.errors import AlertSinkError
from rung.monitoring import (
    AlertEvent,
    EmailAlertSink,
    WebhookAlertSink,
    add_alert_sink,
    create_monitor,
    deliver_alerts,
    remove_alert_sink,
    run_monitor,
    subscribe,
)
from rung.workspace import Workspace
from tests.unit.monitoring.conftest import alert_event, production
from tests.unit.monitoring.receivers import Receiver, serving

if TYPE_CHECKING:
    from rung.registry.records import ModelVersionRecord


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serving() as server:
        yield server


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
        alert_allow_hosts=[receiver.allow],
    )
    allow = [receiver.allow]
    run_monitor(
        workspace, "churn", current=production(shift=1.5), alert_allow_hosts=allow
    )
    run_monitor(
        workspace, "churn", current=production(shift=1.5), alert_allow_hosts=allow
    )
    run_monitor(workspace, "churn", current=production(seed=4), alert_allow_hosts=allow)
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


def test_workspace_sinks_and_the_log_sink(
    workspace: Workspace,
    churn: ModelVersionRecord,
    caplog: pytest.LogCaptureFixture,
) -> None:
    received: list[AlertEvent] = []

    class Collect:
        def send(self, event: AlertEvent) -> None:
            received.append(event)

    sink = Collect()
    add_alert_sink(workspace, sink)
    create_monitor(workspace, "churn", model="churn@production", checks=["drift"])
    with caplog.at_level(logging.WARNING, logger="rung.monitoring.alerts"):
        run_monitor(workspace, "churn", current=production(shift=1.5))
    assert [e.kind for e in received] == ["opened"]
    assert "alert opened: monitor 'churn', check 'drift'" in caplog.text
    remove_alert_sink(workspace, sink)
    run_monitor(workspace, "churn", current=production(seed=4))
    assert len(received) == 1


def test_sinks_and_subscribers_belong_to_their_workspace(
    workspace: Workspace,
) -> None:
    received: list[AlertEvent] = []

    class Collect:
        def send(self, event: AlertEvent) -> None:
            received.append(event)

    add_alert_sink(workspace, Collect())
    subscribe(workspace, received.append)
    reference = production()
    with Workspace.from_urls("memory://", "memory://", project="other") as other:
        create_monitor(
            other, "base", reference=reference, current=reference, checks=["drift"]
        )
        result = run_monitor(other, "base", current=production(shift=1.5))
        assert result.status == "breached" and result.delivery_failures == []
    assert received == []
    create_monitor(
        workspace, "base", reference=reference, current=reference, checks=["drift"]
    )
    run_monitor(workspace, "base", current=production(shift=1.5))
    assert [e.kind for e in received] == ["opened", "opened"]


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
        alert_allow_hosts=[receiver.allow],
    )
    result = run_monitor(
        workspace,
        "churn",
        current=production(shift=1.5),
        alert_allow_hosts=[receiver.allow],
    )
    assert result.status == "breached" and len(result.delivery_failures) == 2
    assert "answered 500" in result.delivery_failures[0]
    with pytest.raises(AlertSinkError, match="unreachable"):
        WebhookAlertSink(
            "http://127.0.0.1:1/x", timeout=0.5, allow_hosts=["127.0.0.1:1"]
        ).send(AlertEvent("opened", result.alerts.opened[0]))
    with pytest.raises(AlertSinkError, match=r"via 127\.0\.0\.1:1 failed"):
        EmailAlertSink("127.0.0.1", 1, recipients=["x@example.com"]).send(
            AlertEvent("opened", result.alerts.opened[0])
        )


def test_webhook_to_a_loopback_receiver_sends_nothing_unless_allow_listed(
    receiver: Receiver,
) -> None:
    with pytest.raises(AlertSinkError, match=r"a loopback address\..*allow-list"):
        WebhookAlertSink(receiver.url).send(alert_event())
    with pytest.raises(AlertSinkError, match="a loopback address"):
        WebhookAlertSink(receiver.url, allow_hosts=["127.0.0.1:1"]).send(alert_event())
    assert receiver.bodies == []
    upper = receiver.url.replace("http://", "HTTP://")
    WebhookAlertSink(upper, allow_hosts=[receiver.allow]).send(alert_event())
    assert [b["event"] for b in receiver.bodies] == ["alert.opened"]


def test_a_stored_webhook_to_loopback_is_refused_when_sending(
    workspace: Workspace, receiver: Receiver
) -> None:
    """A spec that skipped the creation check (an older store) is checked again."""
    reference = production()
    record = create_monitor(
        workspace, "base", reference=reference, current=reference, checks=["drift"]
    )
    hook = {
        "type": "webhook",
        "url": f"http://localhost:{receiver.port}/admin/shutdown",
    }
    workspace.monitors.add_monitor(replace(record, name="old", sinks=(hook,)))
    result = run_monitor(workspace, "old", current=production(shift=1.5))
    assert result.status == "breached"
    [failure] = result.delivery_failures
    assert "a loopback address" in failure
    assert receiver.bodies == []
    allowed = run_monitor(
        workspace, "old", current=production(seed=4), alert_allow_hosts=[receiver.allow]
    )
    # The opening waits for its retry, and the resolution waits behind it.
    assert allowed.delivery_failures == [] and receiver.bodies == []
    later = time.time() + 60
    deliver_alerts(workspace, now=later, alert_allow_hosts=[receiver.allow])
    assert [b["event"] for b in receiver.bodies] == ["alert.opened", "alert.resolved"]


def test_a_redirect_to_a_disallowed_receiver_is_not_followed(
    receiver: Receiver,
) -> None:
    with serving() as internal:
        receiver.status, receiver.location = 307, internal.url
        sink = WebhookAlertSink(receiver.url, allow_hosts=[receiver.allow])
        with pytest.raises(AlertSinkError, match="answered 307, a redirect"):
            sink.send(alert_event())
        assert internal.bodies == []
    assert len(receiver.bodies) == 1


def test_the_connection_goes_to_the_checked_address_not_a_new_dns_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DNS rebinding: the name answers an allowed address, then another one.

    No DNS server of our own runs here, so the resolver's answers are scripted;
    the two receivers and the HTTP client are real.
    """
    real = socket.getaddrinfo
    answers = iter(["127.0.0.1", "127.0.0.2", "127.0.0.2", "127.0.0.2"])

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "rebind.test":
            return real(next(answers), port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with serving("127.0.0.1") as checked, serving("127.0.0.2", checked.port) as other:
        sink = WebhookAlertSink(
            f"http://rebind.test:{checked.port}/alerts", allow_hosts=[checked.allow]
        )
        sink.send(alert_event())
        assert len(checked.bodies) == 1 and other.bodies == []
    assert checked.headers[0]["Host"] == f"rebind.test:{checked.port}"
