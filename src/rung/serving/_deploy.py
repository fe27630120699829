"""Deployment records, bind safety, and how an endpoint reads its model."""

from __future__ import annotations

import ipaddress
import os
import socket
from typing import TYPE_CHECKING

from rung._internal.ids import new_id
from rung._internal.timeutil import now
from rung.errors import ServerStartError
from rung.serving.records import DeploymentRecord
from rung.workspace import ArtifactRead

if TYPE_CHECKING:
    from rung.serving._model import ServedModel
    from rung.serving._options import ServeOptions
    from rung.workspace import Workspace

__all__ = [
    "check_bind",
    "endpoint_name",
    "endpoint_read",
    "finish_deployment",
    "is_loopback",
    "reap_dead_deployments",
    "start_deployment",
]


def is_loopback(host: str) -> bool:
    """True for ``localhost``, 127.0.0.0/8 and ``::1``."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(options: ServeOptions) -> None:
    """Refuse a non-loopback bind without ``allow_remote`` and a token.

    Raises:
        ServerStartError: naming what is missing.
    """
    if is_loopback(options.host):
        return
    missing = []
    if not options.allow_remote:
        missing.append("--allow-remote")
    if options.token_hash is None:
        missing.append("an API token (--token or RUNG_SERVE_TOKEN)")
    if missing:
        raise ServerStartError(
            f"Refusing to listen on {options.host!r}: it is reachable from other "
            f"machines, which needs {' and '.join(missing)}. Clients then send "
            "'Authorization: Bearer <token>'. To stay local, use --host 127.0.0.1."
        )


def endpoint_read(
    workspace: Workspace, options: ServeOptions, name: str
) -> ArtifactRead:
    """How an endpoint reads its model, for the artifact read checks.

    The endpoint is in ``options.region``, else the workspace's region; with
    neither, residency policies refuse region-bound data. The checks run (and
    are audited, path ``serve``) on every load: at start and on each swap.
    """
    return ArtifactRead(
        "serve",
        region=options.region or workspace.options.region,
        reader=f"endpoint {name!r}",
        kind="endpoint",
    )


def endpoint_name(
    options: ServeOptions, model: str, alias: str | None, version: int | None
) -> str:
    """The deployment's name: ``options.name``, else ``model-alias`` / ``model-vN``."""
    if options.name:
        return options.name
    return f"{model}-{alias or f'v{version}'}"


def start_deployment(
    workspace: Workspace, served: ServedModel, options: ServeOptions
) -> DeploymentRecord:
    """Record a new running deployment of ``served``."""
    at = now()
    record = DeploymentRecord(
        id=new_id(),
        project=workspace.project,
        name=_name(served, options),
        model=served.name,
        alias=served.alias,
        version=served.version,
        host=options.host,
        port=options.port,
        status="running",
        user=workspace.user,
        started_at=at,
        updated_at=at,
        workers=options.workers,
        pid=os.getpid(),
        config={**options.public(), "hostname": socket.gethostname()},
    )
    workspace.deployments.add_deployment(record)
    return record


def finish_deployment(
    workspace: Workspace, deployment_id: str, status: str = "stopped"
) -> DeploymentRecord:
    """Mark a deployment stopped (or failed)."""
    at = now()
    return workspace.deployments.update_deployment(
        deployment_id, {"status": status, "stopped_at": at, "updated_at": at}
    )


def reap_dead_deployments(workspace: Workspace) -> list[str]:
    """Mark ``running`` deployments whose server process died as ``failed``.

    Only deployments started on this machine can be checked (by process id);
    returns the ids marked.
    """
    from rung.tracking import process_alive

    here = socket.gethostname()
    reaped = []
    for deployment in workspace.deployments.list_deployments(
        project=workspace.project, status="running", limit=None
    ):
        if not deployment.pid:
            continue
        if deployment.config.get("hostname") != here:
            continue
        if process_alive(deployment.pid, deployment.started_at):
            continue
        finish_deployment(workspace, deployment.id, status="failed")
        reaped.append(deployment.id)
    return reaped


def _name(served: ServedModel, options: ServeOptions) -> str:
    return endpoint_name(options, served.name, served.alias, served.version)
