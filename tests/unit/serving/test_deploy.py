"""Deployments whose server process died are marked failed on the next look."""

from __future__ import annotations

import socket
import subprocess
import sys
from typing import TYPE_CHECKING

from rung._internal.timeutil import now
from rung.serving import reap_dead_deployments
from rung.serving.records import DeploymentRecord

if TYPE_CHECKING:
    from rung.workspace import Workspace


def _deployment(workspace: Workspace, pid: int, hostname: str) -> DeploymentRecord:
    at = now()
    record = DeploymentRecord(
        id=f"{pid:032x}",
        project=workspace.project,
        name="churn-production",
        model="churn",
        alias="production",
        version=1,
        host="127.0.0.1",
        port=8000,
        status="running",
        user="tester",
        started_at=at,
        updated_at=at,
        pid=pid,
        config={"hostname": hostname},
    )
    workspace.deployments.add_deployment(record)
    return record


def test_deployment_of_a_dead_process_is_marked_failed(workspace: Workspace) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = _deployment(workspace, int(done.stdout), socket.gethostname())
    assert reap_dead_deployments(workspace) == [dead.id]
    [record] = workspace.deployments.list_deployments()
    assert record.status == "failed"
    assert record.stopped_at is not None


def test_live_and_remote_deployments_are_left_alone(workspace: Workspace) -> None:
    import os

    _deployment(workspace, os.getppid(), socket.gethostname())
    _deployment(workspace, 999_999, "another-machine")
    assert reap_dead_deployments(workspace) == []
    assert {d.status for d in workspace.deployments.list_deployments()} == {"running"}
