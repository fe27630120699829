"""Rung: `rung serve` under load, single rows and batches, logging on.

A LogisticRegression on 10,000 x 20 floats (the same data and model as
``peers/mlflow_serving.py``) is registered and promoted, then
``rung serve lr-bench@production`` starts in a subprocess (default options:
every prediction logged). ``../loadgen.py`` (threads + http.client, loopback,
bounded by ``--seconds``) sends the same pre-encoded bodies as the MLflow run:

- one row as ``dataframe_split`` JSON at concurrency 1, 8 and 32, and, when
  ``wrk`` is installed, for ``--wrk-seconds`` from wrk's 8 connections (the
  tail under load: p99);
- 1,000 rows as ``dataframe_split`` JSON at concurrency 1;
- 1,000 and 10,000 rows as Arrow IPC in and out at concurrency 2 (Rung only).

Prints p50/p99 ms and req/s per case; ``value`` is req/s at concurrency 8.

    python serving.py --seconds 8
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

import rung

NAME = "lr-bench"
_LOADGEN = Path(__file__).resolve().parents[1] / "loadgen.py"


def _loadgen() -> Any:
    spec = importlib.util.spec_from_file_location("loadgen", _LOADGEN)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def data() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        rng.normal(size=(10_000, 20)), columns=[f"x{i}" for i in range(20)]
    )
    frame["label"] = (frame["x0"] + rng.normal(size=10_000) > 0).astype(int)
    return frame


def split_body(frame: pd.DataFrame) -> bytes:
    payload = {"columns": list(frame.columns), "data": frame.to_numpy().tolist()}
    return json.dumps({"dataframe_split": payload}).encode()


def arrow_body(frame: pd.DataFrame) -> bytes:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue())


def main() -> None:
    from sklearn.linear_model import LogisticRegression

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--wrk-seconds", type=float, default=15.0)
    args = parser.parse_args()

    frame = data()
    X = frame.drop(columns="label")
    model = LogisticRegression(max_iter=200).fit(X, frame["label"])
    version = rung.register_model(model, name=NAME, signature=X)
    rung.promote_model(NAME, version.version, "production")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rung",
            "serve",
            f"{NAME}@production",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=os.environ.copy(),
    )
    load = _loadgen()
    url = f"http://127.0.0.1:{port}/predict"
    arrow = "application/vnd.apache.arrow.stream"
    try:
        load.wait_ready(f"http://127.0.0.1:{port}/readyz")
        figures: dict[str, Any] = {}
        one = split_body(X.head(1))
        for concurrency in (1, 8, 32):
            figures[f"single_c{concurrency}"] = load.run_load(
                url, one, concurrency=concurrency, seconds=args.seconds
            )
        if load.has_wrk():
            figures["single_wrk_c8"] = load.run_wrk(
                url, one, connections=8, seconds=args.wrk_seconds
            )
        figures["batch_json_c1"] = load.run_load(
            url, split_body(X.head(1000)), concurrency=1, seconds=args.seconds
        )
        for rows in (1_000, 10_000):
            figures[f"batch_arrow{rows}_c2"] = load.run_load(
                url,
                arrow_body(X.head(rows)),
                concurrency=2,
                seconds=args.seconds,
                content_type=arrow,
                accept=arrow,
            )
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=60)
    rows_s = {
        "batch_json_rows_s": figures["batch_json_c1"]["ok_rps"] * 1000,
        "batch_arrow1000_rows_s": figures["batch_arrow1000_c2"]["ok_rps"] * 1000,
        "batch_arrow10000_rows_s": figures["batch_arrow10000_c2"]["ok_rps"] * 10_000,
    }
    errors = sum(f["errors"] for f in figures.values())
    print(
        json.dumps(
            {
                "value": figures["single_c8"]["rps"],
                "unit": "req/s",
                "errors": errors,
                **rows_s,
                "cases": figures,
            }
        )
    )


if __name__ == "__main__":
    main()
