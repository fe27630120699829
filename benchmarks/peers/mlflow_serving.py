"""MLflow: `mlflow models serve` under the same load as ``rung_workloads/serving.py``.

The same LogisticRegression on the same 10,000 x 20 floats is logged
(``pip_requirements`` given), then served with ``mlflow models serve
--env-manager local`` (default single uvicorn worker) and loaded by the same
generator (``--loadgen``: ``benchmarks/loadgen.py``), with the same
``dataframe_split`` bodies: one row at concurrency 1, 8, 32, and 1,000 rows at
concurrency 1. Needs ``MLFLOW_TRACKING_URI``.

    python mlflow_serving.py --loadgen ../loadgen.py --seconds 8
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

import mlflow
import mlflow.sklearn
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression


def split_body(frame: pd.DataFrame) -> bytes:
    payload = {"columns": list(frame.columns), "data": frame.to_numpy().tolist()}
    return json.dumps({"dataframe_split": payload}).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loadgen", type=Path, required=True)
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    spec = importlib.util.spec_from_file_location("loadgen", args.loadgen)
    load: Any = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(load)  # type: ignore[union-attr]

    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        rng.normal(size=(10_000, 20)), columns=[f"x{i}" for i in range(20)]
    )
    y = (X["x0"] + rng.normal(size=10_000) > 0).astype(int)
    model = LogisticRegression(max_iter=200).fit(X, y)
    mlflow.set_experiment("benchmark")
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            input_example=X.head(2),
            pip_requirements=["scikit-learn"],
        )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    mlflow_bin = Path(sys.executable).parent / "mlflow"
    env = os.environ.copy()  # mlflow execs `uvicorn` from PATH: the venv's
    env["PATH"] = f"{mlflow_bin.parent}{os.pathsep}{env.get('PATH', '')}"
    server = subprocess.Popen(
        [
            str(mlflow_bin),
            "models",
            "serve",
            "-m",
            info.model_uri,
            "--env-manager",
            "local",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/invocations"
    try:
        load.wait_ready(f"http://127.0.0.1:{port}/ping", timeout=180)
        figures = {
            f"single_c{c}": load.run_load(
                url, split_body(X.head(1)), concurrency=c, seconds=args.seconds
            )
            for c in (1, 8, 32)
        }
        figures["batch_json_c1"] = load.run_load(
            url, split_body(X.head(1000)), concurrency=1, seconds=args.seconds
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.communicate(timeout=60)
    print(
        json.dumps(
            {
                "value": figures["single_c8"]["rps"],
                "unit": "req/s",
                "errors": sum(f["errors"] for f in figures.values()),
                "batch_json_rows_s": figures["batch_json_c1"]["ok_rps"] * 1000,
                "cases": figures,
            }
        )
    )


if __name__ == "__main__":
    main()
