"""Single-row p99 under wrk, prediction log on and off, interleaved.

Shows what the prediction log costs in the latency tail: ``rung serve`` of
the serving workload's model, started with and without ``--no-log`` in turn,
each loaded by wrk (1 thread, 8 connections, 15 s). Where ``/proc`` is
readable, each row also gives the server's CPU time per request
(``server_cpu_ms``: user + system, the flusher thread included), which a
busy shared machine blurs far less than the tail. Needs ``wrk`` on PATH::

    RUNG_ROOT=$(mktemp -d) .venv/bin/python benchmarks/serving_log_pair.py \
        [--rounds 2] [--json OUT]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of process ``pid`` (None without /proc)."""
    import os

    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _workload() -> Any:
    spec = importlib.util.spec_from_file_location(
        "serving_workload", HERE / "rung_workloads" / "serving.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def register_workload_model(work: Any) -> Any:
    """Fit, register and promote the serving workload's model (to
    ``production``) in the current workspace; return its feature frame."""
    from sklearn.linear_model import LogisticRegression

    import rung

    frame = work.data()
    features = frame.drop(columns="label")
    model = LogisticRegression(max_iter=200).fit(features, frame["label"])
    version = rung.register_model(model, name=work.NAME, signature=features)
    rung.promote_model(work.NAME, version.version, "production")
    return features


def main() -> None:
    """Measure log-on and log-off servers in turn; print and save the figures."""

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    work = _workload()
    load = work._loadgen()
    if not load.has_wrk():
        sys.exit("wrk is not installed: apt-get install wrk")
    features = register_workload_model(work)
    body = work.split_body(features.head(1))
    rows: list[dict[str, Any]] = []
    for _ in range(args.rounds):
        for extra in ([], ["--no-log"]):
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
            server = subprocess.Popen(
                [
                    *(sys.executable, "-m", "rung", "serve"),
                    f"{work.NAME}@production",
                    *("--port", str(port), *extra),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                load.wait_ready(f"http://127.0.0.1:{port}/readyz")
                cpu_before = _cpu_seconds(server.pid)
                figures = load.run_wrk(
                    f"http://127.0.0.1:{port}/predict",
                    body,
                    connections=8,
                    seconds=args.seconds,
                )
                cpu_after = _cpu_seconds(server.pid)
            finally:
                server.terminate()
                server.wait()
            row = {"log": not extra, **figures}
            if cpu_before is not None and cpu_after is not None:
                spent = (cpu_after - cpu_before) * 1e3
                row["server_cpu_ms"] = round(spent / max(figures["requests"], 1), 4)
            rows.append(row)
            print(json.dumps(row), flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
