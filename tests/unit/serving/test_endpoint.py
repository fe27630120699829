"""``serve_deployment``: a deployment's lifecycle around the HTTP server."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import pytest

from rung.errors import ModelVersionNotFoundError, ServerStartError
from rung.serving import (
    Endpoint,
    ServedModel,
    ServeOptions,
    bind_socket,
    serve_deployment,
)

if TYPE_CHECKING:
    from rung.registry.records import ModelVersionRecord
    from rung.serving.records import DeploymentRecord
    from rung.workspace import Workspace


class FakeServer:
    """Records what it was asked to serve; raises ``error`` if given."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.calls: list[tuple[str, int, ServedModel | None, str | None]] = []

    def __call__(
        self,
        workspace: Workspace,
        uri: str,
        options: ServeOptions,
        sock: socket.socket,
        *,
        served: ServedModel | None = None,
        deployment_id: str | None = None,
    ) -> None:
        self.calls.append((uri, sock.getsockname()[1], served, deployment_id))
        if self.error is not None:
            raise self.error


def test_a_deployment_is_recorded_running_then_stopped(
    workspace: Workspace, churn: list[ModelVersionRecord]
) -> None:
    server = FakeServer()
    ready: list[Endpoint] = []
    finished: list[DeploymentRecord] = []
    record = serve_deployment(
        workspace,
        "churn@production",
        ServeOptions(port=0),
        server,
        on_ready=ready.append,
        on_finish=finished.append,
    )
    [endpoint] = ready
    assert endpoint.deployment.status == "running"
    assert (endpoint.served.name, endpoint.served.version) == ("churn", 1)
    [(uri, port, served, deployment_id)] = server.calls
    assert (uri, served, deployment_id) == (
        "churn@production",
        endpoint.served,
        record.id,
    )
    assert endpoint.url == f"http://127.0.0.1:{port}"
    assert finished == [record]
    assert (record.status, record.model, record.alias) == (
        "stopped",
        "churn",
        "production",
    )


def test_a_server_that_raises_leaves_the_deployment_failed(
    workspace: Workspace, churn: list[ModelVersionRecord]
) -> None:
    finished: list[DeploymentRecord] = []
    with pytest.raises(RuntimeError, match="boom"):
        serve_deployment(
            workspace,
            "churn/2",
            ServeOptions(port=0, workers=2),
            FakeServer(RuntimeError("boom")),
            on_finish=finished.append,
        )
    [record] = finished
    assert (record.status, record.version) == ("failed", 2)
    assert workspace.deployments.get_deployment(record.id).status == "failed"


def test_nothing_is_recorded_when_the_endpoint_cannot_start(
    workspace: Workspace, churn: list[ModelVersionRecord]
) -> None:
    server = FakeServer()
    with pytest.raises(ServerStartError, match="needs --allow-remote"):
        serve_deployment(workspace, "churn/1", ServeOptions(host="192.0.2.1"), server)
    with pytest.raises(ModelVersionNotFoundError, match="no alias 'staging'"):
        serve_deployment(workspace, "churn@staging", ServeOptions(port=0), server)
    with bind_socket("127.0.0.1", 0) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(ServerStartError, match=f"Port {port} .* in use"):
            serve_deployment(workspace, "churn/1", ServeOptions(port=port), server)
    assert server.calls == []
    assert workspace.deployments.list_deployments(project=workspace.project) == []
