"""The model service behind ``rung serve``: predict, feedback, hot swap.

Framework-free: ``rung.server`` turns HTTP requests into calls of
:meth:`ModelService.predict` and :meth:`ModelService.feedback`.

Hot swap: when the service follows an alias, a thread reads the alias every
``poll_interval`` seconds (the metadata store is the source of truth). When
it moved, the new version is loaded and checked in that thread, then
published with one reference assignment; a lock makes the first load and the
watcher publish each version once. A version that fails to load is retried
with backoff (see ``rung.serving._retry``). A request reads the reference once
and uses that model for its whole life, so no request sees half a switch and
none fails because of it; the old model is freed after its last request.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rung._internal.timeutil import now
from rung.errors import (
    ModelNotReadyError,
    PredictionLogBehindError,
    RungError,
    UnsupportedMediaTypeError,
)
from rung.registry import parse_model_uri, resolve_model
from rung.serving._batcher import Batcher
from rung.serving._decode import JSON_TYPE, decode_inputs, media_type, parse_json
from rung.serving._deploy import endpoint_name, endpoint_read
from rung.serving._feedback import parse_feedback
from rung.serving._ids import IssuedIds
from rung.serving._intake import FeedbackIntake
from rung.serving._log import PredictionLog
from rung.serving._model import ServedModel
from rung.serving._retry import LoadFailure, LoadRetries
from rung.serving._write import BatchOrigin, Entry

if TYPE_CHECKING:
    from collections.abc import Callable

    from rung.registry.records import ModelVersionRecord
    from rung.serving._ids import IdRange
    from rung.serving._inputs import Columns
    from rung.serving._intake import FeedbackResult
    from rung.serving._model import Outputs
    from rung.serving._options import ServeOptions
    from rung.serving._route import RolloutRouter
    from rung.workspace import Workspace

__all__ = ["ModelService", "Prediction"]

_log = logging.getLogger("rung.serving")
_KEPT_ORIGINS = 8  # served versions whose log origin is kept (a rollout has two)


@dataclass(frozen=True, slots=True)
class Prediction:
    """One answered ``/predict``: the model that answered, ids and outputs."""

    model: ServedModel
    ids: IdRange
    outputs: Outputs


class ModelService:
    """Serves one model URI: the version behind it now, swapped when it moves.

    Args:
        workspace: where the model is registered and the log is written.
        uri: ``name@alias`` (followed) or ``name/N`` (fixed).
        options: serving options.
        served: the version already loaded (else :meth:`start` loads it).
        deployment_id: the deployment record to keep up to date, if any.

    Example:
        >>> options = ServeOptions()
        >>> service = ModelService(ws, "churn@production", options)  # doctest: +SKIP
        >>> service.start()  # doctest: +SKIP
        >>> service.close()  # doctest: +SKIP
    """

    def __init__(
        self,
        workspace: Workspace,
        uri: str,
        options: ServeOptions,
        *,
        served: ServedModel | None = None,
        deployment_id: str | None = None,
    ) -> None:
        self.workspace = workspace
        self.ref = parse_model_uri(uri)
        self.options = options
        self.deployment_id = deployment_id
        self.log = PredictionLog(
            workspace,
            max_rows=options.flush_rows,
            max_age=options.flush_seconds,
            max_pending_rows=options.max_backlog_rows,
        )
        self.swaps = 0
        self._origins: dict[ServedModel, BatchOrigin] = {}
        self.issued = IssuedIds()
        self.intake = FeedbackIntake(
            workspace, self.ref.name, issued=self.issued, deployment_id=deployment_id
        )
        self._current = served
        self._batcher = Batcher(options.max_batch_rows, self._on_batch)
        self.rollouts = None if self.ref.alias is None else self._router()
        self._listeners: list[Callable[[ServedModel | None, ServedModel], None]] = []
        self._retries = LoadRetries(base=options.poll_interval)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def current(self) -> ServedModel | None:
        """The version serving now (None until loaded)."""
        return self._current

    @property
    def is_ready(self) -> bool:
        """True once a model is loaded."""
        return self._current is not None

    def on_swap(
        self, listener: Callable[[ServedModel | None, ServedModel], None]
    ) -> None:
        """Call ``listener(old, new)`` whenever a version is published."""
        self._listeners.append(listener)

    def start(self) -> None:
        """Start the log flusher, load the model if needed, watch the alias."""
        self.log.start()
        if self._current is None:
            self._spawn(self._load_first, "rung-model-loader")
        elif self._listeners:
            for listener in self._listeners:
                listener(None, self._current)
        if self.ref.alias is not None:
            self._spawn(self._watch, "rung-alias-watcher")
        if self.rollouts is not None:
            self.rollouts.start()

    def close(self) -> None:
        """Stop watching, write the rest of the log. Idempotent."""
        self._stop.set()
        for thread in self._threads:
            thread.join()
        self._threads.clear()
        try:
            if self.rollouts is not None:
                self.rollouts.close()
        finally:
            self.log.close()

    async def predict(
        self, body: bytes, content_type: str | None, key: str | None = None
    ) -> Prediction:
        """Check, predict and log one request's rows.

        During a rollout of the alias, the request may be answered by the
        canary (``key`` routes it deterministically) or mirrored to the
        shadow (see ``rung.serving._route``).

        Raises:
            ModelNotReadyError: no model is loaded yet.
            PredictionLogBehindError: the log holds ``max_backlog_rows``
                unwritten rows; nothing is predicted until it catches up.
            UnsupportedMediaTypeError / MalformedPayloadError /
            InvalidInputError: the body is refused (nothing is logged).
        """
        served = self._current
        if served is None:
            raise ModelNotReadyError(
                f"The model {self.ref} is still loading; retry in a moment "
                "(GET /readyz says when it is ready)."
            )
        if self.options.log_predictions and self.log.is_behind:
            self.log.refuse()
            raise PredictionLogBehindError(
                f"The prediction log has {self.log.pending_rows:,} rows waiting to be "
                f"written (limit {self.log.max_pending_rows:,}): the store is not "
                "keeping up, so this prediction was refused rather than answered "
                "unlogged. Retry in a moment; GET /readyz says when the log has "
                "caught up."
            )
        router = self.rollouts
        route = None if router is None else router.route  # the one lookup
        if router is not None and route is not None:
            served, outputs, ids = await router.predict(
                route, served, body, content_type, key, self._batcher
            )
            return Prediction(served, ids, outputs)
        columns, rows = decode_inputs(body, content_type, served.schema)
        outputs, ids = await self._batcher.predict(served, columns, rows)
        return Prediction(served, ids, outputs)

    def _on_batch(
        self, served: ServedModel, columns: Columns, outputs: Outputs, ids: IdRange
    ) -> None:
        # One log entry per model call (not per request): the flusher's work
        # grows with model calls, which batching keeps few under load.
        at = time.time()
        self.issued.add(ids, at)  # labels for these ids are then recognised
        if self.options.log_predictions:
            self.log.append(Entry(self._origin(served), at, ids, columns, outputs))

    def _origin(self, served: ServedModel) -> BatchOrigin:
        # One origin object per served version: the log groups a run of
        # entries sharing it without comparing them field by field.
        origin = self._origins.get(served)
        if origin is None:
            if len(self._origins) >= _KEPT_ORIGINS:  # versions swapped out since
                self._origins = {}
            origin = BatchOrigin(served.name, served.version, self.deployment_id)
            self._origins[served] = origin
        return origin

    def feedback(
        self, body: bytes, content_type: str | None, *, user: str = ""
    ) -> FeedbackResult:
        """Check labels for prediction ids and buffer the accepted ones.

        Each label is accepted or rejected on its own (see
        ``rung.serving._intake``): invalid, for an unknown id, or for an id
        already labelled without ``"overwrite": true``.

        Args:
            body / content_type: the request.
            user: who sent it (recorded with the labels).

        Raises:
            UnsupportedMediaTypeError / MalformedPayloadError /
            InvalidInputError: the body is refused, or no label was accepted
                (the error lists why, per id).
        """
        if media_type(content_type) != JSON_TYPE:
            raise UnsupportedMediaTypeError(
                f"Send feedback as {JSON_TYPE}: "
                '{"feedback": [{"prediction_id": "...", "label": 1}]}.'
            )
        request = parse_feedback(parse_json(body))
        served = self._current
        result = self.intake.review(
            request.ids,
            request.labels,
            overwrite=request.overwrite,
            kind=None if served is None else served.label_kind,
            user=user,
        )
        if result.entry is not None:
            self.log.append_feedback(result.entry)
        result.raise_if_none_accepted()
        return result

    def check_alias(self) -> bool:
        """Swap to the version the alias points to now, if it moved.

        A version that fails to load is not served; it is tried again on a
        later check, after a wait that doubles with each failure (from the
        poll interval up to a minute), and listed in :attr:`load_failures`.

        Returns:
            True when a new version was published.
        """
        if self.ref.alias is None:
            return False
        return self._refresh()

    @property
    def load_failures(self) -> list[LoadFailure]:
        """The wanted version that failed to load, if any, and its next try."""
        return self._retries.failures()

    def _refresh(self) -> bool:
        """Load and publish the version the reference names now, if it is new.

        The loader thread and the alias watcher both come here: the lock makes
        one of them load and publish a version, the other then finds it served.
        """
        with self._lock:
            current = self._current
            try:
                record = resolve_model(self.workspace, self.ref)
            except RungError as exc:
                keeping = " (keeping the current version)" if current else ""
                _log.warning("Cannot read %s%s: %s", self.ref, keeping, exc)
                return False
            if current is not None and record.version == current.version:
                self._retries.keep_only(None)
                return False
            self._retries.keep_only(record.version)
            if not self._retries.is_due(record.version):
                return False
            try:
                new = self._load(record)
            except Exception as exc:
                failure = self._retries.failed(record.version, exc)
                _log.exception(
                    "%s %s v%s (failed %d time(s); next try in %.3g s)",
                    "Not switching to" if current else "Cannot load",
                    record.model,
                    record.version,
                    failure.attempts,
                    failure.retry_at - failure.failed_at,
                )
                return False
            self._retries.keep_only(None)
            self._publish(current, new)
            return True

    def _load(self, record: ModelVersionRecord) -> ServedModel:
        name = endpoint_name(self.options, record.model, self.ref.alias, record.version)
        return ServedModel.from_record(
            self.workspace,
            record,
            alias=self.ref.alias,
            allow_pickle=self.options.allow_pickle,
            nan_policy=self.options.nan_policy,
            read=endpoint_read(self.workspace, self.options, name),
        )

    def _publish(self, old: ServedModel | None, new: ServedModel) -> None:
        self._current = new  # one reference assignment: atomic for readers
        self.swaps += old is not None
        _log.warning(
            "Now serving %s v%s%s",
            new.name,
            new.version,
            f" (was v{old.version})" if old is not None else "",
        )
        if self.deployment_id is not None:
            try:
                self.workspace.deployments.update_deployment(
                    self.deployment_id, {"version": new.version, "updated_at": now()}
                )
            except RungError:
                _log.exception("Cannot update deployment %s", self.deployment_id)
        for listener in self._listeners:
            listener(old, new)

    def _router(self) -> RolloutRouter:
        from rung.serving._route import RolloutRouter

        shadow = PredictionLog(
            self.workspace,
            max_rows=self.options.flush_rows,
            max_age=self.options.flush_seconds,
            kind="shadow",
        )
        return RolloutRouter(
            self.workspace,
            self.ref.name,
            str(self.ref.alias),
            self._load,
            interval=min(self.options.poll_interval, 1.0),
            shadow_log=shadow,
            deployment_id=self.deployment_id,
        )

    def _load_first(self) -> None:
        while not self._stop.is_set() and self._current is None:
            if self._refresh():
                return
            self._stop.wait(self.options.poll_interval)

    def _watch(self) -> None:
        while not self._stop.wait(self.options.poll_interval):
            try:
                self.check_alias()
            except Exception:  # a watcher that dies would stop all swaps
                _log.exception("Checking the alias of %s failed", self.ref)

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)
