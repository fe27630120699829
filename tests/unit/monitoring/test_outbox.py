"""The alert outbox: retries with backoff, give-ups, one send per delivery.

Webhook receivers are real HTTP servers on 127.0.0.1 (allow-listed, as
``alert_allow_hosts`` does for internal receivers); time moves through the
``now`` arguments, never by sleeping.
"""

from __future__ import annotations

import importlib
import shutil
import socket
import sys
import textwrap
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from rung._internal.hooks import group_entries
from rung.errors import MonitorDefinitionError
from rung.monitoring import (
    AlertEvent,
    RetryPolicy,
    create_monitor,
    deliver_alerts,
    list_alerts,
    list_deliveries,
    remove_alert_sink,
    run_monitor,
)
from rung.workspace import Workspace
from tests.unit.monitoring.conftest import production
from tests.unit.monitoring.receivers import Receiver, serving

if TYPE_CHECKING:
    from collections.abc import Iterator

    from rung.monitoring import MonitorEvaluation

T = 1_800_000_000.0


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serving() as server:
        yield server


def free_port() -> int:
    """A port nothing listens on (connections to it are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def watch(workspace: Workspace, *urls: str, allow: str) -> None:
    """A monitor ``base`` whose drift check breaches on shifted data."""
    reference = production()
    create_monitor(
        workspace,
        "base",
        reference=reference,
        current=reference,
        checks=["drift"],
        sinks=[{"type": "webhook", "url": url} for url in urls],
        alert_allow_hosts=[allow],
    )


def breach(
    workspace: Workspace, allow: str, at: float = T, name: str = "base"
) -> MonitorEvaluation:
    return run_monitor(
        workspace,
        name,
        current=production(shift=1.5),
        now=at,
        alert_allow_hosts=[allow],
    )


def test_a_receiver_that_is_down_gets_the_alert_once_it_is_back(
    workspace: Workspace,
) -> None:
    port = free_port()
    url, allow = f"http://127.0.0.1:{port}/alerts", f"127.0.0.1:{port}"
    watch(workspace, url, allow=allow)

    result = breach(workspace, allow)

    [failure] = result.delivery_failures
    assert "unreachable" in failure and "(attempt 1; next try at" in failure
    [waiting] = list_deliveries(workspace, "base")
    assert (waiting.status, waiting.attempts, waiting.next_attempt_at) == (
        "pending",
        1,
        T + 30,
    )
    too_soon = deliver_alerts(workspace, now=T + 10, alert_allow_hosts=[allow])
    assert len(too_soon) == 0
    with serving(port=port) as back:
        report = deliver_alerts(workspace, now=T + 31, alert_allow_hosts=[allow])
        again = deliver_alerts(workspace, now=T + 5_000, alert_allow_hosts=[allow])
    assert [d.id for d in report.delivered] == [waiting.id] and len(again) == 0
    assert [b["event"] for b in back.bodies] == ["alert.opened"]
    assert back.bodies[0]["alert"]["id"] == waiting.alert_id
    assert back.headers[0]["X-Rung-Delivery"] == waiting.id
    [done] = list_deliveries(workspace)
    assert (done.status, done.attempts, done.delivered_at) == ("delivered", 2, T + 31)
    assert done.last_error is None


def test_a_500_is_retried_with_the_same_delivery_id_until_a_200(
    workspace: Workspace, receiver: Receiver
) -> None:
    watch(workspace, receiver.url, allow=receiver.allow)
    receiver.status = 500
    result = breach(workspace, receiver.allow)
    assert "answered 500" in result.delivery_failures[0]
    assert [d.status for d in result.deliveries.retrying] == ["pending"]
    receiver.status = 200
    report = deliver_alerts(workspace, now=T + 30, alert_allow_hosts=[receiver.allow])
    assert len(report.delivered) == 1 and report.failures == []
    ids = {h["X-Rung-Delivery"] for h in receiver.headers}
    assert len(receiver.bodies) == 2 and ids == {report.delivered[0].id}


def test_a_receiver_that_keeps_failing_ends_failed_and_stays_visible(
    workspace: Workspace, receiver: Receiver
) -> None:
    watch(workspace, receiver.url, allow=receiver.allow)
    receiver.status = 503
    breach(workspace, receiver.allow)
    policy = RetryPolicy(max_attempts=3)
    allow = [receiver.allow]
    second = deliver_alerts(
        workspace, now=T + 30, alert_allow_hosts=allow, policy=policy
    )
    assert [d.next_attempt_at for d in second.retrying] == [T + 30 + 60]
    third = deliver_alerts(
        workspace, now=T + 90, alert_allow_hosts=allow, policy=policy
    )
    [given_up] = third.failed
    assert given_up.status == "failed" and given_up.next_attempt_at is None
    assert given_up.last_error is not None
    assert given_up.last_error.startswith("gave up after 3 attempts: Webhook")
    assert "answered 503" in given_up.last_error
    assert "given up" in third.failures[0]
    later = deliver_alerts(workspace, now=T + 9_999, alert_allow_hosts=allow)
    assert len(later) == 0 and len(receiver.bodies) == 3
    assert list_deliveries(workspace, status="failed") == [given_up]
    assert list_alerts(workspace, "base")[0].status == "open"


def test_a_delivery_older_than_the_max_age_is_given_up_unsent(
    workspace: Workspace, receiver: Receiver
) -> None:
    watch(workspace, receiver.url, allow=receiver.allow)
    receiver.status = 500
    breach(workspace, receiver.allow)
    receiver.status = 200
    report = deliver_alerts(
        workspace, now=T + 2 * 86_400, alert_allow_hosts=[receiver.allow]
    )
    [old] = report.failed
    assert old.last_error is not None and old.attempts == 1
    assert old.last_error.startswith("not delivered within 1d: Webhook")
    assert len(receiver.bodies) == 1


def test_the_backoff_doubles_up_to_an_hour_and_bad_policies_are_refused() -> None:
    assert [RetryPolicy().delay(n) for n in (1, 2, 3, 7, 8, 50, 10_000)] == [
        30.0,
        60.0,
        120.0,
        1920.0,
        3600.0,
        3600.0,
        3600.0,
    ]
    with pytest.raises(MonitorDefinitionError, match="Invalid alert retry policy"):
        RetryPolicy(first_delay_s=0)
    with pytest.raises(MonitorDefinitionError, match="max_attempts at least 1"):
        RetryPolicy(max_attempts=0)


def test_two_senders_send_each_delivery_exactly_once(
    workspace: Workspace, receiver: Receiver
) -> None:
    urls = [f"{receiver.url}/{n}" for n in range(8)]
    watch(workspace, *urls, allow=receiver.allow)
    receiver.status = 500
    breach(workspace, receiver.allow)
    receiver.status = 200
    receiver.bodies.clear()
    receiver.headers.clear()
    # A second workspace on the same database: another process, in effect.
    other = Workspace.from_urls(
        workspace.backend.url, "memory://", project=workspace.project
    )
    reports: list[Any] = []

    def drain(ws: Workspace) -> None:
        reports.append(
            deliver_alerts(ws, now=T + 31, alert_allow_hosts=[receiver.allow])
        )

    try:
        threads = [
            threading.Thread(target=drain, args=(ws,)) for ws in (workspace, other)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        other.close()
    sent = [h["X-Rung-Delivery"] for h in receiver.headers]
    assert len(sent) == len(set(sent)) == 8
    assert sum(len(r.delivered) for r in reports) == 8
    assert {d.status for d in list_deliveries(workspace)} == {"delivered"}


PLUGIN = textwrap.dedent(
    """
    class FlakySink:
        def __init__(self):
            self.events = []
            self.fail = 1

        def send(self, event):
            if self.fail:
                self.fail -= 1
                raise ConnectionError("pager service down")
            self.events.append((event.kind, event.delivery_id))


    SINK = FlakySink()
    """
)


@dataclass
class Plugin:
    """An installed plugin package and the sink it declares."""

    sink: Any
    info: Path


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Plugin]:
    """An installed plugin whose package declares a ``rung.alert_sinks`` sink."""
    root = tmp_path / "site"
    info = root / "rung_pager_test-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: rung-pager-test\nVersion: 1.0\n"
    )
    (info / "entry_points.txt").write_text(
        "[rung.alert_sinks]\npager = rung_pager_test:SINK\n"
    )
    (root / "rung_pager_test.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(root))
    group_entries.cache_clear()
    try:
        module = importlib.import_module("rung_pager_test")
        yield Plugin(module.SINK, info)
    finally:
        sys.modules.pop("rung_pager_test", None)
        monkeypatch.undo()
        group_entries.cache_clear()


def test_plugin_sinks_go_through_the_outbox_of_every_workspace(
    workspace: Workspace, plugin: Plugin
) -> None:
    reference = production()
    create_monitor(
        workspace, "base", reference=reference, current=reference, checks=["drift"]
    )
    result = run_monitor(workspace, "base", current=production(shift=1.5), now=T)
    assert result.delivery_failures == [
        "plugin rung_pager_test:SINK: pager service down "
        "(attempt 1; next try at 2027-01-15 08:00:30)"
    ]
    report = deliver_alerts(workspace, now=T + 30)
    [pager] = report.delivered
    assert pager.sink == {"type": "plugin", "entry": "rung_pager_test:SINK"}
    assert plugin.sink.events == [("opened", pager.id)]
    remove_alert_sink(workspace, "rung_pager_test:SINK")
    run_monitor(workspace, "base", current=production(seed=4), now=T + 60)
    assert plugin.sink.events == [("opened", pager.id)]
    assert [d.event for d in list_deliveries(workspace)] == [
        "opened",
        "opened",
        "resolved",
    ]


def test_a_plugin_sink_no_longer_installed_is_a_delivery_failure(
    workspace: Workspace, plugin: Plugin
) -> None:
    reference = production()
    create_monitor(
        workspace, "base", reference=reference, current=reference, checks=["drift"]
    )
    run_monitor(workspace, "base", current=production(shift=1.5), now=T)
    shutil.rmtree(plugin.info)  # pip uninstall rung-pager-test
    group_entries.cache_clear()
    report = deliver_alerts(workspace, now=T + 30)
    [failure] = report.failures
    assert "'rung_pager_test:SINK' is not installed" in failure
    assert plugin.sink.events == []


def test_python_sinks_are_called_in_process_and_not_queued(
    workspace: Workspace,
) -> None:
    from rung.monitoring import add_alert_sink

    received: list[AlertEvent] = []

    class Collect:
        def send(self, event: AlertEvent) -> None:
            received.append(event)

    add_alert_sink(workspace, Collect())
    reference = production()
    create_monitor(
        workspace, "base", reference=reference, current=reference, checks=["drift"]
    )
    run_monitor(workspace, "base", current=production(shift=1.5), now=T)
    assert [(e.kind, e.delivery_id) for e in received] == [("opened", None)]
    [log] = list_deliveries(workspace)
    assert (log.sink, log.status) == ({"type": "log"}, "delivered")
