"""Running the model server with uvicorn: one process, or several workers.

``rung.serving.serve_deployment`` binds the socket itself (so "port in use"
is a clear error before anything starts) and hands it to uvicorn through
:func:`run_model_server`. With one worker the app runs in the
CLI's process, with the model it already loaded. With several, uvicorn's
supervisor starts worker processes that each build their workspace from the
project's settings and load the model; the CLI passes them the serving
configuration in ``RUNG_SERVE_CONFIG`` (JSON, no token: only its hash).
SIGTERM or Ctrl-C stops each process gracefully, which flushes its log.

Before serving, each process freezes the objects it holds (``gc.freeze``):
the modules and the model live as long as the server, and a full garbage
collection that walked them (200,000 objects and more with scikit-learn,
pandas and pyarrow loaded) paused the event loop for 100 ms or more. The
prediction log keeps rows alive for seconds, which makes full collections
frequent: these pauses were the tail latency of a logging server.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.util
import json
import os
import socket
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

    from fastapi import FastAPI

    from rung.serving import ServedModel, ServeOptions
    from rung.workspace import Workspace

__all__ = ["CONFIG_ENV", "run_model_server", "worker_app"]

CONFIG_ENV = "RUNG_SERVE_CONFIG"


def run_model_server(
    workspace: Workspace,
    uri: str,
    options: ServeOptions,
    sock: socket.socket,
    *,
    served: ServedModel | None = None,
    deployment_id: str | None = None,
) -> None:
    """Serve until SIGTERM/SIGINT; return after every log is flushed."""

    if options.workers == 1:
        app: Any = _app(
            workspace, uri, options, served=served, deployment_id=deployment_id
        )
        config = _config(app, options, factory=False)
        config.load()  # the protocol modules, imported before the freeze
        _freeze_heap()
        _Server(config).run(sockets=[sock])
        return
    from uvicorn.supervisors import Multiprocess

    os.environ[CONFIG_ENV] = json.dumps(
        {
            "uri": uri,
            "options": options.to_dict(),
            "deployment_id": deployment_id,
            "cwd": os.getcwd(),
        }
    )
    config = _config("rung.server._run:worker_app", options, factory=True)
    Multiprocess(config, sockets=[sock]).run()


class _Server:
    """uvicorn's Server, minus re-raising SIGTERM/SIGINT after a clean stop.

    uvicorn re-raises the signal that stopped it, which would kill the CLI
    before it records the deployment as stopped; the stop was graceful (every
    buffered prediction is written), so ``rung serve`` exits 0 instead.
    """

    def __new__(cls, config: Any) -> Any:
        import uvicorn

        class Server(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self) -> Iterator[None]:
                with super().capture_signals():
                    yield
                    self._captured_signals.clear()

        return Server(config)


def worker_app() -> FastAPI:
    """The app of one worker process (a uvicorn factory; reads CONFIG_ENV)."""
    from pathlib import Path

    from rung._session import workspace_from_settings
    from rung.serving import ServeOptions
    from rung.settings import load_settings

    # The interface edge: the CLI process handed this worker its config.
    spec = json.loads(os.environ[CONFIG_ENV])
    workspace = workspace_from_settings(load_settings(Path(spec["cwd"])))
    options = ServeOptions.from_dict(spec["options"])
    app = _app(
        workspace,
        spec["uri"],
        options,
        deployment_id=spec["deployment_id"],
        on_close=workspace.close,
    )
    _freeze_heap()
    return app


def _freeze_heap() -> None:
    """Leave what is loaded now out of garbage collections (module docstring)."""
    import pyarrow.parquet  # noqa: F401  (the prediction log's writer)

    gc.freeze()


def _app(
    workspace: Workspace,
    uri: str,
    options: ServeOptions,
    *,
    served: ServedModel | None = None,
    deployment_id: str | None = None,
    on_close: Any = None,
) -> FastAPI:
    from rung.server._serving_app import create_serving_app
    from rung.serving import ModelService

    service = ModelService(
        workspace, uri, options, served=served, deployment_id=deployment_id
    )
    return create_serving_app(
        service,
        token_hash=options.token_hash,
        max_body_bytes=options.max_body_bytes,
        on_close=on_close,
        webhooks=options.webhooks,
    )


def _config(app: Any, options: ServeOptions, *, factory: bool) -> Any:
    import uvicorn

    fast = importlib.util.find_spec("uvloop") is not None
    return uvicorn.Config(
        app,
        factory=factory,
        host=options.host,
        port=options.port,
        workers=options.workers,
        loop="uvloop" if fast else "asyncio",
        http="httptools" if importlib.util.find_spec("httptools") else "h11",
        lifespan="on",
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=30,
    )
