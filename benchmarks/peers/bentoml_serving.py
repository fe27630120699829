"""BentoML: `bentoml serve` under the same load as ``rung_workloads/serving.py``.

The same LogisticRegression on the same 10,000 x 20 floats is saved with
joblib and served by a BentoML 1.4 service (``@bentoml.service``, one worker,
one ``@bentoml.api`` taking the ``dataframe_split`` object): it builds a float
matrix from ``data`` and answers predictions and class probabilities. It does
not check column names or types beyond what pydantic does for a ``dict``, and
it logs nothing: the figure is a bound for a server that does less than Rung.
The same generator (``--loadgen``: ``benchmarks/loadgen.py``) sends the same
bodies: one row at concurrency 1, 8, 32 (and with wrk, 8 connections, for the
tail), 1,000 rows at concurrency 1.

    python bentoml_serving.py --loadgen ../loadgen.py --seconds 8
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
import tempfile
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

_SERVICE = """
import os
from typing import Any

import bentoml
import joblib
import numpy as np


@bentoml.service(workers=1)
class LrBench:
    def __init__(self) -> None:
        self.model = joblib.load(os.environ["BENCH_MODEL"])

    @bentoml.api
    def predict(self, dataframe_split: dict[str, Any]) -> dict[str, Any]:
        matrix = np.asarray(dataframe_split["data"], dtype=np.float64)
        proba = self.model.predict_proba(matrix)
        classes = self.model.classes_
        return {
            "predictions": classes[proba.argmax(axis=1)].tolist(),
            "classes": classes.tolist(),
            "probabilities": proba.tolist(),
        }
"""


def split_body(frame: pd.DataFrame) -> bytes:
    payload = {"columns": list(frame.columns), "data": frame.to_numpy().tolist()}
    return json.dumps({"dataframe_split": payload}).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loadgen", type=Path, required=True)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--wrk-seconds", type=float, default=15.0)
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
    folder = Path(tempfile.mkdtemp(prefix="bentoml-bench-", dir=os.getcwd()))
    joblib.dump(model, folder / "model.joblib")
    (folder / "service.py").write_text(_SERVICE)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = os.environ.copy()
    env.update(
        BENCH_MODEL=str(folder / "model.joblib"),
        BENTOML_HOME=str(folder / "bentoml-home"),
        BENTOML_DO_NOT_TRACK="True",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    )
    errlog = (folder / "server.log").open("wb")  # a pipe would fill and stall it
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "bentoml"),
            "serve",
            "service:LrBench",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=errlog,
        env=env,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/predict"
    try:
        load.wait_ready(f"http://127.0.0.1:{port}/readyz", timeout=180)
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
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # bentoml serve starts workers
        server.wait(timeout=60)
        errlog.close()
    errors = sum(f["errors"] for f in figures.values())
    if errors:
        print((folder / "server.log").read_text()[-2000:], file=sys.stderr)
    print(
        json.dumps(
            {
                "value": figures["single_c8"]["rps"],
                "unit": "req/s",
                "errors": errors,
                "batch_json_rows_s": figures["batch_json_c1"]["ok_rps"] * 1000,
                "cases": figures,
            }
        )
    )


if __name__ == "__main__":
    main()
