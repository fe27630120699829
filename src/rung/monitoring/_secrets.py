"""Secret references of alert sinks: ``env:NAME`` and ``file:/path``.

Monitors are stored in the workspace and printed by ``rung monitor list``, so
a sink never holds a secret itself (a header value, an SMTP password, a token
in a URL), only where to find it. The reference is resolved by the process
that sends the alert, at send time, and the resolved value is never stored,
logged or shown.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from rung.errors import AlertSinkError, MonitorDefinitionError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "HOW_TO",
    "REDACTED",
    "check_reference",
    "is_reference",
    "redact",
    "redact_url",
    "refuse_url_secrets",
    "resolve_secret",
    "secret_query_names",
]

REDACTED = "***"
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_MAX_FILE_BYTES = 64 * 1024
# The folder that marks a Rung project (``rung.settings.WORKSPACE_DIRNAME``;
# settings belong to the edges, so the name is repeated here).
_WORKSPACE_DIRNAME = ".rung"
# Query parameters that usually carry a credential (token=, api_key=, sig=...).
_SECRET_QUERY = ("token", "secret", "pass", "pwd", "key", "sig", "auth", "cred", "code")
HOW_TO = (
    "Rung never stores secrets: put the value in an environment variable of "
    "the process that sends alerts and write 'env:NAME' (or 'file:/path' for a "
    "secrets file outside the project)"
)


def is_reference(value: object) -> bool:
    """Whether ``value`` is written as a secret reference (``env:`` or ``file:``).

    Example:
        >>> is_reference("env:HOOK_TOKEN"), is_reference("Bearer abc")
        (True, False)
    """
    return isinstance(value, str) and value.startswith(("env:", "file:"))


def check_reference(value: object, what: str, example: str = "ALERT_SECRET") -> str:
    """Return ``value`` if it is a well-formed secret reference.

    Args:
        value: what the user gave.
        what: what it is, for messages (``header 'Authorization'``).
        example: an environment variable name to suggest.

    Raises:
        MonitorDefinitionError: a literal secret, or a malformed reference.
    """
    if not is_reference(value):
        raise MonitorDefinitionError(
            f"The {what} is given as a literal value. {HOW_TO}, e.g. 'env:{example}'."
        )
    text = str(value)
    if text.startswith("env:"):
        _env_name(text, what, MonitorDefinitionError)
    else:
        _secret_file(text, what, MonitorDefinitionError)
    return text


def resolve_secret(
    reference: str, what: str, environ: Mapping[str, str] | None = None
) -> str:
    """The value a reference points at, read now.

    Args:
        reference: ``env:NAME`` or ``file:/path``.
        what: what it is, for messages.
        environ: where ``env:`` names are looked up (default: this process's
            environment: the reference names the variable explicitly, it is
            not a Rung setting).

    Raises:
        AlertSinkError: not a reference, a variable not set, an unreadable file.
    """
    if not is_reference(reference):
        raise AlertSinkError(
            f"The {what} is not a secret reference. {HOW_TO}; re-create the "
            "monitor with the reference."
        )
    if reference.startswith("env:"):
        name = _env_name(reference, what, AlertSinkError)
        found = (os.environ if environ is None else environ).get(name)
        if not found:
            raise AlertSinkError(
                f"The {what} refers to the environment variable {name}, which is "
                "not set (or empty) in the process sending the alert. Set "
                f"{name} in the environment of the process that runs the monitor."
            )
        return found
    path = _secret_file(reference, what, AlertSinkError)
    try:
        with path.open("rb") as handle:
            data = handle.read(_MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise AlertSinkError(
            f"The {what} refers to the file {path}, which cannot be read: "
            f"{exc.strerror or exc}. Create it (readable by the sending process)."
        ) from exc
    if len(data) > _MAX_FILE_BYTES:
        raise AlertSinkError(
            f"The {what} refers to {path}, which is larger than "
            f"{_MAX_FILE_BYTES} bytes; a secrets file holds one secret."
        )
    try:
        return data.decode("utf-8").strip("\r\n")
    except UnicodeDecodeError as exc:
        raise AlertSinkError(
            f"The {what} refers to {path}, which is not UTF-8 text."
        ) from exc


def redact(value: object) -> object:
    """A reference as is; anything else (a legacy literal secret) as ``***``."""
    return value if is_reference(value) or value is None else REDACTED


def redact_url(url: object) -> object:
    """A URL without its credentials: ``user:pass@`` and secret query values.

    Example:
        >>> redact_url("https://ann:pw@hooks.example.com/x?token=abc&team=ml")
        'https://***@hooks.example.com/x?token=***&team=ml'
    """
    if not isinstance(url, str) or is_reference(url):
        return url
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
    except ValueError:
        return REDACTED
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rpartition('@')[2]}"
    secret = set(secret_query_names(parts.query))
    query = "&".join(
        f"{k}={REDACTED if k in secret else v}" if v or k in secret else k
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def refuse_url_secrets(url: str, shown: str, error: type[Exception]) -> None:
    """Refuse a literal URL that carries credentials (userinfo, a token query).

    Args:
        url: the URL as given.
        shown: how to name it in messages.
        error: the exception to raise (definition or delivery error).
    """
    import httpx

    try:
        parsed = httpx.URL(url.strip())
    except httpx.InvalidURL:
        return  # find_target reports an unreadable URL
    if parsed.userinfo:
        raise error(
            f"The webhook URL {shown} holds credentials (user:password@). "
            f"{HOW_TO}: keep the whole URL in a variable (url='env:ALERT_WEBHOOK_URL') "
            "or send them in a header (headers={'Authorization': "
            "'env:ALERT_WEBHOOK_AUTH'})."
        )
    names = secret_query_names(parsed.query.decode("ascii", errors="replace"))
    if names:
        raise error(
            f"The webhook URL {shown} carries {names} in its query string, which "
            f"looks like a credential. {HOW_TO}: keep the whole URL in a variable "
            "(url='env:ALERT_WEBHOOK_URL')."
        )


def secret_query_names(query: str) -> list[str]:
    """Names of query parameters that look like credentials (``token``...)."""
    names = [k for k, _ in parse_qsl(query, keep_blank_values=True)]
    return [k for k in names if any(s in k.lower() for s in _SECRET_QUERY)]


def _env_name(reference: str, what: str, error: type[Exception]) -> str:
    name = reference.removeprefix("env:")
    if not _ENV_NAME.match(name):
        raise error(
            f"The {what} refers to {reference!r}, which is not an environment "
            "variable name. Write env:NAME with letters, digits and '_' "
            "(e.g. env:ALERT_WEBHOOK_TOKEN)."
        )
    if name.upper().startswith("RUNG_"):
        # Rung's own settings (a metadata URL with its password...) must not
        # be sendable to a receiver chosen by whoever defines a monitor.
        raise error(
            f"The {what} refers to {name}, a Rung setting; RUNG_* variables "
            "cannot be sent to alert sinks. Keep the secret in a variable of "
            "its own, e.g. env:ALERT_WEBHOOK_TOKEN."
        )
    return name


def _secret_file(reference: str, what: str, error: type[Exception]) -> Path:
    raw = reference.removeprefix("file:")
    path = Path(raw).expanduser()
    if not path.is_absolute():
        raise error(
            f"The {what} refers to {reference!r}; a secrets file needs an "
            "absolute path: file:/run/secrets/alert_token."
        )
    resolved = path.resolve()
    for folder in (resolved, *resolved.parents):
        if (folder / _WORKSPACE_DIRNAME).is_dir() or folder.name == _WORKSPACE_DIRNAME:
            raise error(
                f"The {what} refers to {resolved}, inside the Rung project "
                f"{folder}, where it could be committed or shared with the "
                "workspace. Keep secrets files outside the project (e.g. "
                "file:/run/secrets/NAME) or use env:NAME."
            )
    return resolved
