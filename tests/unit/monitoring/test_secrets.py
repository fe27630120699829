"""Sink secrets are references (env:NAME, file:/path), never stored values."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest

from rung.errors import AlertSinkError, MonitorDefinitionError
from rung.monitoring import (
    EmailAlertSink,
    create_monitor,
    get_monitor,
    list_monitors,
    run_monitor,
)
from rung.monitoring._secrets import REDACTED, redact_url
from tests.unit.monitoring.conftest import alert_event, production
from tests.unit.monitoring.receivers import Receiver, serving

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from pathlib import Path

    from rung.workspace import Workspace

SECRET = "s3cret-Token-42"  # noqa: S105 - a made-up secret the tests look for
PUBLIC = "https://1.1.1.1/rung"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serving() as server:
        yield server


def _create(
    workspace: Workspace, sink: Mapping[str, Any], allow: Sequence[str] = ()
) -> None:
    frame = production()
    create_monitor(
        workspace,
        "hooked",
        reference=frame,
        current=frame,
        checks=["drift"],
        sinks=[sink],
        alert_allow_hosts=allow,
    )


def _stored_bytes(root: Path) -> bytes:
    """Everything the test workspace's SQLite store wrote (database and log)."""
    return b"".join(p.read_bytes() for p in (root / ".rung").glob("metadata.db*"))


@pytest.mark.parametrize(
    ("sink", "message"),
    [
        (
            {"type": "webhook", "url": PUBLIC, "headers": {"Authorization": SECRET}},
            r"header 'Authorization' is given as a literal value.*"
            r"'env:ALERT_WEBHOOK_AUTHORIZATION'",
        ),
        (
            {"type": "webhook", "url": f"https://bot:{SECRET}@1.1.1.1/rung"},
            r"holds credentials \(user:password@\).*env:ALERT_WEBHOOK_URL",
        ),
        (
            {"type": "webhook", "url": f"{PUBLIC}?api_token={SECRET}&team=ml"},
            r"\['api_token'\] in its query string.*env:ALERT_WEBHOOK_URL",
        ),
        (
            {
                "type": "email",
                "host": "mx.example.com",
                "recipients": ["ops@example.com"],
                "username": "rung",
                "password": SECRET,
            },
            r"SMTP password is given as a literal value.*'env:ALERT_SMTP_PASSWORD'",
        ),
        (
            {"type": "webhook", "url": PUBLIC, "headers": {"X-Key": "env:not a name"}},
            "not an environment variable name",
        ),
        (
            {"type": "webhook", "url": PUBLIC, "headers": {"X-Key": "env:RUNG_USER"}},
            "RUNG_\\* variables cannot be sent",
        ),
        (
            {"type": "webhook", "url": PUBLIC, "headers": {"X-Key": "file:key.txt"}},
            "needs an absolute path",
        ),
    ],
)
def test_create_monitor_refuses_literal_secrets(
    workspace: Workspace, tmp_path: Path, sink: dict[str, Any], message: str
) -> None:
    with pytest.raises(MonitorDefinitionError, match=message) as refused:
        _create(workspace, sink)
    assert SECRET not in str(refused.value)
    assert list_monitors(workspace) == []
    assert SECRET.encode() not in _stored_bytes(tmp_path)


def test_references_are_stored_and_resolved_only_when_sending(
    workspace: Workspace,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    signature = tmp_path_factory.mktemp("secrets") / "signature"
    signature.write_text("sig-" + SECRET + "\n")
    headers = {
        "Authorization": "env:ALERT_TEST_AUTH",
        "X-Signature": f"file:{signature}",
    }
    hook = {"type": "webhook", "url": receiver.url, "headers": headers}
    monkeypatch.setenv("ALERT_TEST_AUTH", "Bearer " + SECRET)
    _create(workspace, hook, [receiver.allow])
    assert get_monitor(workspace, "hooked").sinks == (hook,)
    assert [m.sinks for m in list_monitors(workspace)] == [(hook,)]
    result = run_monitor(
        workspace,
        "hooked",
        current=production(shift=1.5),
        alert_allow_hosts=[receiver.allow],
    )
    assert result.delivery_failures == []
    [sent] = receiver.headers
    assert sent["Authorization"] == "Bearer " + SECRET
    assert sent["X-Signature"] == "sig-" + SECRET
    stored = _stored_bytes(tmp_path)
    assert b"env:ALERT_TEST_AUTH" in stored and SECRET.encode() not in stored


def test_a_missing_variable_is_a_delivery_failure_not_a_crash(
    workspace: Workspace, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ALERT_TEST_UNSET", raising=False)
    headers = {"Authorization": "env:ALERT_TEST_UNSET"}
    _create(
        workspace,
        {"type": "webhook", "url": receiver.url, "headers": headers},
        [receiver.allow],
    )
    result = run_monitor(
        workspace,
        "hooked",
        current=production(shift=1.5),
        alert_allow_hosts=[receiver.allow],
    )
    [failure] = result.delivery_failures
    assert "environment variable ALERT_TEST_UNSET, which is not set" in failure
    assert receiver.bodies == []


def test_a_secrets_file_inside_the_project_is_refused(
    workspace: Workspace, tmp_path: Path
) -> None:
    (tmp_path / ".rung").mkdir(exist_ok=True)
    secret = tmp_path / "conf" / "token"
    hook = {"type": "webhook", "url": PUBLIC, "headers": {"X-Key": f"file:{secret}"}}
    with pytest.raises(MonitorDefinitionError, match="inside the Rung project"):
        _create(workspace, hook)


def test_literal_secrets_stored_before_are_redacted_and_never_sent(
    workspace: Workspace, receiver: Receiver
) -> None:
    frame = production()
    base = create_monitor(
        workspace, "base", reference=frame, current=frame, checks=["drift"]
    )
    hook = {
        "type": "webhook",
        "url": f"http://bot:{SECRET}@127.0.0.1:{receiver.port}/alerts",
        "headers": {"Authorization": "Bearer " + SECRET},
    }
    mail = {
        "type": "email",
        "host": "127.0.0.1",
        "port": 1,
        "recipients": ["ops@example.com"],
        "username": "rung",
        "password": SECRET,
    }
    workspace.monitors.add_monitor(replace(base, name="old", sinks=(hook, mail)))
    shown = get_monitor(workspace, "old").sinks
    assert SECRET not in repr(shown) and SECRET not in repr(list_monitors(workspace))
    assert shown[0]["headers"] == {"Authorization": REDACTED}
    assert shown[1]["password"] == REDACTED
    result = run_monitor(
        workspace,
        "old",
        current=production(shift=1.5),
        alert_allow_hosts=[receiver.allow],
    )
    assert len(result.delivery_failures) == 2
    webhook, email = result.delivery_failures
    assert "holds credentials (user:password@)" in webhook
    assert "SMTP password is not a secret reference" in email
    assert SECRET not in repr(result.delivery_failures)
    assert receiver.bodies == []


def test_sinks_built_in_python_resolve_references_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ALERT_TEST_SMTP", raising=False)
    sink = EmailAlertSink(
        "127.0.0.1",
        1,
        recipients=["ops@example.com"],
        username="rung",
        password="env:ALERT_TEST_SMTP",  # noqa: S106 - a reference, not a secret
    )
    with pytest.raises(AlertSinkError, match="ALERT_TEST_SMTP, which is not set"):
        sink.send(alert_event())
    literal = EmailAlertSink("127.0.0.1", 1, username="rung", password=SECRET)
    with pytest.raises(AlertSinkError, match="not a secret reference") as refused:
        literal.send(alert_event())
    assert SECRET not in str(refused.value)


def test_redact_url_hides_credentials_and_keeps_references() -> None:
    assert redact_url(f"https://bot:{SECRET}@h.example/x?sig={SECRET}&a=1") == (
        "https://***@h.example/x?sig=***&a=1"
    )
    assert redact_url("env:ALERT_WEBHOOK_URL") == "env:ALERT_WEBHOOK_URL"
