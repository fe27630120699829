"""The ``TriggerStore`` protocol and the rules every backend keeps.

Three small protocols: triggers (:class:`TriggerRecords`), the dispatch
ledger with its once-per-event guarantee (:class:`DispatchRecords`), and the
leader lease (:class:`LeaseRecords`). ``ws.triggers`` of a workspace.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol, runtime_checkable

from rung.automation.errors import DispatchNotFoundError, TriggerNotFoundError
from rung.automation.records import (
    DISPATCH_OUTCOMES,
    TRIGGER_KINDS,
    TRIGGER_STATES,
    DispatchRecord,
    LeaseRecord,
    TriggerRecord,
)
from rung.errors import InvalidRecordError
from rung.store import check_choice, clean_mapping

__all__ = [
    "DispatchRecords",
    "LeaseRecords",
    "TriggerRecords",
    "TriggerStore",
    "clean_dispatch",
    "clean_trigger",
    "clean_trigger_changes",
    "dispatch_not_found",
    "trigger_not_found",
]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_CHANGEABLE = frozenset(
    {"pipeline", "spec", "params", "policy", "state", "cursor", "description"}
)
_MAPPINGS = ("spec", "params", "policy", "cursor")


@runtime_checkable
class TriggerRecords(Protocol):
    """Triggers of a project."""

    def add_trigger(self, trigger: TriggerRecord) -> None:
        """Insert a trigger; InvalidRecordError when the name is taken."""
        ...

    def get_trigger(self, project: str, name: str) -> TriggerRecord:
        """Return a trigger; TriggerNotFoundError if none."""
        ...

    def list_triggers(self, project: str) -> list[TriggerRecord]:
        """Return the project's triggers, by name."""
        ...

    def update_trigger(
        self, project: str, name: str, changes: Mapping[str, Any]
    ) -> TriggerRecord:
        """Change fields (see ``_CHANGEABLE``) in one transaction."""
        ...

    def delete_trigger(self, project: str, name: str) -> None:
        """Delete a trigger (its ledger stays, for the record)."""
        ...


@runtime_checkable
class DispatchRecords(Protocol):
    """The ledger: every evaluation, and each event fired at most once."""

    def add_dispatch(self, dispatch: DispatchRecord) -> DispatchRecord | None:
        """Append an entry (its ``id`` is assigned); return it.

        An entry with an ``event_key`` claims that key for its trigger: when
        the key is already claimed (by a ``fired``, ``queued`` or
        ``awaiting_approval`` entry), nothing is written and None is returned.
        That is what makes five concurrent sightings of one event start one run.
        """
        ...

    def update_dispatch(
        self, dispatch_id: int, changes: Mapping[str, Any]
    ) -> DispatchRecord:
        """Change ``outcome``, ``reason``, ``run_id``, ``holder``, ``params``."""
        ...

    def get_dispatch(self, project: str, dispatch_id: int) -> DispatchRecord:
        """Return one entry; DispatchNotFoundError if none."""
        ...

    def list_dispatches(
        self,
        project: str,
        *,
        trigger: str | None = None,
        outcomes: Sequence[str] | None = None,
        since: float | None = None,
        limit: int | None = 100,
    ) -> list[DispatchRecord]:
        """Return entries newest first, filtered."""
        ...


@runtime_checkable
class LeaseRecords(Protocol):
    """One leader per workspace."""

    def acquire_lease(
        self, name: str, holder: str, ttl: float, now: float
    ) -> LeaseRecord | None:
        """Take or renew the lease; None when another holder's is still valid."""
        ...

    def release_lease(self, name: str, holder: str) -> None:
        """Give the lease up (only its holder can)."""
        ...


@runtime_checkable
class TriggerStore(TriggerRecords, DispatchRecords, LeaseRecords, Protocol):
    """Everything automation stores."""


def clean_trigger(trigger: TriggerRecord) -> TriggerRecord:
    """Check a new trigger; return it with its mappings as every backend stores them."""
    if not isinstance(trigger.name, str) or not _NAME.fullmatch(trigger.name):
        raise InvalidRecordError(
            f"Trigger name {trigger.name!r} is not valid: use letters, digits, "
            "'.', '_' and '-', starting with a letter or digit (at most 128)."
        )
    check_choice(trigger.kind, TRIGGER_KINDS, "trigger kind")
    check_choice(trigger.state, TRIGGER_STATES, "trigger state")
    return replace(
        trigger,
        spec=clean_mapping(trigger.spec, "spec"),
        params=clean_mapping(trigger.params, "params"),
        policy=clean_mapping(trigger.policy, "policy"),
        cursor=clean_mapping(trigger.cursor, "cursor"),
    )


def clean_trigger_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Check the fields a trigger update may change."""
    unknown = sorted(set(changes) - _CHANGEABLE)
    if unknown:
        raise InvalidRecordError(
            f"Cannot change {', '.join(map(repr, unknown))} of a trigger. "
            f"Changeable: {', '.join(sorted(_CHANGEABLE))}."
        )
    out = dict(changes)
    if "state" in out:
        check_choice(out["state"], TRIGGER_STATES, "trigger state")
    for key in _MAPPINGS:
        if key in out:
            out[key] = clean_mapping(out[key], key)
    return out


def clean_dispatch(dispatch: DispatchRecord) -> DispatchRecord:
    """Check a ledger entry."""
    check_choice(dispatch.outcome, DISPATCH_OUTCOMES, "dispatch outcome")
    return replace(
        dispatch,
        evidence=clean_mapping(dispatch.evidence, "evidence"),
        params=clean_mapping(dispatch.params, "params"),
        reason=str(dispatch.reason)[:2000],
    )


def dispatch_not_found(project: str, dispatch_id: int) -> DispatchNotFoundError:
    """Return the error for an unknown ledger entry."""
    return DispatchNotFoundError(
        f"Project {project!r} has no dispatch {dispatch_id} in its trigger ledger. "
        "Check the id in the trigger's ledger."
    )


def trigger_not_found(project: str, name: str) -> TriggerNotFoundError:
    """Return the error for an unknown trigger."""
    return TriggerNotFoundError(
        f"Project {project!r} has no trigger {name!r}. Check the name, or list "
        "the project's triggers."
    )
