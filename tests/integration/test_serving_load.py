"""Real ``rung serve`` processes: flush on SIGTERM, hot swap under load.

Each test starts the server as a subprocess on a free loopback port, sends
bounded traffic to 127.0.0.1 only, and stops it with SIGTERM.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import cast

import pytest

import rung
from rung.registry import promote_model, rollback_model
from rung.serving import read_predictions
from tests.unit.serving.models import register_churn, row

pytestmark = pytest.mark.integration

READY_SECONDS = 30.0
MAX_STRETCH = 10.0


@pytest.fixture
def project(tmp_path: Path) -> Path:
    with rung.open_workspace(tmp_path) as ws:
        register_churn(ws)
    return tmp_path


def patience(seconds: float) -> float:
    """``seconds`` on a quiet machine, stretched by how busy this one is now.

    These bounds only stop a hang; they assert nothing about speed. The
    machine may be shared (a 1-minute load average several times its CPU
    count), and a server that is ready in 3 s on a quiet box can take a
    minute there. Read again on every call, so a wait follows the load.
    """
    busy = os.getloadavg()[0] / (os.cpu_count() or 1)
    return seconds * min(max(1.0, busy), MAX_STRETCH)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(folder: Path, *args: str) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNG_")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rung",
            "serve",
            "churn@production",
            "--port",
            str(port),
            *args,
        ],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_ready(port, proc)
        yield port, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=patience(30))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def _wait_ready(port: int, proc: subprocess.Popen[str]) -> None:
    start = time.monotonic()
    while time.monotonic() - start < patience(READY_SECONDS):
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.communicate()}")
        try:
            if _get(port, "/readyz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    waited = time.monotonic() - start
    raise AssertionError(
        f"server not ready after {waited:.0f} s (load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )


def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _post(conn: http.client.HTTPConnection, rows: int) -> tuple[int, dict[str, object]]:
    body = json.dumps({"inputs": [row() for _ in range(rows)]})
    conn.request("POST", "/predict", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    return response.status, json.loads(response.read())


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_flushes_every_acknowledged_prediction(
    project: Path, workers: int
) -> None:
    ids: list[str] = []
    flags = (
        "--flush-seconds",
        "600",
        "--flush-rows",
        "1000000",
        "--workers",
        str(workers),
    )
    with server(project, *flags) as (port, proc):
        deadline = time.monotonic() + patience(30)
        while len(ids) < 3 * 40 and time.monotonic() < deadline:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            status, body = _post(conn, 3)
            conn.close()
            # With 2 workers, one may still be loading its model (503, not
            # acknowledged); every acknowledged prediction must be logged.
            assert status in (200, 503)
            if status == 200:
                ids += cast("list[str]", body["prediction_ids"])
        assert len(ids) == 3 * 40
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=patience(30))
        assert proc.returncode == 0
    with rung.open_workspace(project) as ws:
        logged = read_predictions(ws, "churn")
        assert sorted(logged["prediction_id"]) == sorted(ids)
        [deployment] = ws.deployments.list_deployments()
        assert (deployment.status, deployment.workers) == ("stopped", workers)


def test_hot_swap_under_load_fails_no_request(project: Path) -> None:
    seen: list[int] = []
    errors: list[object] = []
    stop = threading.Event()

    def load(port: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        deadline = time.monotonic() + patience(25)
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                status, body = _post(conn, 1)
            except (OSError, http.client.HTTPException) as exc:
                errors.append(exc)
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                continue
            if status != 200:
                errors.append(body)
            else:
                seen.append(int(body["version"]))  # type: ignore[call-overload]
        conn.close()

    def wait_for(version: int, after: int) -> None:
        deadline = time.monotonic() + patience(10)
        while time.monotonic() < deadline and version not in seen[after:]:
            time.sleep(0.05)
        assert version in seen[after:], f"v{version} never served"

    with server(project, "--poll-interval", "0.2") as (port, _proc):
        threads = [threading.Thread(target=load, args=(port,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        with rung.open_workspace(project) as ws:
            promote_model(ws, "churn", 2, "production")
            wait_for(2, 0)
            mark = len(seen)
            rollback_model(ws, "churn", "production")
            wait_for(1, mark)
        time.sleep(0.3)
        stop.set()
        for thread in threads:
            thread.join()
    assert errors == []
    assert {1, 2} <= set(seen) and len(seen) > 50
    with rung.open_workspace(project) as ws:
        [deployment] = ws.deployments.list_deployments()
        assert deployment.served_versions == (1, 2)
        assert deployment.version == 1
