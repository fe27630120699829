"""Webhook targets: internal addresses are refused when a sink is created.

Every spelling of the cloud metadata address, loopback admin ports and a
local database must be refused by ``create_monitor`` unless allow-listed.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
import ssl
import subprocess
from typing import TYPE_CHECKING

import httpx
import pytest

from rung.errors import MonitorDefinitionError
from rung.monitoring import create_monitor, list_monitors
from rung.monitoring._targets import AllowList, address_class, find_target, post_json
from tests.unit.monitoring.conftest import production
from tests.unit.monitoring.receivers import serving

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from rung.workspace import Workspace

INTERNAL = [
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://0xa9fea9fe/latest/meta-data/", "link-local"),
    ("http://2852039166/latest/meta-data/", "link-local"),
    ("http://[::ffff:169.254.169.254]/latest/meta-data/", "link-local"),
    ("http://[::ffff:a9fe:a9fe]/latest/meta-data/", "link-local"),
    ("http://169.254.43518/", "link-local"),
    ("http://[fe80::1]/", "link-local"),
    ("http://127.0.0.1:8080/admin/shutdown", "loopback"),
    ("http://127.1:9000/admin", "loopback"),
    ("http://%31%32%37.0.0.1/", "loopback"),
    ("http://localhost:5432/", "loopback"),
    ("HTTP://LOCALHOST:5432/", "loopback"),
    ("http://[::1]:8080/", "loopback"),
    ("http://10.0.0.7/hook", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://[fd00::1]/", "private"),
    ("http://0.0.0.0:8080/", "unspecified"),
    ("http://224.0.0.1/", "multicast"),
    ("http://240.0.0.1/", "reserved"),
    ("http://100.64.0.1/", "not globally routable"),
]


def _create(workspace: Workspace, url: str, allow: Sequence[str] = ()) -> list[str]:
    """Create a DataFrame monitor with one webhook; return the monitors' names."""
    frame = production()
    create_monitor(
        workspace,
        "hooked",
        reference=frame,
        current=frame,
        checks=["drift"],
        sinks=[{"type": "webhook", "url": url}],
        alert_allow_hosts=allow,
    )
    return [m.name for m in list_monitors(workspace)]


@pytest.mark.parametrize(("url", "kind"), INTERNAL)
def test_create_monitor_refuses_webhooks_to_internal_addresses(
    workspace: Workspace, url: str, kind: str
) -> None:
    pattern = rf"a {re.escape(kind)} address\..*RUNG_ALERT_ALLOW_HOSTS="
    with pytest.raises(MonitorDefinitionError, match=pattern):
        _create(workspace, url)
    assert list_monitors(workspace) == []


@pytest.mark.parametrize(
    "url", ["ftp://1.1.1.1/x", "ws://1.1.1.1/x", "gopher://1.1.1.1:70/_x", "//x"]
)
def test_create_monitor_refuses_webhooks_that_are_not_http(
    workspace: Workspace, url: str
) -> None:
    with pytest.raises(MonitorDefinitionError, match="Invalid alert sink"):
        _create(workspace, url)


def test_scheme_is_case_insensitive_and_public_hosts_need_no_allow_list(
    workspace: Workspace,
) -> None:
    assert _create(workspace, "HTTPS://1.1.1.1/rung") == ["hooked"]


@pytest.mark.parametrize(
    "allow",
    [["127.0.0.1:8123"], ["127.0.0.0/8"], ["127.0.0.1"], ["localhost:8123"]],
)
def test_allow_listed_internal_receivers_are_accepted(
    workspace: Workspace, allow: list[str]
) -> None:
    assert _create(workspace, "http://localhost:8123/x", allow) == ["hooked"]


def test_an_allow_list_entry_for_another_port_does_not_open_the_host(
    workspace: Workspace,
) -> None:
    with pytest.raises(MonitorDefinitionError, match="a loopback address"):
        _create(workspace, "http://127.0.0.1:5432/", ["127.0.0.1:8123"])


@pytest.mark.parametrize(
    "entry", ["not a host!", "127.0.0.1:99999", "10.0.0.0/33", "[::1]x", ""]
)
def test_unreadable_allow_list_entries_are_refused(entry: str) -> None:
    with pytest.raises(
        MonitorDefinitionError, match="Cannot read the alert allow-list"
    ):
        AllowList([entry])


def test_allow_list_matches_addresses_ports_names_and_networks() -> None:
    allow = AllowList(["127.0.0.1:8123", "[::1]:9000", "10.0.0.0/8", "hooks.lan"])
    loopback = ipaddress.ip_address("127.0.0.1")
    assert allow.allows("x", loopback, 8123)
    assert not allow.allows("x", loopback, 8124)
    assert allow.allows("x", ipaddress.ip_address("::ffff:127.0.0.1"), 8123)
    assert allow.allows("x", ipaddress.ip_address("::1"), 9000)
    assert allow.allows("x", ipaddress.ip_address("10.9.8.7"), 1)
    assert allow.allows("HOOKS.LAN.", ipaddress.ip_address("192.168.0.2"), 443)
    assert not allow.allows("x", ipaddress.ip_address("192.168.0.2"), 443)


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("169.254.169.254", "link-local"),
        ("::ffff:169.254.169.254", "link-local"),
        ("2002:a9fe:a9fe::1", "link-local"),
        ("::a9fe:a9fe", "reserved"),
        ("255.255.255.255", "reserved"),
        ("fec0::1", "site-local"),
        ("1.1.1.1", None),
        ("2606:4700:4700::1111", None),
    ],
)
def test_address_classes(address: str, kind: str | None) -> None:
    assert address_class(ipaddress.ip_address(address)) == kind


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for ``localhost`` (and its key)."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-nodes", "-days", "1"),
            *("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost"),
            *("-addext", "subjectAltName=DNS:localhost"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_https_to_the_pinned_address_checks_the_certificate_of_the_name(
    certificate: tuple[Path, Path],
) -> None:
    cert, key = certificate
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    trusted = ssl.create_default_context(cafile=str(cert))
    with serving(tls=server) as receiver:
        allow = AllowList([receiver.allow, f"[::1]:{receiver.port}"])
        named = find_target(
            f"https://localhost:{receiver.port}/alerts", allow, shown="the hook"
        )
        status, _ = post_json(named, {"event": "x"}, {}, timeout=5, verify=trusted)
        assert status == 200
        assert receiver.headers[0]["Host"] == f"localhost:{receiver.port}"
        by_address = find_target(
            f"https://127.0.0.1:{receiver.port}/alerts", allow, shown="the hook"
        )
        with pytest.raises(httpx.ConnectError, match="certificate verify failed"):
            post_json(by_address, {"event": "x"}, {}, timeout=5, verify=trusted)
    assert len(receiver.bodies) == 1
