"""Serving a model URI as a deployment: load, check, bind, record, run, finish.

:func:`serve_deployment` is the whole lifecycle of ``rung serve``; the CLI
only turns flags into :class:`ServeOptions` and prints. The HTTP server
itself lives one layer up (``rung.server``), so it is passed in as the
``run`` callable: ``rung.server.run_model_server`` in production, anything
with the same signature in tests.
"""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from rung.errors import ServerStartError
from rung.registry import parse_model_uri
from rung.serving._deploy import (
    check_bind,
    endpoint_name,
    endpoint_read,
    finish_deployment,
    start_deployment,
)
from rung.serving._model import ServedModel

if TYPE_CHECKING:
    from collections.abc import Callable

    from rung.serving._options import ServeOptions
    from rung.serving.records import DeploymentRecord
    from rung.workspace import Workspace

__all__ = ["Endpoint", "ServerRunner", "bind_socket", "serve_deployment"]


class ServerRunner(Protocol):
    """Serves HTTP on a bound socket until stopped (``rung.server.run_model_server``).

    ``served`` is the model already loaded (None: each worker loads its own).
    """

    def __call__(
        self,
        workspace: Workspace,
        uri: str,
        options: ServeOptions,
        sock: socket.socket,
        *,
        served: ServedModel | None = None,
        deployment_id: str | None = None,
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A deployment that is about to answer requests.

    Attributes:
        deployment: its record (status ``running``).
        served: the model version loaded.
        url: where it listens, with the port actually bound.
    """

    deployment: DeploymentRecord
    served: ServedModel
    url: str


def serve_deployment(
    workspace: Workspace,
    uri: str,
    options: ServeOptions,
    run: ServerRunner,
    *,
    on_ready: Callable[[Endpoint], None] | None = None,
    on_finish: Callable[[DeploymentRecord], None] | None = None,
) -> DeploymentRecord:
    """Serve the model ``uri`` names until the server stops; record it all.

    Checks the bind (remote hosts need a token), loads the version (the
    load passes the residency checks, path ``serve``), binds the port (a
    taken port fails here, before anything is recorded), records a running
    deployment, runs the server, and marks the deployment ``stopped`` (or
    ``failed`` if the server raised).

    Args:
        workspace: where the model is registered and the deployment recorded.
        uri: ``NAME@ALIAS`` (followed when it moves) or ``NAME/VERSION``.
        options: how to serve.
        run: the HTTP server (see :class:`ServerRunner`).
        on_ready: called once the deployment is recorded, before serving.
        on_finish: called with the finished record, even when the server failed.

    Returns:
        The finished deployment record.

    Raises:
        ServerStartError: an unsafe bind, a bad option or a port in use.
        ModelNotFoundError / ModelVersionNotFoundError: nothing to serve.
        PolicyViolationError: residency policies refuse this endpoint.

    Example:
        >>> from rung.server import run_model_server
        >>> serve_deployment(ws, "churn@production", ServeOptions(), run_model_server)
        ... # doctest: +SKIP
    """
    check_bind(options)
    ref = parse_model_uri(uri)
    name = endpoint_name(options, ref.name, ref.alias, ref.version)
    served = ServedModel.load(
        workspace,
        ref,
        allow_pickle=options.allow_pickle,
        nan_policy=options.nan_policy,
        read=endpoint_read(workspace, options, name),
    )
    sock = bind_socket(options.host, options.port)
    status = "failed"
    try:
        deployment = start_deployment(workspace, served, options)
    except BaseException:
        sock.close()
        raise
    try:
        if on_ready is not None:
            url = f"http://{options.host}:{sock.getsockname()[1]}"
            on_ready(Endpoint(deployment, served, url))
        alone = served if options.workers == 1 else None
        run(workspace, uri, options, sock, served=alone, deployment_id=deployment.id)
        status = "stopped"
    finally:
        sock.close()
        finished = finish_deployment(workspace, deployment.id, status)
        if on_finish is not None:
            on_finish(finished)
    return finished


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``.

    Raises:
        ServerStartError: the port is taken, or the address is not local.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ServerStartError(
                f"Port {port} on {host} is already in use. Stop what listens "
                f"there, or pick another port with --port (e.g. --port {port + 1})."
            ) from exc
        raise ServerStartError(f"Cannot listen on {host}:{port}: {exc}.") from exc
    sock.set_inheritable(True)
    return sock
