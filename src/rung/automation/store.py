"""The ``TriggerStore`` protocol and the rules every backend keeps.

Small protocols: triggers (:class:`TriggerRecords`), the dispatch ledger with
its once-per-event guarantee (:class:`DispatchRecords`), the leader lease
(:class:`LeaseRecords`), and champion/challenger records: comparisons
(:class:`ComparisonRecords`), post-promotion watches (:class:`WatchRecords`)
and their ledger (:class:`ChallengerEventRecords`). ``ws.triggers`` of a
workspace.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol, runtime_checkable

from rung.automation.errors import (
    ComparisonNotFoundError,
    DispatchNotFoundError,
    TriggerNotFoundError,
    WatchNotFoundError,
)
from rung.automation.records import (
    CHALLENGER_ACTIONS,
    COMPARISON_VERDICTS,
    DISPATCH_OUTCOMES,
    TRIGGER_KINDS,
    TRIGGER_STATES,
    WATCH_STATES,
    ChallengerComparison,
    ChallengerEventRecord,
    DispatchRecord,
    LeaseRecord,
    TriggerRecord,
    WatchRecord,
)
from rung.errors import InvalidRecordError
from rung.store import check_changeable, check_choice, clean_mapping

__all__ = [
    "ChallengerEventRecords",
    "ComparisonRecords",
    "DispatchRecords",
    "LeaseRecords",
    "TriggerRecords",
    "TriggerStore",
    "WatchRecords",
    "clean_challenger_event",
    "clean_comparison",
    "clean_dispatch",
    "clean_trigger",
    "clean_trigger_changes",
    "clean_watch",
    "clean_watch_changes",
    "comparison_not_found",
    "dispatch_not_found",
    "trigger_not_found",
    "watch_not_found",
]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_CHANGEABLE = frozenset(
    {"pipeline", "spec", "params", "policy", "state", "cursor", "description"}
)
_MAPPINGS = ("spec", "params", "policy", "cursor")
_COMPARISON_MAPPINGS = (
    "window",
    "champion_metrics",
    "challenger_metrics",
    "latency",
    "holdout",
    "settings",
)
_COMPARISON_LISTS = ("slices", "checks", "gates")
_WATCH_CHANGEABLE = frozenset({"state", "checked_at", "evidence", "ended_at", "reason"})


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
class ComparisonRecords(Protocol):
    """Champion/challenger comparisons: written once, never changed."""

    def add_comparison(self, comparison: ChallengerComparison) -> None:
        """Insert a comparison; InvalidRecordError when its id is taken."""
        ...

    def get_comparison(self, project: str, comparison_id: str) -> ChallengerComparison:
        """Return one by id or unique prefix; ComparisonNotFoundError if none."""
        ...

    def list_comparisons(
        self,
        project: str,
        *,
        model: str | None = None,
        version: int | None = None,
        limit: int | None = 100,
    ) -> list[ChallengerComparison]:
        """Return comparisons newest first; ``version`` in either role."""
        ...


@runtime_checkable
class WatchRecords(Protocol):
    """Aliases watched after a promotion."""

    def add_watch(self, watch: WatchRecord) -> None:
        """Insert a watch; InvalidRecordError when its id is taken."""
        ...

    def get_watch(self, project: str, watch_id: str) -> WatchRecord:
        """Return one by id or unique prefix; WatchNotFoundError if none."""
        ...

    def list_watches(
        self,
        project: str,
        *,
        model: str | None = None,
        alias: str | None = None,
        states: Sequence[str] | None = None,
        limit: int | None = 100,
    ) -> list[WatchRecord]:
        """Return watches newest first, filtered."""
        ...

    def update_watch(
        self, project: str, watch_id: str, changes: Mapping[str, Any]
    ) -> WatchRecord:
        """Change ``state``, ``checked_at``, ``evidence``, ``ended_at``, ``reason``."""
        ...


@runtime_checkable
class ChallengerEventRecords(Protocol):
    """The champion/challenger ledger: append only."""

    def add_challenger_event(
        self, event: ChallengerEventRecord
    ) -> ChallengerEventRecord:
        """Append an entry; return it with its ``id``."""
        ...

    def get_challenger_event(
        self, project: str, event_id: int
    ) -> ChallengerEventRecord | None:
        """Return one entry, or None."""
        ...

    def list_challenger_events(
        self,
        project: str,
        *,
        model: str | None = None,
        comparison_id: str | None = None,
        watch_id: str | None = None,
        actions: Sequence[str] | None = None,
        limit: int | None = 100,
    ) -> list[ChallengerEventRecord]:
        """Return entries newest first, filtered."""
        ...


@runtime_checkable
class TriggerStore(
    TriggerRecords,
    DispatchRecords,
    LeaseRecords,
    ComparisonRecords,
    WatchRecords,
    ChallengerEventRecords,
    Protocol,
):
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
    check_changeable(changes, _CHANGEABLE, "a trigger")
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
        "Check the id in the trigger's ledger.",
        dispatch_id=dispatch_id,
    )


def trigger_not_found(project: str, name: str) -> TriggerNotFoundError:
    """Return the error for an unknown trigger."""
    return TriggerNotFoundError(
        f"Project {project!r} has no trigger {name!r}. Check the name, or list "
        "the project's triggers.",
        trigger=name,
    )


def clean_comparison(comparison: ChallengerComparison) -> ChallengerComparison:
    """Check a comparison; return it as every backend stores it."""
    check_choice(comparison.verdict, COMPARISON_VERDICTS, "comparison verdict")
    for what in ("champion_version", "challenger_version"):
        value = getattr(comparison, what)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidRecordError(f"{what} must be a version >= 1, got {value!r}.")
    changes: dict[str, Any] = {
        key: clean_mapping(getattr(comparison, key), key)
        for key in _COMPARISON_MAPPINGS
    }
    for key in _COMPARISON_LISTS:
        changes[key] = tuple(
            clean_mapping(item, f"{key}[{i}]")
            for i, item in enumerate(getattr(comparison, key))
        )
    changes["notes"] = tuple(str(n) for n in comparison.notes)
    return replace(comparison, **changes)


def clean_watch(watch: WatchRecord) -> WatchRecord:
    """Check a watch; return it as every backend stores it."""
    check_choice(watch.state, WATCH_STATES, "watch state")
    return replace(
        watch,
        thresholds=clean_mapping(watch.thresholds, "thresholds"),
        evidence=clean_mapping(watch.evidence, "evidence"),
    )


def clean_watch_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Check the fields a watch update may change."""
    check_changeable(changes, _WATCH_CHANGEABLE, "a watch")
    out = dict(changes)
    if "state" in out:
        check_choice(out["state"], WATCH_STATES, "watch state")
    if "evidence" in out:
        out["evidence"] = clean_mapping(out["evidence"], "evidence")
    return out


def clean_challenger_event(event: ChallengerEventRecord) -> ChallengerEventRecord:
    """Check a ledger entry of the champion/challenger ledger."""
    check_choice(event.action, CHALLENGER_ACTIONS, "challenger action")
    return replace(
        event,
        evidence=clean_mapping(event.evidence, "evidence"),
        reason=str(event.reason)[:2000],
    )


def comparison_not_found(project: str, comparison_id: str) -> ComparisonNotFoundError:
    """Return the error for an unknown comparison."""
    return ComparisonNotFoundError(
        f"Project {project!r} has no challenger comparison {comparison_id!r}.",
        comparison_id=comparison_id,
    )


def watch_not_found(project: str, watch_id: str) -> WatchNotFoundError:
    """Return the error for an unknown watch."""
    return WatchNotFoundError(
        f"Project {project!r} has no promotion watch {watch_id!r}.",
        watch_id=watch_id,
    )
