"""The agent: one loop that evaluates triggers, monitors and dataset schedules.

Each tick the agent (1) takes or renews the workspace's lease — only the
leader acts, and if it dies another agent takes over once the lease expires;
(2) refreshes due datasets and runs due monitors, so that their new versions
and alerts are seen in the same tick; (3) moves running rollouts on (shadow ->
canary -> promotion, or back to the champion on a breach) and checks the
post-promotion watches, rolling back an alias that breached; (4) restarts
firings a killed agent left half-done; (5) starts queued firings; (6)
evaluates every active trigger. An error in one trigger is recorded in the
ledger and the others go on.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rung._internal.ids import new_id
from rung._internal.timeutil import now as _now
from rung.automation._events import Event, Snapshot, detect
from rung.automation._guards import decide, render_params
from rung.automation._runner import start_dispatch
from rung.automation.records import DispatchRecord

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from rung.automation.records import TriggerRecord
    from rung.workspace import Workspace

__all__ = ["Agent", "TickReport"]

_log = logging.getLogger("rung.automation")


@dataclass(frozen=True, slots=True)
class TickReport:
    """What one tick did.

    Attributes:
        holder: the agent's id.
        leader: False when another agent holds the lease (nothing was done).
        triggers: how many active triggers were evaluated.
        dispatches: the ledger entries this tick wrote (fired, skipped...).
        monitors: ``name -> status`` of the monitors it ran.
        datasets: names of the datasets it refreshed.
        failures: ``what -> reason`` for monitors and datasets that failed.
        duration_s: wall-clock seconds.
        watches: ``model@alias vN -> outcome`` of the promotion watches checked
            (``ok``, ``passed``, ``rolled_back``, ``superseded``, ``error``).
        rollouts: ``model@alias vN -> outcome`` of the rollouts checked
            (``ok``, ``canary``, ``promoted``, ``refused``, ``rolled_back``,
            ``superseded``, ``error``).
    """

    holder: str
    leader: bool
    triggers: int = 0
    dispatches: list[DispatchRecord] = field(default_factory=list)
    monitors: dict[str, str] = field(default_factory=dict)
    datasets: list[str] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    duration_s: float = 0.0
    watches: dict[str, str] = field(default_factory=dict)
    rollouts: dict[str, str] = field(default_factory=dict)

    def count(self, outcome: str) -> int:
        """How many entries of this tick had ``outcome``."""
        return sum(1 for d in self.dispatches if d.outcome == outcome)


class Agent:
    """Evaluates a workspace's triggers, monitors and dataset schedules.

    Args:
        workspace: the workspace (its project is the agent's scope).
        holder: this agent's id (default: host, pid and a random suffix).
        lease_ttl: seconds a lease lasts without renewal: how long a dead
            leader blocks the others.
        run_monitors: run due monitors every tick.
        refresh_datasets: refresh due datasets every tick.
        executor: where runs start (None: inside the tick, one after another).
        alert_allow_hosts: internal webhook receivers monitor alerts may reach.
        watch_promotions: check post-promotion watches and move rollouts on
            every tick.

    Example:
        >>> report = Agent(ws).tick()  # doctest: +SKIP
        >>> report.count("fired")  # doctest: +SKIP
        1
    """

    def __init__(
        self,
        workspace: Workspace,
        *,
        holder: str | None = None,
        lease_ttl: float = 30.0,
        run_monitors: bool = True,
        refresh_datasets: bool = True,
        executor: Executor | None = None,
        alert_allow_hosts: Sequence[str] = (),
        watch_promotions: bool = True,
    ) -> None:
        self.workspace = workspace
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{new_id()[:6]}"
        self.lease_ttl = lease_ttl
        self.run_monitors = run_monitors
        self.refresh_datasets = refresh_datasets
        self.executor = executor
        self.alert_allow_hosts = tuple(alert_allow_hosts)
        self.watch_promotions = watch_promotions

    @property
    def lease_name(self) -> str:
        """The lease all agents of this project compete for."""
        return f"agent/{self.workspace.project}"

    def tick(self, now: float | None = None) -> TickReport:
        """Evaluate everything once; return what was done."""
        started = time.perf_counter()
        at = _now() if now is None else now
        lease = self.workspace.triggers.acquire_lease(
            self.lease_name, self.holder, self.lease_ttl, at
        )
        if lease is None:
            return TickReport(self.holder, leader=False)
        written: list[DispatchRecord] = []
        monitors, datasets, failures = self._scheduled_work(at)
        rollouts = self._check_rollouts(at, failures)
        watches = self._check_promotions(at, failures)
        self._recover(at)
        written += self._start_queued(at)
        triggers = [
            t
            for t in self.workspace.triggers.list_triggers(self.workspace.project)
            if t.state == "active"
        ]
        snapshot = Snapshot(self.workspace)
        for trigger in triggers:
            written += self._evaluate(trigger, snapshot, at)
        return TickReport(
            self.holder,
            True,
            len(triggers),
            written,
            monitors,
            datasets,
            failures,
            time.perf_counter() - started,
            watches,
            rollouts,
        )

    def run_forever(
        self,
        interval: float = 10.0,
        stop: threading.Event | None = None,
        on_tick: Callable[[TickReport], None] | None = None,
    ) -> None:
        """Tick every ``interval`` seconds until ``stop`` is set; then step down."""
        stop = stop or threading.Event()
        try:
            while not stop.is_set():
                try:
                    report = self.tick()
                except Exception:  # the loop outlives any one bad tick
                    _log.exception("Agent tick failed; retrying next tick")
                else:
                    if on_tick is not None:
                        on_tick(report)
                stop.wait(interval)
        finally:
            self.close()

    def close(self) -> None:
        """Give up the lease, so another agent can lead at once."""
        self.workspace.triggers.release_lease(self.lease_name, self.holder)

    # -- the steps of a tick ---------------------------------------------------

    def _scheduled_work(
        self, at: float
    ) -> tuple[dict[str, str], list[str], dict[str, str]]:
        monitors: dict[str, str] = {}
        datasets: list[str] = []
        failures: dict[str, str] = {}
        if self.refresh_datasets:
            from rung.catalog import refresh_due

            due = refresh_due(self.workspace, now=at)
            datasets = [r.dataset.name for r in due.results]
            failures.update({f"dataset {k}": str(v) for k, v in due.failures.items()})
        if self.run_monitors:
            from rung.monitoring import run_due

            for result in run_due(
                self.workspace, now=at, alert_allow_hosts=self.alert_allow_hosts
            ):
                name = result.evaluation.monitor
                monitors[name] = result.evaluation.status
                if getattr(result, "error", None):
                    failures[f"monitor {name}"] = str(result.error)
        return monitors, datasets, failures

    def _check_promotions(self, at: float, failures: dict[str, str]) -> dict[str, str]:
        """Post-promotion watches (``rung.automation._watch``): a breach rolls back."""
        if not self.watch_promotions:
            return {}
        from rung.automation._watch import check_watches

        try:
            checks = check_watches(self.workspace, now=at)
        except Exception as exc:  # the rest of the tick goes on
            _log.warning("Checking promotion watches failed", exc_info=True)
            failures["watches"] = f"{type(exc).__name__}: {exc}"
            return {}
        return {
            f"{c.watch.model}@{c.watch.alias} v{c.watch.version}": c.outcome
            for c in checks
        }

    def _check_rollouts(self, at: float, failures: dict[str, str]) -> dict[str, str]:
        """Rollouts (``rung.automation._rollout_check``): advance or roll back."""
        if not self.watch_promotions:
            return {}
        from rung.automation._rollout_check import check_rollouts

        try:
            checks = check_rollouts(self.workspace, now=at)
        except Exception as exc:  # the rest of the tick goes on
            _log.warning("Checking rollouts failed", exc_info=True)
            failures["rollouts"] = f"{type(exc).__name__}: {exc}"
            return {}
        return {
            f"{c.rollout.model}@{c.rollout.alias} v{c.rollout.challenger_version}": (
                c.outcome
            )
            for c in checks
        }

    def _recover(self, at: float) -> None:
        from rung.automation._runner import recover_dispatch

        ledger = self.workspace.triggers.list_dispatches(
            self.workspace.project, outcomes=["fired"], limit=200
        )
        for dispatch in ledger:
            stamp = dispatch.updated_at or dispatch.evaluated_at
            # This agent's own firings without a run are waiting for its
            # executor, not orphaned: starting them again would run twice.
            mine = dispatch.holder == self.holder
            if dispatch.run_id is None and not mine and at - stamp > self.lease_ttl:
                recover_dispatch(self.workspace, dispatch, self.holder, self.executor)

    def _start_queued(self, at: float) -> list[DispatchRecord]:
        from rung.automation._guards import busy

        store = self.workspace.triggers
        queued = store.list_dispatches(
            self.workspace.project, outcomes=["queued"], limit=None
        )
        started = []
        for dispatch in reversed(queued):  # oldest first
            try:
                trigger = store.get_trigger(self.workspace.project, dispatch.trigger)
            except LookupError:
                store.update_dispatch(
                    dispatch.id, {"outcome": "error", "reason": "trigger deleted"}
                )
                continue
            if busy(self.workspace, trigger) >= int(
                trigger.policy.get("max_concurrent", 1)
            ):
                continue
            fired = store.update_dispatch(
                dispatch.id, {"outcome": "fired", "reason": "", "holder": self.holder}
            )
            event = Event(dispatch.event_key or "", chain=())
            started.append(self._start(trigger, fired, event))
        return started

    def _evaluate(
        self, trigger: TriggerRecord, snapshot: Snapshot, at: float
    ) -> list[DispatchRecord]:
        store = self.workspace.triggers
        try:
            events, cursor = detect(trigger, snapshot, at)
            written = [self._handle(trigger, event, at) for event in events]
        except Exception as exc:  # one broken trigger never stops the others
            _log.warning("Trigger %s failed", trigger.name, exc_info=True)
            entry = store.add_dispatch(
                DispatchRecord(
                    0,
                    trigger.project,
                    trigger.name,
                    at,
                    "error",
                    reason=f"{type(exc).__name__}: {exc}".splitlines()[0][:500],
                    holder=self.holder,
                )
            )
            return [entry] if entry is not None else []
        if cursor != dict(trigger.cursor):
            store.update_trigger(trigger.project, trigger.name, {"cursor": cursor})
        return [d for d in written if d is not None]

    def _handle(
        self, trigger: TriggerRecord, event: Event, at: float
    ) -> DispatchRecord | None:
        decision = decide(self.workspace, trigger, event, at)
        params = render_params(trigger.params, event.data)
        evidence = dict(event.evidence)
        if event.chain:
            evidence["_chain"] = ",".join(event.chain)
        dispatch = self.workspace.triggers.add_dispatch(
            DispatchRecord(
                0,
                trigger.project,
                trigger.name,
                at,
                decision.outcome,
                reason=decision.reason,
                event_key=event.key,
                evidence=evidence,
                params=params,
                holder=self.holder,
            )
        )
        if dispatch is not None and dispatch.outcome == "fired":
            return self._start(trigger, dispatch, event)
        return dispatch

    def _start(
        self, trigger: TriggerRecord, dispatch: DispatchRecord, event: Event
    ) -> DispatchRecord:
        """Start the firing's run; the entry as it is now, for the report.

        Started here and now (no executor), the entry says how it went: the
        run it started, or ``error`` with the reason it could not start.
        """
        start_dispatch(self.workspace, trigger, dispatch, event, self.executor)
        if self.executor is not None:
            return dispatch
        try:
            return self.workspace.triggers.get_dispatch(dispatch.project, dispatch.id)
        except LookupError:  # the trigger was deleted meanwhile
            return dispatch


def describe(report: TickReport) -> dict[str, Any]:
    """A JSON-able summary of a tick."""
    return {
        "holder": report.holder,
        "leader": report.leader,
        "triggers": report.triggers,
        "fired": report.count("fired"),
        "skipped": report.count("skipped"),
        "errors": report.count("error"),
        "monitors": report.monitors,
        "datasets": report.datasets,
        "failures": report.failures,
        "watches": report.watches,
        "rollouts": report.rollouts,
        "duration_s": round(report.duration_s, 4),
    }
