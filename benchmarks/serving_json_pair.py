"""1,000-row JSON batches: this tree's ``rung serve`` against another's, in turn.

``run.py --baseline`` measures the baseline's serving rows first; a server
measured right after another one wrote gigabytes of prediction log runs
slower (the first one's files are still being written back), so that
comparison favours the baseline. Here the two trees alternate, and the order
flips every round: ``rung serve`` of the serving workload's model (log on,
or ``--no-log``), loaded by ``loadgen.py`` with its 1,000-row
``dataframe_split`` body at concurrency 1. Each row also gives the server's
CPU time per request::

    git archive main src | tar -x -C /tmp/base
    RUNG_ROOT=$(mktemp -d) .venv/bin/python benchmarks/serving_json_pair.py \
        --compare /tmp/base/src [--rounds 4] [--seconds 8] [--no-log] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from serving_log_pair import _cpu_seconds, _workload, register_workload_model

HERE = Path(__file__).resolve().parent


def _serve_and_load(
    src: Path, body: bytes, *, seconds: float, extra: list[str], load: Any, name: str
) -> dict[str, Any]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(src)}
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "rung", "serve", f"{name}@production"),
            *("--port", str(port), *extra),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        load.wait_ready(f"http://127.0.0.1:{port}/readyz")
        cpu_before = _cpu_seconds(server.pid)
        figures = load.run_load(
            f"http://127.0.0.1:{port}/predict", body, concurrency=1, seconds=seconds
        )
        cpu_after = _cpu_seconds(server.pid)
    finally:
        server.terminate()
        server.wait()
    row = {"rows_s": figures["ok_rps"] * 1000, **figures}
    if cpu_before is not None and cpu_after is not None:
        spent = (cpu_after - cpu_before) * 1e3
        row["server_cpu_ms"] = round(spent / max(figures["requests"], 1), 4)
    return row


def main() -> None:
    """Alternate the two trees' servers; print each row and the medians."""

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--compare", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--no-log", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    work = _workload()
    load = work._loadgen()
    body = work.split_body(register_workload_model(work).head(1000))
    trees = {"this": HERE.parent / "src", "compare": args.compare.resolve()}
    extra = ["--no-log"] if args.no_log else []
    rows: list[dict[str, Any]] = []
    for round_ in range(args.rounds):
        order = list(trees) if round_ % 2 == 0 else list(reversed(trees))
        for label in order:
            row = {
                "tree": label,
                "log": not args.no_log,
                **_serve_and_load(
                    trees[label],
                    body,
                    seconds=args.seconds,
                    extra=extra,
                    load=load,
                    name=work.NAME,
                ),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    for label in trees:
        mine = [r["rows_s"] for r in rows if r["tree"] == label]
        print(
            f"{label:8s} median {statistics.median(mine):,.0f} rows/s "
            f"(min {min(mine):,.0f}, max {max(mine):,.0f})"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
