"""The model server's ASGI app: /predict, /feedback, health, version, metrics.

The hot endpoints are plain Starlette routes on the FastAPI app: no request
model, no dependency injection, one read of the body with a size limit, and
errors mapped through ``server/errors.py``. Validation, batching and logging
happen in ``rung.serving``; nothing here waits on the database.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

import rung
from rung.errors import PayloadTooLargeError, RungError
from rung.server._auth import TokenCheck
from rung.server._metrics import ServingMetrics
from rung.server.errors import error_body, status_for
from rung.serving._decode import (
    ARROW_TYPE,
    JSON_TYPE,
    encode_arrow,
    encode_json,
    wants_arrow,
)
from rung.serving._route import ROUTING_KEY_HEADER

if TYPE_CHECKING:
    from starlette.requests import Request

    from rung.serving import ModelService

__all__ = ["create_serving_app"]


def create_serving_app(
    service: ModelService,
    *,
    token_hash: str | None = None,
    max_body_bytes: int = 16 * 1024 * 1024,
    on_close: Callable[[], None] | None = None,
    webhooks: tuple[str, ...] = (),
) -> FastAPI:
    """The ASGI app serving ``service``.

    The app starts the service when it starts (log flusher, alias watcher)
    and closes it when it stops, which writes every buffered prediction.

    Args:
        service: the model service.
        token_hash: SHA-256 hex of the API token; when set, ``/predict``,
            ``/feedback`` and ``/metrics`` need ``Authorization: Bearer``.
        max_body_bytes: bigger bodies get 413.
        on_close: called after the service closed (e.g. close the workspace).
        webhooks: webhook triggers whose signed deliveries ``POST
            /webhooks/<trigger>`` accepts (``*``: all); none: no such route.

    Example:
        >>> from fastapi.testclient import TestClient
        >>> app = create_serving_app(service)  # doctest: +SKIP
        >>> with TestClient(app) as client:  # doctest: +SKIP
        ...     client.post("/predict", json={"inputs": [{"age": 31}]})
    """

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        service.start()
        try:
            yield
        finally:
            try:
                service.close()
            finally:
                if on_close is not None:
                    on_close()

    app = FastAPI(
        title="Rung model server",
        version=rung.__version__,
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    endpoints = _Endpoints(service, TokenCheck(token_hash), max_body_bytes)
    app.add_route("/predict", endpoints.predict, methods=["POST"])
    app.add_route("/feedback", endpoints.feedback, methods=["POST"])
    app.add_route("/healthz", endpoints.healthz, methods=["GET"])
    app.add_route("/readyz", endpoints.readyz, methods=["GET"])
    app.add_route("/version", endpoints.version, methods=["GET"])
    app.add_route("/metrics", endpoints.metrics, methods=["GET"])
    if webhooks:  # every other trigger, and every server without it, gets 404
        from rung.server._webhooks import WebhookEndpoint

        hook = WebhookEndpoint(
            service.workspace, webhooks, lambda r: _read_body(r, max_body_bytes)
        )
        app.add_route("/webhooks/{trigger}", hook.receive, methods=["POST"])
    app.state.service = service
    app.state.metrics = endpoints.stats
    return app


class _Endpoints:
    def __init__(self, service: ModelService, auth: TokenCheck, limit: int) -> None:
        self.service = service
        self.auth = auth
        self.limit = limit
        self.stats = ServingMetrics(service)

    async def predict(self, request: Request) -> Response:
        start = time.perf_counter()
        try:
            self.auth.check(request.headers.get("authorization"))
            body = await _read_body(request, self.limit)
            result = await self.service.predict(
                body,
                request.headers.get("content-type"),
                request.headers.get(ROUTING_KEY_HEADER),
            )
        except RungError as exc:
            return self._refuse("predict", exc, start)
        served, outputs = result.model, result.outputs
        if wants_arrow(request.headers.get("accept")):
            response = Response(
                encode_arrow(result.ids, outputs), media_type=ARROW_TYPE
            )
        else:
            content = encode_json(served.name, served.version, result.ids, outputs)
            response = Response(content, media_type=JSON_TYPE)
        self.stats.predicted(served, outputs, time.perf_counter() - start)
        return response

    async def feedback(self, request: Request) -> Response:
        start = time.perf_counter()
        try:
            self.auth.check(request.headers.get("authorization"))
            body = await _read_body(request, self.limit)
            # Checking ids may read the log (DuckDB): not on the event loop.
            result = await run_in_threadpool(
                self.service.feedback,
                body,
                request.headers.get("content-type"),
                user=f"http:{request.client.host if request.client else 'unknown'}",
            )
        except RungError as exc:
            return self._refuse("feedback", exc, start)
        self.stats.answered("feedback", 200, time.perf_counter() - start)
        return _json(result.to_json())

    async def healthz(self, _request: Request) -> Response:
        return _json({"status": "ok"})

    async def readyz(self, _request: Request) -> Response:
        served = self.service.current
        # A version that failed to load (and when it is tried again) shows
        # here: while loading, and while an older version keeps serving.
        failures = [f.describe() for f in self.service.load_failures]
        if served is None:
            body = {"status": "loading", "model": str(self.service.ref)}
            return _json({**body, "load_failures": failures}, 503)
        log = self.service.log.describe()
        # A full log backlog refuses predictions: not ready until it drains.
        behind = log["behind"] and self.service.options.log_predictions
        return _json(
            {
                "status": "log_behind" if behind else "ready",
                **served.describe(),
                "load_failures": failures,
                "log": log,
            },
            503 if behind else 200,
        )

    async def version(self, _request: Request) -> Response:
        served = self.service.current
        info: dict[str, Any] = {
            "model": self.service.ref.name,
            "alias": self.service.ref.alias,
            "version": None if served is None else served.version,
            "rung_version": rung.__version__,
            "deployment_id": self.service.deployment_id,
        }
        return _json(info)

    async def metrics(self, request: Request) -> Response:
        try:
            self.auth.check(request.headers.get("authorization"))
        except RungError as exc:
            return self._refuse("metrics", exc, time.perf_counter())
        return Response(
            generate_latest(self.stats.registry), media_type=CONTENT_TYPE_LATEST
        )

    def _refuse(self, endpoint: str, exc: RungError, start: float) -> Response:
        status, _ = status_for(exc)
        self.stats.answered(endpoint, status, time.perf_counter() - start)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return _json(error_body(exc), status, headers)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(int(declared), limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(size, limit)
        chunks.append(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _too_large(size: int, limit: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"The body has {size:,} bytes or more; this server takes at most "
        f"{limit:,} (rung serve --max-body-mb). Split the rows into smaller "
        "requests, or send Arrow IPC, which is smaller than JSON."
    )


def _json(
    content: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    body = json.dumps(content, separators=(",", ":"), default=str).encode()
    return Response(body, status_code=status, media_type=JSON_TYPE, headers=headers)
