"""The workloads ``benchmarks/run.py`` measures, Rung beside its peers.

A workload is a function ``(Context) -> list[Result]``: it measures Rung in a
fresh process, then (through ``ctx.add_peer``, which does nothing under
``--no-peers``) the same work on a peer, and returns one :class:`Result` per
table row. To add one (registry, serving, drift, ...), write its scripts under
``rung_workloads/`` and ``peers/``, a function here, and append the function
to :data:`WORKLOADS`.

Targets come from the issues; ``peer_reference`` figures from shared/PEERS.md.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from harness import (
    RUNG_BIN,
    BenchmarkError,
    Context,
    Peers,
    Result,
    median,
    run_peer,
    run_rung,
    time_launches,
)

# ZenML keeps its global config and SQLite store in the scratch folder, not
# in ~/.config; MLflow gets a new SQLite file there.
_ZENML_ENV = {
    "ZENML_CONFIG_PATH": "{tmp}/.zenml-config",
    "ZENML_ANALYTICS_OPT_IN": "false",
    "ZENML_LOGGING_COLORS_DISABLED": "true",
    "AUTO_OPEN_DASHBOARD": "false",
}
_MLFLOW_ENV = {"MLFLOW_TRACKING_URI": "sqlite:///{tmp}/mlflow.db"}
# trackio writes its SQLite files under TRACKIO_DIR (default: the HF cache).
_TRACKIO_ENV = {"TRACKIO_DIR": "{tmp}/trackio"}


# Pipeline peers (benchmarks/.venv-peers-pipelines): no telemetry, no network.
_PIPELINE_PEER_ENV = {
    "KEDRO_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "1",
    "HAMILTON_TELEMETRY_ENABLED": "false",
    "HAMILTON_AUTOLOAD_EXTENSIONS": "0",
}


@dataclass(frozen=True)
class _PipelinePeer:
    package: str
    script: str
    group: str
    caches: tuple[str, ...]  # the --cache values the peer can run
    every_round: bool  # False: one process per row (ZenML: ~100x slower)
    env: Mapping[str, str]
    setup: tuple[tuple[str, ...], ...] = ()


_PIPELINE_PEERS = (
    _PipelinePeer(
        "kedro",
        "kedro_orchestration.py",
        "pipelines",
        ("off",),
        True,
        _PIPELINE_PEER_ENV,
    ),
    _PipelinePeer(
        "sf-hamilton",
        "hamilton_orchestration.py",
        "pipelines",
        ("off", "on"),
        True,
        _PIPELINE_PEER_ENV,
    ),
    _PipelinePeer(
        "zenml",
        "zenml_orchestration.py",
        "",
        ("off", "on"),
        False,
        _ZENML_ENV,
        (("zenml", "init"),),
    ),
)


def orchestration(ctx: Context) -> list[Result]:
    """Per-step overhead of a 10-step chain of ``x + 1``, uncached and cached.

    Rung and the pipeline peers (Kedro, Hamilton) run in turns, ``rounds``
    fresh processes each, interleaved (Rung, Kedro, Hamilton, Rung, ...), so
    that a change in the machine's load meets every side; each figure is the
    median of all of its processes' samples. ZenML, about 100 times slower,
    runs one process per row. Every side runs a copy of its script from a
    fresh folder outside any git repository; Rung also runs in a fresh git
    repository (``details["rung_in_git_repository"]``), where it records
    each run's commit and dirty flag (one ``git`` process per run).
    """
    runs, rounds = ctx.size(10, 3), ctx.size(5, 1)
    rows: list[Result] = []
    for cache, target, reference in (("off", 0.3, 310.0), ("on", 0.2, 198.0)):
        label = "uncached" if cache == "off" else "cached"
        args = ["--runs", str(runs), "--cache", cache]
        peers = [p for p in _PIPELINE_PEERS if cache in p.caches]
        rung: list[dict[str, Any]] = []
        rung_git: list[dict[str, Any]] = []
        measured: dict[str, list[dict[str, Any]]] = {p.package: [] for p in peers}
        failed: dict[str, BenchmarkError] = {}
        for round_ in range(rounds):
            ctx.note(f"Rung pipeline, {label}, round {round_ + 1}/{rounds}")
            rung.append(run_rung("orchestration.py", args, project="copy"))
            ctx.note(f"Rung pipeline in a git repository, {label}, round {round_ + 1}")
            rung_git.append(run_rung("orchestration.py", args, project="git"))
            for peer in peers:
                venv = ctx.peers_for(peer.group)
                if venv is None or peer.package in failed:
                    continue
                if not peer.every_round and round_ > 0:
                    continue
                ctx.note(f"{peer.package} pipeline, {label}, round {round_ + 1}")
                try:
                    measured[peer.package].append(
                        run_peer(
                            venv,
                            peer.script,
                            args,
                            env=peer.env,
                            setup=[list(c) for c in peer.setup],
                        )
                    )
                except BenchmarkError as exc:
                    failed[peer.package] = exc
        row = Result(
            workload=f"orchestration.{label}",
            title=f"Pipeline of 10 steps, {label}",
            unit="ms/step",
            lower_is_better=True,
            rung=_pooled(rung)["value"],
            target=target,
            peer_reference=reference,
            details={
                "runs": runs,
                "rounds": rounds,
                "rung": _pooled(rung),
                "rung_in_git_repository": _pooled(rung_git),
            },
        )
        for peer in peers:
            outcome = failed.get(peer.package) or (
                _pooled(measured[peer.package]) if measured[peer.package] else None
            )
            if outcome is not None:
                ctx.add_peer(
                    row,
                    peer.package,
                    f"{peer.package}, {label}",
                    functools.partial(_replay, outcome=outcome),
                    group=peer.group,
                )
        rows.append(row)
    return rows


def _replay(
    _peers: Peers, *, outcome: dict[str, Any] | BenchmarkError
) -> dict[str, Any]:
    """Hand ``ctx.add_peer`` a figure measured earlier (or its failure)."""
    if isinstance(outcome, BenchmarkError):
        raise outcome
    return outcome


def _pooled(payloads: list[dict[str, Any]]) -> dict[str, Any]:
    """One figure from several processes: the median of all their samples."""
    samples = [s for payload in payloads for s in payload["samples"]]
    return {
        "value": median(samples),
        "unit": payloads[0]["unit"],
        "samples": samples,
        "process_medians": [payload["value"] for payload in payloads],
    }


def metric_logging(ctx: Context) -> list[Result]:
    """Values/s: one value per call, and 1,000 values per call."""
    repeats = ctx.size(3, 1)
    calls, peer_calls = ctx.size(10_000, 2_000), ctx.size(1_000, 200)
    batches = ctx.size(100, 10)
    single = ["--mode", "single", "--repeats"]
    batch = ["--mode", "batch", "--batches", str(batches), "--repeats"]

    ctx.note(f"Rung log_metric x {calls:,}")
    rung = run_rung("metric_logging.py", [*single, str(repeats), "--calls", str(calls)])
    single_row = Result(
        workload="metrics.single",
        title="log_metric, 1 value per call",
        unit="values/s",
        lower_is_better=False,
        rung=rung["value"],
        target=20_000,
        peer_reference=191,
        details={"rung_calls": calls, "peer_calls": peer_calls, "rung": rung},
    )
    ctx.note(f"Rung log_metrics, {batches} x 1,000 keys")
    rung = run_rung("metric_logging.py", [*batch, str(repeats)])
    batch_row = Result(
        workload="metrics.batched",
        title="log_metrics, 1,000 values per call",
        unit="values/s",
        lower_is_better=False,
        rung=rung["value"],
        target=400_000,
        peer_reference=10_461,
        details={"batches": batches, "keys": 1_000, "rung": rung},
    )
    ctx.add_peer(
        single_row,
        "mlflow",
        f"MLflow log_metric x {peer_calls:,}",
        lambda peers: run_peer(
            peers,
            "mlflow_logging.py",
            [*single, "1", "--calls", str(peer_calls)],
            env=_MLFLOW_ENV,
        ),
    )
    ctx.add_peer(
        batch_row,
        "mlflow",
        f"MLflow log_batch, {batches} x 1,000 metrics",
        lambda peers: run_peer(
            peers, "mlflow_logging.py", [*batch, "1"], env=_MLFLOW_ENV
        ),
    )
    ctx.add_peer(
        batch_row,
        "trackio",
        f"trackio log, {batches} x 1,000 metrics",
        lambda peers: run_peer(
            peers, "trackio_logging.py", [*batch, str(repeats)], env=_TRACKIO_ENV
        ),
        group="serving",
    )
    return [single_row, batch_row]


def run_creation(ctx: Context) -> list[Result]:
    """Milliseconds to create and finish a run with 5 params and 5 metrics."""
    runs, repeats = ctx.size(200, 20), ctx.size(3, 1)
    ctx.note(f"Rung start_run x {runs}")
    rung = run_rung("run_creation.py", ["--runs", str(runs), "--repeats", str(repeats)])
    row = Result(
        workload="runs.create",
        title="Run with 5 params + 5 metrics",
        unit="ms/run",
        lower_is_better=True,
        rung=rung["value"],
        target=3.0,
        peer_reference=25.2,
        details={"runs": runs, "rung": rung},
    )
    ctx.add_peer(
        row,
        "mlflow",
        f"MLflow start_run x {runs}",
        lambda peers: run_peer(
            peers, "mlflow_runs.py", ["--runs", str(runs)], env=_MLFLOW_ENV
        ),
    )
    return [row]


def cli_startup(ctx: Context) -> list[Result]:
    """Wall seconds of ``rung --help`` vs ``zenml --version`` / ``mlflow --version``."""
    launches = ctx.size(10, 3)
    ctx.note(f"rung --help x {launches}")
    rung = _launches([str(RUNG_BIN / "rung"), "--help"], launches)
    rows: list[Result] = []
    for tool, reference, env in (
        ("zenml", 2.10, _ZENML_ENV),
        ("mlflow", 2.93, _MLFLOW_ENV),
    ):
        row = Result(
            workload=f"cli.startup_vs_{tool}",
            title=f"rung --help vs {tool} --version",
            unit="s",
            lower_is_better=True,
            rung=rung["value"],
            target=0.15,
            peer_reference=reference,
            details={"launches": launches, "rung": rung},
        )
        ctx.add_peer(
            row,
            tool,
            f"{tool} --version x {launches}",
            functools.partial(_version_launches, tool=tool, launches=launches, env=env),
        )
        rows.append(row)
    return rows


def model_registry(ctx: Context) -> list[Result]:
    """Registering a version, moving an alias, loading by alias (ms per call)."""
    versions, moves, loads = ctx.size(20, 5), ctx.size(10, 4), ctx.size(20, 5)
    args = ["--versions", str(versions), "--moves", str(moves), "--loads", str(loads)]
    sizes = {"versions": versions, "moves": moves, "loads": loads}
    ctx.note(f"Rung register_model x {versions}, alias x {moves}, load x {loads}")
    rung = run_rung("registry.py", args)
    # (row, title, key in the scripts' JSON, target, MLflow in PEERS.md)
    figures = [
        ("registry.register", "register_model, lineage + signature", "value", 10, 18.2),
        ("registry.alias", "Move an alias (no gates)", "alias_ms", 5, 8.0),
        ("registry.load", "load_model by alias (scikit-learn)", "load_ms", 10, 12.1),
    ]
    peer: dict[str, Any] = {}

    def mlflow_figure(peers: Any, key: str) -> dict[str, Any]:
        if not peer:  # one MLflow process measures the three rows
            peer.update(run_peer(peers, "mlflow_registry.py", args, env=_MLFLOW_ENV))
        return {**peer, "value": peer[key]}

    rows = []
    for workload, title, key, target, reference in figures:
        row = Result(
            workload=workload,
            title=title,
            unit="ms/call",
            lower_is_better=True,
            rung=rung[key],
            target=target,
            peer_reference=reference,
            details={**sizes, "rung": rung},
        )
        ctx.add_peer(
            row,
            "mlflow",
            f"MLflow register x {versions}, alias x {moves}, load x {loads}",
            lambda peers, key=key: mlflow_figure(peers, key),
        )
        rows.append(row)
    return rows


def _version_launches(
    peers: Peers, *, tool: str, launches: int, env: dict[str, str]
) -> dict[str, Any]:
    return _launches([str(peers.command(tool)), "--version"], launches, env=env)


def _launches(
    command: list[str], launches: int, env: dict[str, str] | None = None
) -> dict[str, Any]:
    samples = time_launches(command, launches, env=env)
    return {"value": median(samples), "unit": "s", "samples": samples}


# The suite, in table order. Later issues append registry, serving and drift.
WORKLOADS: list[Callable[[Context], list[Result]]] = [
    orchestration,
    metric_logging,
    run_creation,
    cli_startup,
    model_registry,
    __import__("drift_suite").drift,  # benchmarks/drift_suite.py
    __import__("serving_suite").serving,  # benchmarks/serving_suite.py
    __import__("estimate_suite").estimate,  # benchmarks/estimate_suite.py
    __import__("automation_suite").agent_tick,  # benchmarks/automation_suite.py
    __import__("cli_suite").cli_commands,  # benchmarks/cli_suite.py
]
