"""The serving workload of the suite: ``rung serve`` beside its peers.

Every side runs the same model and the same bodies through the same load
generator (``loadgen.py``: threads + http.client on loopback, and wrk for
the tail when it is installed): ``mlflow models serve`` (benchmarks/.venv-peers)
and a BentoML 1.4 service (benchmarks/.venv-peers-serving; it checks and logs
nothing). One process per side measures every row below.
"""

from __future__ import annotations

from typing import Any

from harness import BENCHMARKS, Context, Result, run_peer, run_rung

_MLFLOW_ENV = {"MLFLOW_TRACKING_URI": "sqlite:///{tmp}/mlflow.db"}
# Rows without a figure from this side.
_NOT_MLFLOW = {"serving.batch_arrow", "serving.single_wrk_p99"}
_NOT_BENTOML = {"serving.batch_arrow"}

# (row, title, unit, lower is better, how to read it, target, PEERS.md figure)
_ROWS: list[tuple[str, str, str, bool, Any, float | None, float | None]] = [
    (
        "serving.single_c1_p50",
        "1 row, concurrency 1, p50",
        "ms",
        True,
        lambda f: f["cases"]["single_c1"]["p50_ms"],
        None,
        11.87,
    ),
    (
        "serving.single_c8_rps",
        "1 row, concurrency 8, throughput",
        "req/s",
        False,
        lambda f: f["cases"]["single_c8"]["rps"],
        900,
        89.7,
    ),
    (
        "serving.single_c8_p99",
        "1 row, concurrency 8, p99",
        "ms",
        True,
        lambda f: f["cases"]["single_c8"]["p99_ms"],
        10,
        177.2,
    ),
    (
        "serving.single_c32_rps",
        "1 row, concurrency 32, throughput",
        "req/s",
        False,
        lambda f: f["cases"]["single_c32"]["rps"],
        None,
        None,
    ),
    (
        "serving.single_wrk_p99",
        "1 row, wrk 8 connections, p99 (log on)",
        "ms",
        True,
        lambda f: f["cases"]["single_wrk_c8"]["p99_ms"],
        3,
        None,
    ),
    (
        "serving.batch_json",
        "1,000-row JSON batches, concurrency 1",
        "rows/s",
        False,
        lambda f: f["batch_json_rows_s"],
        400_000,
        41_196,
    ),
    (
        "serving.batch_arrow",
        "10,000-row Arrow IPC batches, concurrency 2",
        "rows/s",
        False,
        lambda f: f["batch_arrow10000_rows_s"],
        400_000,
        None,
    ),
]


def serving(ctx: Context) -> list[Result]:
    """Latency and throughput of one model server, logging every prediction."""
    seconds, wrk_seconds = str(ctx.size(8, 1)), str(ctx.size(15, 1))
    ctx.note(f"Rung serve under load ({seconds} s per case, wrk {wrk_seconds} s)")
    rung = run_rung("serving.py", ["--seconds", seconds, "--wrk-seconds", wrk_seconds])
    loadgen = str(BENCHMARKS / "loadgen.py")
    mlflow: dict[str, Any] = {}
    bentoml: dict[str, Any] = {}

    def mlflow_figure(peers: Any, read: Any) -> dict[str, Any]:
        if not mlflow:  # one MLflow server measures every row
            args = ["--seconds", seconds, "--loadgen", loadgen]
            mlflow.update(run_peer(peers, "mlflow_serving.py", args, env=_MLFLOW_ENV))
        return {**mlflow, "value": read(mlflow)}

    def bentoml_figure(peers: Any, read: Any) -> dict[str, Any]:
        if not bentoml:  # one BentoML server measures every row
            args = ["--seconds", seconds, "--wrk-seconds", wrk_seconds]
            bentoml.update(
                run_peer(peers, "bentoml_serving.py", [*args, "--loadgen", loadgen])
            )
        return {**bentoml, "value": read(bentoml)}

    rows = []
    for workload, title, unit, lower, read, target, reference in _ROWS:
        if (
            workload == "serving.single_wrk_p99"
            and "single_wrk_c8" not in rung["cases"]
        ):
            ctx.warn("wrk is not installed (apt-get install wrk): no wrk p99 row")
            continue
        row = Result(
            workload=workload,
            title=title,
            unit=unit,
            lower_is_better=lower,
            rung=float(read(rung)),
            target=target,
            peer_reference=reference,
            details={"seconds": seconds, "rung": rung},
        )
        if workload not in _NOT_MLFLOW:  # MLflow takes no Arrow IPC
            ctx.add_peer(
                row,
                "mlflow",
                "MLflow models serve under the same load",
                lambda peers, read=read: mlflow_figure(peers, read),
            )
        if workload not in _NOT_BENTOML:
            ctx.add_peer(
                row,
                "bentoml",
                "BentoML serve (no checks, no log) under the same load",
                lambda peers, read=read: bentoml_figure(peers, read),
                group="serving",
            )
        rows.append(row)
    return rows
