"""Routing a server's traffic by the alias's rollout: shadow and canary.

A server that follows ``model@alias`` keeps a :class:`RolloutRouter`. Its
thread reads the alias's active rollout from the store every poll interval
(one indexed read; the rollout's ``generation`` says whether anything
changed), loads the challenger once, and publishes a :class:`Route` with one
reference assignment. A request reads that reference once:

- no rollout: the champion answers, as without a router;
- ``canary``: the request goes to the challenger when its routing key hashes
  below the share (the same key always lands on the same side), or, without
  a key, at random with that probability. When the challenger fails or
  refuses rows the champion accepts, the champion answers and the failure
  counts as a canary error;
- ``shadow``: the champion answers; the request's rows are handed to a
  background thread that predicts them with the challenger and logs them as
  ``shadow`` rows under the same prediction ids. The response never waits
  for it, and when that thread falls behind, mirrored requests are dropped
  (and counted) rather than queued without bound.

Each process counts requests, errors, rows and latency per arm and writes
its counters to the store with every poll (``rollout_stats``); the agent
judges the canary on their sum over every worker.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import logging
import os
import queue
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rung._internal.ids import new_id
from rung._internal.timeutil import now
from rung.errors import InvalidInputError, RungError
from rung.serving._decode import decode_inputs
from rung.serving._model import concat_columns
from rung.serving._write import BatchOrigin, Entry
from rung.serving.records import RolloutStatRecord

if TYPE_CHECKING:
    from collections.abc import Callable

    from rung.registry.records import ModelVersionRecord
    from rung.serving._batcher import Batcher
    from rung.serving._ids import IdRange
    from rung.serving._inputs import Columns
    from rung.serving._log import PredictionLog
    from rung.serving._model import Outputs, ServedModel
    from rung.serving.records import RolloutRecord
    from rung.serving.store import RolloutStore
    from rung.workspace import Workspace

__all__ = [
    "LATENCY_BOUNDS_MS",
    "ROUTING_KEY_HEADER",
    "RolloutRouter",
    "Route",
    "latency_quantile",
    "rollout_store",
]

_log = logging.getLogger("rung.serving")

_Mirrored = tuple["Route", "Columns", "IdRange", float]
"""A mirrored request: its route, checked columns, prediction ids, time."""

ROUTING_KEY_HEADER = "x-rung-routing-key"
"""The request header whose value routes a request deterministically."""

LATENCY_BOUNDS_MS: tuple[float, ...] = (
    1,
    2,
    5,
    10,
    20,
    50,
    100,
    200,
    500,
    1000,
    2000,
    5000,
)
"""Upper bounds of the latency buckets (one more bucket holds the rest)."""

_SHADOW_QUEUE = 256
_SHADOW_BATCH = 64


def rollout_store(workspace: Workspace) -> RolloutStore:
    """The workspace's rollout store (``rollouts`` in ``rung.sql_stores``)."""
    store: RolloutStore = workspace.store("rollouts")
    return store


def latency_quantile(buckets: tuple[int, ...] | list[int], q: float) -> float | None:
    """The bucket bound under which a share ``q`` of requests answered (ms).

    Returns None without requests; ``inf`` when the quantile is in the last,
    unbounded bucket.
    """
    total = sum(buckets)
    if total == 0:
        return None
    wanted = q * total
    seen = 0
    for k, count in enumerate(buckets):
        seen += count
        if seen >= wanted:
            return LATENCY_BOUNDS_MS[k] if k < len(LATENCY_BOUNDS_MS) else float("inf")
    return float("inf")


@dataclass(frozen=True, slots=True)
class Route:
    """What a request reads: the rollout's stage, share and loaded challenger."""

    rollout_id: str
    stage: str
    share: float
    generation: int
    challenger: ServedModel

    def takes(self, key: str | None) -> bool:
        """True when this request goes to the canary."""
        if self.stage != "canary":
            return False
        if key:
            digest = hashlib.blake2b(
                f"{self.rollout_id}:{key}".encode(), digest_size=8
            ).digest()
            return int.from_bytes(digest, "big") / 2**64 < self.share
        return random.random() < self.share  # noqa: S311 - routing, not security


@dataclass(slots=True)
class _Arm:
    version: int
    requests: int = 0
    errors: int = 0
    rows: int = 0
    latency_ms_sum: float = 0.0
    buckets: list[int] = field(
        default_factory=lambda: [0] * (len(LATENCY_BOUNDS_MS) + 1)
    )

    def add(self, rows: int, seconds: float, *, error: bool = False) -> None:
        ms = seconds * 1000.0
        self.requests += 1
        self.errors += error
        self.rows += rows
        self.latency_ms_sum += ms
        self.buckets[bisect.bisect_left(LATENCY_BOUNDS_MS, ms)] += 1


class RolloutRouter:
    """Follows the active rollout of ``model@alias`` for one server process.

    Args:
        workspace: where rollouts are stored and shadow rows are logged.
        model / alias: the alias the server follows.
        load: loads a version record for serving (the service's loader).
        interval: seconds between reads of the store.
        shadow_log: where the challenger's mirrored predictions are logged.
        deployment_id: the deployment that logs them, if any.

    Example:
        >>> router = RolloutRouter(ws, "churn", "production", load, interval=1.0,
        ...                        shadow_log=log)  # doctest: +SKIP
        >>> router.refresh()  # doctest: +SKIP
    """

    def __init__(
        self,
        workspace: Workspace,
        model: str,
        alias: str,
        load: Callable[[ModelVersionRecord], ServedModel],
        *,
        interval: float,
        shadow_log: PredictionLog,
        deployment_id: str | None = None,
    ) -> None:
        self.workspace = workspace
        self.model = model
        self.alias = alias
        self.interval = interval
        self.shadow_log = shadow_log
        self.deployment_id = deployment_id
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{new_id()[:6]}"
        self.route: Route | None = None
        self.shadow_dropped = 0
        self._load = load
        self._arms: dict[str, _Arm] = {}
        self._arms_of: str | None = None
        self._lock = threading.Lock()
        self._shadow: queue.Queue[tuple[Route, Columns, IdRange, float]] = queue.Queue(
            _SHADOW_QUEUE
        )
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> None:
        """Read the rollout now, then poll it and run the shadow worker."""
        self._safely(self.refresh)
        self.shadow_log.start()
        for target, name in (
            (self._poll, "rung-rollout-poller"),
            (self._mirror, "rung-shadow-worker"),
        ):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def close(self) -> None:
        """Finish the mirrored requests waiting, write counters and shadow rows."""
        self._stop.set()
        for thread in self._threads:
            thread.join()
        self._threads.clear()
        self._safely(self.report)
        self.shadow_log.close()

    # -- the request path ------------------------------------------------------

    async def predict(  # noqa: PLR0917
        self,
        route: Route,
        champion: ServedModel,
        body: bytes,
        content_type: str | None,
        key: str | None,
        batcher: Batcher,
    ) -> tuple[ServedModel, Outputs, IdRange]:
        """Answer one request under ``route``; count it for its arm."""
        started = time.perf_counter()
        if route.takes(key):
            answered = await self._canary(route, champion, body, content_type, batcher)
            if answered is not None:
                return answered
        columns, rows = decode_inputs(body, content_type, champion.schema)
        outputs, ids = await batcher.predict(champion, columns, rows)
        self._count(route, "champion", champion.version, rows, started)
        if route.stage == "shadow":
            self._offer(route, columns, ids)
        return champion, outputs, ids

    async def _canary(
        self,
        route: Route,
        champion: ServedModel,
        body: bytes,
        content_type: str | None,
        batcher: Batcher,
    ) -> tuple[ServedModel, Outputs, IdRange] | None:
        challenger = route.challenger
        started = time.perf_counter()
        try:
            columns, rows = decode_inputs(body, content_type, challenger.schema)
        except InvalidInputError:
            # Bad for the champion too? Then it is the client's error, not the
            # canary's: the champion's own check says so below.
            decode_inputs(body, content_type, champion.schema)
            self._count(route, "canary", challenger.version, 0, started, error=True)
            return None
        try:
            outputs, ids = await batcher.predict(challenger, columns, rows)
        except RungError:
            self._count(route, "canary", challenger.version, rows, started, error=True)
            _log.warning(
                "The canary %s failed a request; the champion answers it.",
                challenger.label,
                exc_info=True,
            )
            return None
        self._count(route, "canary", challenger.version, rows, started)
        return challenger, outputs, ids

    def _count(
        self,
        route: Route,
        arm: str,
        version: int,
        rows: int,
        started: float,
        *,
        error: bool = False,
    ) -> None:
        seconds = time.perf_counter() - started
        self._record(route, arm, version, rows, seconds, error=error)

    def _record(
        self,
        route: Route,
        arm: str,
        version: int,
        rows: int,
        seconds: float,
        *,
        error: bool = False,
    ) -> None:
        with self._lock:
            self._arm(route.rollout_id, arm, version).add(rows, seconds, error=error)

    def _arm(self, rollout_id: str, arm: str, version: int) -> _Arm:
        if self._arms_of != rollout_id:  # a new rollout starts from zero
            self._arms, self._arms_of = {}, rollout_id
        found = self._arms.get(arm)
        if found is None or found.version != version:
            found = self._arms[arm] = _Arm(version)
        return found

    def _offer(self, route: Route, columns: Columns, ids: IdRange) -> None:
        try:
            self._shadow.put_nowait((route, columns, ids, time.time()))
        except queue.Full:
            self.shadow_dropped += 1

    # -- the background threads ------------------------------------------------

    def refresh(self) -> None:
        """Read the alias's active rollout; load its challenger when it is new."""
        active = rollout_store(self.workspace).active_rollout(
            self.workspace.project, self.model, self.alias
        )
        self.route = self._route_for(active)

    def _route_for(self, active: RolloutRecord | None) -> Route | None:
        current = self.route
        if active is None:
            return None
        if current is not None and current.rollout_id == active.id:
            if current.generation == active.generation:
                return current
            challenger = current.challenger
        else:
            record = self.workspace.models.get_model_version(
                self.workspace.project, active.model, active.challenger_version
            )
            challenger = self._load(record)
            _log.warning(
                "Rollout %s: %s in %s (%s of traffic)",
                active.id[:12],
                challenger.label,
                active.stage,
                f"{active.share:.0%}" if active.stage == "canary" else "a mirror",
            )
        return Route(
            active.id, active.stage, active.share, active.generation, challenger
        )

    def report(self) -> None:
        """Write this process's counters of the current rollout to the store."""
        with self._lock:
            rollout_id = self._arms_of
            arms = {name: _copy(arm) for name, arm in self._arms.items()}
        if rollout_id is None or not arms:
            return
        at = now()
        rollout_store(self.workspace).put_rollout_stats(
            [
                RolloutStatRecord(
                    rollout_id,
                    self.worker,
                    name,
                    arm.version,
                    arm.requests,
                    arm.errors,
                    arm.rows,
                    arm.latency_ms_sum,
                    tuple(arm.buckets),
                    at,
                )
                for name, arm in arms.items()
            ]
        )

    def _poll(self) -> None:
        while not self._stop.wait(self.interval):
            self._safely(self.refresh)
            self._safely(self.report)

    def _mirror(self) -> None:
        while True:
            try:
                first = self._shadow.get(timeout=0.2)
            except queue.Empty:
                if self._stop.is_set():
                    return
                continue
            # Requests mirrored meanwhile share one model call, as the
            # batcher does for answered ones: the shadow costs less CPU.
            jobs = [first]
            while len(jobs) < _SHADOW_BATCH:
                try:
                    jobs.append(self._shadow.get_nowait())
                except queue.Empty:
                    break
            for _, group in itertools.groupby(jobs, key=_batch_key):
                try:
                    self._score_shadow(list(group))
                except Exception:  # one bad batch never stops the others
                    _log.exception(
                        "Shadow scoring of %s@%s failed", self.model, self.alias
                    )

    def _score_shadow(self, jobs: list[_Mirrored]) -> None:
        route = jobs[0][0]
        challenger = route.challenger
        started = time.perf_counter()
        try:
            outputs = challenger.predict(concat_columns([job[1] for job in jobs]))
        except RungError:
            if len(jobs) > 1:  # find the request(s) the challenger refused
                for job in jobs:
                    self._score_shadow([job])
                return
            seconds = time.perf_counter() - started
            self._record(route, "shadow", challenger.version, 0, seconds, error=True)
            return
        share = (time.perf_counter() - started) / len(jobs)
        origin = BatchOrigin(challenger.name, challenger.version, self.deployment_id)
        start = 0
        for _, columns, ids, at in jobs:
            self._record(route, "shadow", challenger.version, len(ids), share)
            part = outputs.slice(start, start + len(ids))
            self.shadow_log.append(Entry(origin, at, ids, columns, part))
            start += len(ids)

    def _safely(self, work: Callable[[], None]) -> None:
        try:
            work()
        except Exception:  # a router thread that dies would stop all routing
            _log.exception("Rollout routing of %s@%s failed", self.model, self.alias)


def _batch_key(job: _Mirrored) -> tuple[int, tuple[str, ...]]:
    # Consecutive requests of one route and one input schema are joined.
    return id(job[0]), tuple(job[1])


def _copy(arm: _Arm) -> _Arm:
    return _Arm(
        arm.version,
        arm.requests,
        arm.errors,
        arm.rows,
        arm.latency_ms_sum,
        list(arm.buckets),
    )
