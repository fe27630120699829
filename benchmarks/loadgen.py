"""A small HTTP load generator: threads + http.client, loopback only, bounded.

Used by the serving benchmark for Rung and MLflow alike (stdlib only, so it
runs with either virtualenv's Python). Each of ``--concurrency`` threads keeps
one keep-alive connection and sends the same pre-encoded body in a loop until
``--seconds`` pass or ``--max-requests`` are sent; responses are read but not
parsed. Prints one JSON line: requests, errors, req/s, p50/p99 ms.

    python loadgen.py --url http://127.0.0.1:8000/predict --body body.json \\
        --concurrency 8 --seconds 8
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

_LOOPBACK = ("127.", "localhost", "[::1]", "::1")


def run_load(
    url: str,
    body: bytes,
    *,
    concurrency: int,
    seconds: float,
    max_requests: int = 1_000_000,
    content_type: str = "application/json",
    accept: str | None = None,
    warmup: int = 20,
) -> dict[str, Any]:
    """Send ``body`` to ``url`` from ``concurrency`` threads; return the figures."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host.startswith(_LOOPBACK):
        raise SystemExit(f"loadgen only targets loopback addresses, not {host!r}")
    port = parts.port or 80
    headers = {"Content-Type": content_type}
    if accept:
        headers["Accept"] = accept
    _send_many(host, port, parts.path, body, headers, count=warmup)  # untimed
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    budget = [max_requests]
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        mine: list[float] = []
        bad = 0
        while time.perf_counter() < deadline:
            with lock:
                if budget[0] <= 0:
                    break
                budget[0] -= 1
            start = time.perf_counter()
            try:
                conn.request("POST", parts.path, body, headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30)
            mine.append(time.perf_counter() - start)
            bad += not ok
        conn.close()
        with lock:
            latencies.extend(mine)
            errors.append(bad)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    count = len(latencies)
    return {
        "requests": count,
        "errors": sum(errors),
        "seconds": elapsed,
        "rps": count / elapsed if elapsed else 0.0,
        # Answered (200) requests only: a refused request (e.g. 503 while the
        # prediction log catches up) served no rows.
        "ok_rps": (count - sum(errors)) / elapsed if elapsed else 0.0,
        "p50_ms": _quantile(latencies, 0.50) * 1000,
        "p99_ms": _quantile(latencies, 0.99) * 1000,
        "concurrency": concurrency,
    }


_WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = os.getenv("LOADGEN_CONTENT_TYPE")
local f = io.open(os.getenv("LOADGEN_BODY"), "rb")
wrk.body = f:read("*a")
f:close()
"""
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}


def has_wrk() -> bool:
    """True when ``wrk`` is on PATH (``apt-get install wrk``)."""
    return shutil.which("wrk") is not None


def run_wrk(
    url: str,
    body: bytes,
    *,
    connections: int,
    seconds: float,
    content_type: str = "application/json",
    warmup: int = 20,
) -> dict[str, Any]:
    """Load ``url`` with ``wrk`` (one thread, ``connections`` keep-alive
    connections, ``seconds``) and return the same figures as :func:`run_load`.

    wrk is C and event-driven: on a 2-core machine it leaves more CPU to the
    server than the threads of :func:`run_load`, and it measures the tail as
    the issue's figures were measured.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host.startswith(_LOOPBACK):
        raise SystemExit(f"loadgen only targets loopback addresses, not {host!r}")
    headers = {"Content-Type": content_type}
    _send_many(host, parts.port or 80, parts.path, body, headers, count=warmup)
    with tempfile.TemporaryDirectory(prefix="loadgen-") as tmp:
        script, data = os.path.join(tmp, "post.lua"), os.path.join(tmp, "body")
        with open(script, "w") as f:
            f.write(_WRK_SCRIPT)
        with open(data, "wb") as f:
            f.write(body)
        env = {**os.environ, "LOADGEN_BODY": data, "LOADGEN_CONTENT_TYPE": content_type}
        command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency"]
        out = subprocess.run(
            [*command, "-s", script, url],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        ).stdout
    return {**_parse_wrk(out), "concurrency": connections, "tool": "wrk"}


def _parse_wrk(out: str) -> dict[str, Any]:
    def latency(percent: str) -> float:
        found = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
        if found is None:
            raise ValueError(f"no {percent}% latency in wrk's output:\n{out}")
        return float(found[1]) * _UNITS[found[2]]

    requests = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if requests is None or rps is None:
        raise ValueError(f"cannot read wrk's output:\n{out}")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    errors = int(bad[1]) if bad else 0
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    seconds = float(requests[2]) * _UNITS[requests[3]] / 1000
    return {
        "requests": int(requests[1]),
        "errors": errors,
        "seconds": seconds,
        "rps": float(rps[1]),
        "ok_rps": (int(requests[1]) - errors) / seconds if seconds else 0.0,
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
    }


def wait_ready(url: str, timeout: float = 120.0) -> None:
    """Wait until GET ``url`` answers 200 (a health endpoint)."""
    parts = urlsplit(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=2)
            conn.request("GET", parts.path)
            if conn.getresponse().status == 200:
                conn.close()
                return
            conn.close()
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer 200 within {timeout:.0f} s")


def _send_many(
    host: str,
    port: int,
    path: str,
    body: bytes,
    headers: dict[str, str],
    *,
    count: int,
) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    for _ in range(count):
        conn.request("POST", path, body, headers)
        conn.getresponse().read()
    conn.close()


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--body", type=Path, required=True)
    parser.add_argument("--content-type", default="application/json")
    parser.add_argument("--accept", default=None)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--max-requests", type=int, default=1_000_000)
    args = parser.parse_args()
    figures = run_load(
        args.url,
        args.body.read_bytes(),
        concurrency=args.concurrency,
        seconds=args.seconds,
        max_requests=args.max_requests,
        content_type=args.content_type,
        accept=args.accept,
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
