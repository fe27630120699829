"""Model names, aliases and model URIs (``churn@production``, ``churn/3``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rung._internal.timeutil import now
from rung.errors import InvalidModelReferenceError
from rung.registry.records import AuditNote

if TYPE_CHECKING:
    from collections.abc import Mapping

    from rung.workspace import Workspace

__all__ = [
    "LATEST",
    "ModelRef",
    "check_alias",
    "check_model_name",
    "note",
    "parse_model_uri",
]

LATEST = "latest"
"""The alias every model has: its newest version that is not archived."""

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_ALIAS = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")


@dataclass(frozen=True, slots=True)
class ModelRef:
    """A parsed model URI: a name plus either a version or an alias."""

    name: str
    version: int | None = None
    alias: str | None = None

    def __str__(self) -> str:
        if self.version is not None:
            return f"{self.name}/{self.version}"
        return f"{self.name}@{self.alias}"


def check_model_name(name: object) -> str:
    """Return ``name`` if it is a valid model name, else raise.

    Raises:
        InvalidModelReferenceError: not a string of letters, digits, ``_.-``.
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidModelReferenceError(
            f"Invalid model name {name!r}. Use letters, digits, '_', '.' and '-', "
            "starting with a letter or digit (e.g. 'churn-classifier')."
        )
    return name


def check_alias(alias: object) -> str:
    """Return ``alias`` if it is a valid alias that users may set, else raise.

    Raises:
        InvalidModelReferenceError: bad characters, or the reserved ``latest``.
    """
    if not isinstance(alias, str) or not _ALIAS.fullmatch(alias):
        raise InvalidModelReferenceError(
            f"Invalid alias {alias!r}. Use a letter followed by letters, digits, "
            "'_' or '-' (e.g. 'production', 'staging', 'shadow-eu')."
        )
    if alias == LATEST:
        raise InvalidModelReferenceError(
            "The alias 'latest' is reserved: it always means the newest version "
            "that is not archived. Choose another alias name."
        )
    return alias


def parse_model_uri(uri: str) -> ModelRef:
    """Parse ``name@alias``, ``name/VERSION`` or ``models:/name/...``.

    Example:
        >>> parse_model_uri("churn@production")
        ModelRef(name='churn', version=None, alias='production')
        >>> parse_model_uri("churn/3").version
        3

    Raises:
        InvalidModelReferenceError: any other shape.
    """
    text = uri.removeprefix("models:/") if isinstance(uri, str) else ""
    name, sep, alias = text.partition("@")
    if sep and _NAME.fullmatch(name) and _ALIAS.fullmatch(alias):
        return ModelRef(name, alias=alias)
    name, sep, number = text.rpartition("/")
    if sep and _NAME.fullmatch(name) and number.isdigit() and int(number) > 0:
        return ModelRef(name, version=int(number))
    raise InvalidModelReferenceError(
        f"Cannot read the model reference {uri!r}. Write 'NAME@ALIAS' "
        "(e.g. 'churn@production', 'churn@latest') or 'NAME/VERSION' "
        "(e.g. 'churn/3')."
    )


def note(
    workspace: Workspace,
    action: str,
    comment: str = "",
    details: Mapping[str, Any] | None = None,
) -> AuditNote:
    """An audit note for a change made now by the workspace's user."""
    return AuditNote(action, workspace.user, now(), comment or "", dict(details or {}))
