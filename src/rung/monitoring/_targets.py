"""Where a webhook may connect: public addresses, or what the operator allows.

A webhook URL is user input that makes the process running monitors open a
connection, so without a guard an alert could reach the cloud metadata service
(169.254.169.254), a database on localhost or an admin port on the LAN
(server-side request forgery). Every address the host resolves to must be
public unless the allow list names it, and the request then goes to that
checked address itself (the Host header and the TLS server name stay those of
the URL), so a second DNS answer cannot swap it (DNS rebinding). Redirects are
never followed: a redirect is an answer, not a new destination.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from rung.errors import MonitorDefinitionError

if TYPE_CHECKING:
    import ssl
    from collections.abc import Iterable, Mapping

    import httpx

__all__ = ["AllowList", "Target", "address_class", "find_target", "post_json"]

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST_NAME = re.compile(
    r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*"
)
_FLAGS = (
    ("unspecified", "is_unspecified"),
    ("loopback", "is_loopback"),
    ("link-local", "is_link_local"),
    ("multicast", "is_multicast"),
    ("reserved", "is_reserved"),
    ("private", "is_private"),
    ("site-local", "is_site_local"),
)
_SETTING_HINT = (
    'set alert_allow_hosts = ["{entry}"] in rung.toml or '
    'RUNG_ALERT_ALLOW_HOSTS={entry} (in Python: alert_allow_hosts=["{entry}"])'
)
_ANSWER_BYTES = 1024


def address_class(address: Address) -> str | None:
    """The kind of non-public address ``address`` is, or None if it is public.

    IPv4 addresses written as IPv6 (``::ffff:169.254.169.254``, 6to4) are
    judged as the IPv4 address they carry.

    Example:
        >>> address_class(ipaddress.ip_address("::ffff:169.254.169.254"))
        'link-local'
    """
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour
        if inner is not None:
            return address_class(inner)
    for name, flag in _FLAGS:
        if getattr(address, flag, False):
            return name
    return None if address.is_global else "not globally routable"


@dataclass(frozen=True, slots=True)
class _Entry:
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None
    name: str | None
    port: int | None


class AllowList:
    """Internal targets a webhook may reach anyway.

    Args:
        entries: ``host:port``, ``host``, ``IP``, ``IP:port``, ``[IPv6]:port``
            or a CIDR (``10.0.0.0/8``). An IP or CIDR entry matches the
            address the host resolves to; a name entry matches the URL's host.

    Raises:
        MonitorDefinitionError: an entry that is none of these.

    Example:
        >>> AllowList(["127.0.0.1:8123"]).allows(
        ...     "localhost", ipaddress.ip_address("127.0.0.1"), 8123)
        True
    """

    def __init__(self, entries: Iterable[str] = ()) -> None:
        self.entries = tuple(entries)
        self._parsed = tuple(_parse_entry(e) for e in self.entries)

    def allows(self, host: str, address: Address, port: int) -> bool:
        """Whether ``host`` (as written in the URL), at ``address``, is allowed."""
        name = host.lower().rstrip(".")
        addresses = [address]
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            addresses.append(address.ipv4_mapped)
        for entry in self._parsed:
            if entry.port is not None and entry.port != port:
                continue
            if entry.name is not None and entry.name == name:
                return True
            if entry.network is not None and any(
                a.version == entry.network.version and a in entry.network
                for a in addresses
            ):
                return True
        return False


@dataclass(frozen=True, slots=True)
class Target:
    """A checked webhook destination.

    Attributes:
        url: the URL as parsed (scheme lower-case).
        host: its host (ASCII, without IPv6 brackets).
        port: its port (80/443 if the URL names none).
        addresses: the checked addresses to connect to, in order (empty when
            the name could not be resolved and ``strict`` was off).
    """

    url: httpx.URL
    host: str
    port: int
    addresses: tuple[Address, ...]

    @property
    def host_header(self) -> str:
        """The Host header the URL implies."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.url.port is None else f"{host}:{self.port}"


def find_target(
    text: str,
    allow: AllowList,
    *,
    shown: str,
    error: type[Exception] = MonitorDefinitionError,
    strict: bool = True,
) -> Target:
    """Parse a webhook URL, resolve its host and check every address.

    Args:
        text: the URL.
        allow: internal targets allowed anyway.
        shown: how to name the webhook in messages (never a resolved secret).
        error: the exception to raise (definition or delivery error).
        strict: a host that does not resolve is an error; otherwise it is
            accepted with no addresses (checked again when sending).

    Raises:
        error: not http(s), no host, or an address that is not public and not
            allow-listed (naming the address class and how to allow it).
    """
    import httpx

    try:
        url = httpx.URL(text.strip())
    except httpx.InvalidURL as exc:
        # The text may be a resolved secret: only the configured form is shown.
        detail = f": {exc}" if text == shown else ""
        raise error(f"Invalid webhook URL {shown}{detail}.") from exc
    if url.scheme.lower() not in _DEFAULT_PORTS or not url.raw_host:
        raise error(
            f"Invalid webhook URL {shown}: give an http:// or https:// URL with "
            "a host, e.g. https://hooks.example.com/rung."
        )
    host = url.raw_host.decode("ascii")
    port = url.port or _DEFAULT_PORTS[url.scheme.lower()]
    addresses = _resolve(host, port, shown, error, strict=strict)
    for address in addresses:
        kind = address_class(address)
        if kind is not None and not allow.allows(host, address, port):
            entry = (
                f"[{address}]:{port}" if address.version == 6 else f"{address}:{port}"
            )
            raise error(
                f"The webhook {shown} points at {address}, a {kind} address. "
                "Alerts are not sent to loopback, private, link-local, multicast, "
                "reserved or unspecified addresses (they reach internal services). "
                "If this receiver is meant to get alerts, allow-list it: "
                + _SETTING_HINT.format(entry=entry)
                + "."
            )
    return Target(url, host, port, addresses)


def post_json(
    target: Target,
    payload: Any,
    headers: Mapping[str, str],
    *,
    timeout: float,
    verify: ssl.SSLContext | bool = True,
) -> tuple[int, str]:
    """POST ``payload`` to the target's checked addresses (first that connects).

    The connection goes to the checked IP; the Host header and the TLS server
    name (SNI and certificate check) are the URL's host. Redirects are not
    followed.

    Returns:
        The answer's status code and the start of its body.

    Raises:
        httpx.HTTPError: no address could be reached.
    """
    import httpx

    sent = {k: v for k, v in headers.items() if k.lower() != "host"}
    sent["Host"] = target.host_header
    named = not _is_ip(target.host)
    extensions = {"sni_hostname": target.host} if named else {}
    failure: httpx.HTTPError | None = None
    with httpx.Client(
        timeout=timeout, follow_redirects=False, trust_env=False, verify=verify
    ) as client:
        for address in target.addresses:
            pinned = target.url.copy_with(host=str(address))
            request = client.build_request(
                "POST", pinned, json=payload, headers=sent, extensions=extensions
            )
            try:
                answer = client.send(request, stream=True)
            except httpx.ConnectError as exc:
                failure = exc
                continue
            try:
                return answer.status_code, _start_of(answer)
            finally:
                answer.close()
    raise failure or httpx.ConnectError(f"{target.host} has no address")


def _start_of(answer: httpx.Response) -> str:
    data = b""
    for chunk in answer.iter_bytes():
        data += chunk
        if len(data) >= _ANSWER_BYTES:
            break
    return data[:_ANSWER_BYTES].decode("utf-8", errors="replace")


def _resolve(
    host: str, port: int, shown: str, error: type[Exception], *, strict: bool
) -> tuple[Address, ...]:
    literal = _ip(host)
    if literal is not None:
        return (literal,)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        if not strict:
            return ()
        raise error(f"Cannot resolve the host of the webhook {shown}: {exc}.") from exc
    addresses: list[Address] = []
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).partition("%")[0])
        if address not in addresses:
            addresses.append(address)
    return tuple(addresses)


def _ip(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(unquote(host))
    except ValueError:
        return None


def _is_ip(host: str) -> bool:
    return _ip(host) is not None


def _parse_entry(text: str) -> _Entry:
    raw = str(text).strip()
    try:
        if "/" in raw:
            return _Entry(ipaddress.ip_network(raw, strict=False), None, None)
        host, port = _split_port(raw)
        address = _ip(host)
        if address is not None:
            return _Entry(ipaddress.ip_network(address), None, port)
        name = host.lower().rstrip(".")
        if _HOST_NAME.fullmatch(name):
            return _Entry(None, name, port)
    except ValueError:
        pass
    raise MonitorDefinitionError(
        f"Cannot read the alert allow-list entry {text!r}. Write host:port "
        "(127.0.0.1:8123, hooks.internal:443, [::1]:8123), a host or IP "
        "without a port, or a CIDR (10.0.0.0/8) in alert_allow_hosts / "
        "RUNG_ALERT_ALLOW_HOSTS (comma-separated)."
    )


def _split_port(raw: str) -> tuple[str, int | None]:
    if raw.startswith("["):
        host, _, rest = raw[1:].partition("]")
        return host, _port(rest.removeprefix(":")) if rest else None
    if raw.count(":") == 1:
        host, _, port = raw.partition(":")
        return host, _port(port)
    return raw, None


def _port(text: str) -> int:
    port = int(text)
    if not 0 < port < 65_536:
        raise ValueError(text)
    return port
