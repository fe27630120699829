"""Rung's benchmark suite: Rung and its peers, same workloads, same run.

    .venv/bin/python benchmarks/run.py [--quick] [--no-peers] [--json OUT]
        [--only WORKLOAD,...] [--baseline SRC]

Each workload in ``suite.WORKLOADS`` runs Rung in a fresh process with a fresh
workspace and, when ``benchmarks/.venv-peers`` exists (``bash
benchmarks/setup-peers.sh``), the same work on ZenML or MLflow. The table
gives both figures, the ratio (> 1 means Rung is better) and whether Rung
meets its target. Results go to ``benchmarks/results/<timestamp>.json``, or to
``--json OUT``. The exit code is 1 only if a Rung workload failed to run;
missed targets are reported, not fatal. ``--only`` runs some workloads;
``--baseline SRC`` also measures the Rung found in ``SRC`` (another checkout's
``src`` folder) in the same run, and shows it beside this one.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness import (
    BENCHMARKS,
    BenchmarkError,
    Context,
    Peers,
    Result,
    find_peers,
    rung_source,
)
from harness import format_figure as fmt
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from suite import WORKLOADS

if TYPE_CHECKING:
    from collections.abc import Callable

RESULTS = BENCHMARKS / "results"


def main(argv: list[str] | None = None) -> int:
    """Run the suite, print the table, write the JSON; return the exit code."""
    args = _parse_args(argv)
    console = Console()
    if not console.is_terminal:  # piped or captured: keep the table on one line a row
        console = Console(width=150)
    peers = None if args.no_peers else find_peers()
    if not args.no_peers and peers is None:
        console.print(
            "[yellow]No peer venv at benchmarks/.venv-peers: measuring Rung and "
            "only the peers that have a venv of their own "
            "(benchmarks/.venv-peers-<group>). Create them all with "
            "`bash benchmarks/setup-peers.sh`.[/]"
        )
    _warn_if_busy(console)
    started = time.perf_counter()
    ctx = Context(quick=args.quick, peers=peers, no_peers=args.no_peers)
    by_workload, errors = _run_suite(console, ctx, args)
    elapsed = time.perf_counter() - started
    results = [row for rows in by_workload.values() for row in rows]
    console.print(_table(results, quick=args.quick))
    for error in errors:
        console.print(f"[red]{error}[/]")
    out = args.json or RESULTS / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = _payload(by_workload, errors, args=args, ctx=ctx, seconds=elapsed)
    out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    load = os.getloadavg()[1]
    console.print(
        f"Took {elapsed:.0f} s (5-minute load average {load:.1f} on "
        f"{os.cpu_count()} CPUs). Results written to {out}"
    )
    return 1 if errors else 0


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Measure Rung and its peers on the same workloads."
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, few runs (~20 s)"
    )
    parser.add_argument(
        "--no-peers", action="store_true", help="skip peers even if installed"
    )
    parser.add_argument(
        "--json",
        type=Path,
        metavar="OUT",
        help="write results here (default: benchmarks/results/<timestamp>.json)",
    )
    parser.add_argument(
        "--only",
        type=_workload_names,
        metavar="WORKLOAD,...",
        help="run only these workloads (names of suite.WORKLOADS functions, "
        f"e.g. {WORKLOADS[0].__name__},{WORKLOADS[1].__name__})",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="SRC",
        help="also measure the Rung package in SRC (another checkout's src "
        "folder), in the same run; the table shows both and the change",
    )
    return parser.parse_args(argv)


def _workload_names(text: str) -> list[str]:
    known = [workload.__name__ for workload in WORKLOADS]
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown workload {', '.join(unknown) or repr(text)}; "
            f"choose from {', '.join(known)}"
        )
    return names


def _warn_if_busy(console: Console) -> None:
    busy, cpus = os.getloadavg()[0], os.cpu_count() or 1
    if busy > cpus * 0.75:
        console.print(
            f"[yellow]The machine is busy (load average {busy:.1f} on {cpus} "
            "CPUs): figures will be slower and noisier than on a quiet machine.[/]"
        )


def _run_suite(
    console: Console, ctx: Context, args: argparse.Namespace
) -> tuple[dict[str, list[Result]], list[str]]:
    """Run every workload; return its rows by workload name, and the errors.

    With ``--baseline``, each workload first runs against the baseline source
    (without peers), then against this one, so both meet the same load.
    """
    workloads = [w for w in WORKLOADS if args.only is None or w.__name__ in args.only]
    results: dict[str, list[Result]] = {}
    errors: list[str] = []
    progress = Progress(
        SpinnerColumn(),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=True,
    )
    with progress:
        task = progress.add_task("", total=len(workloads))
        for workload in workloads:
            name = workload.__name__

            def report(text: str, name: str = name) -> None:
                progress.update(task, description=f"[bold]{name}[/]: {text}")

            ctx.report = report
            ctx.warn = lambda text: progress.console.print(f"[yellow]{text}[/]")
            before: list[Result] = []
            try:
                if args.baseline is not None:
                    before = _run_baseline(workload, ctx, args.baseline)
                rows = workload(ctx)
            except BenchmarkError as exc:
                errors.append(f"{name} failed: {exc}")
                progress.console.print(f"[red]{name} failed[/]")
                rows = []
            _add_baseline(rows, before)
            for row in rows:
                progress.console.print(f"  {row.workload:<28} {_pair(row)}")
            results[name] = rows
            progress.advance(task)
    return results, errors


def _run_baseline(
    workload: Callable[[Context], list[Result]], ctx: Context, src: Path
) -> list[Result]:
    base = Context(
        quick=ctx.quick, peers=None, no_peers=True, report=ctx.report, warn=ctx.warn
    )
    ctx.note(f"baseline from {src}")
    with rung_source(src):
        return workload(base)


def _add_baseline(rows: list[Result], before: list[Result]) -> None:
    by_key = {row.workload: row for row in before}
    for row in rows:
        old = by_key.get(row.workload)
        if old is not None:
            row.baseline = old.rung
            row.details["baseline"] = old.details.get("rung")


def _pair(row: Result) -> str:
    text = f"rung {fmt(row.rung)} {row.unit}"
    if row.baseline is not None:
        text += f" (baseline {fmt(row.baseline)})"
    for peer in row.peers:
        text += f"  |  {peer.name} {fmt(peer.value)} {row.unit}"
    return text


def _table(results: list[Result], *, quick: bool) -> Table:
    title = "Rung vs peers" + (
        " (--quick: small sizes, indicative only)" if quick else ""
    )
    table = Table(title=title, title_justify="left")
    with_baseline = any(row.baseline is not None for row in results)
    table.add_column("Workload")
    table.add_column("Unit")
    if with_baseline:
        table.add_column("Baseline", justify="right")
        table.add_column("Change", justify="right")
    table.add_column("Rung", justify="right")
    table.add_column("Fastest peer")
    table.add_column("Peer figure", justify="right")
    table.add_column("Ratio to fastest (>1: Rung better)", justify="right")
    table.add_column("Other peers")
    table.add_column("Rung target")
    table.add_column("Met", justify="center")
    for row in results:
        ratio = row.ratio
        ratio_text = "" if ratio is None else f"{ratio:,.1f}x"
        if ratio is not None and ratio < 1:
            ratio_text = f"[red]{ratio_text}[/]"
        met = {True: "[green]yes[/]", False: "[red]NO[/]", None: ""}[row.is_target_met]
        before = []
        if with_baseline:
            change = row.change
            before = [
                "" if row.baseline is None else fmt(row.baseline),
                "" if change is None else f"{change:,.2f}x",
            ]
        table.add_row(
            row.title,
            row.unit,
            *before,
            fmt(row.rung),
            row.peer_name or "[dim]not run[/]",
            "" if row.peer is None else fmt(row.peer),
            ratio_text,
            _others(row),
            row.target_text,
            met,
        )
    return table


def _others(row: Result) -> str:
    best = row.fastest_peer
    return ", ".join(
        f"{peer.name} {fmt(peer.value)}" for peer in row.peers if peer is not best
    )


def _payload(
    by_workload: dict[str, list[Result]],
    errors: list[str],
    *,
    args: argparse.Namespace,
    ctx: Context,
    seconds: float,
) -> dict[str, Any]:
    groups = {name: venv for name, venv in ctx.peer_groups.items() if venv}
    return {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "peers_measured": ctx.peers is not None or bool(groups),
        "only": args.only,
        "baseline": None if args.baseline is None else str(args.baseline),
        "seconds": round(seconds, 1),
        "workloads": {
            name: [row.workload for row in rows] for name, rows in by_workload.items()
        },
        "environment": _environment(ctx.peers, groups),
        "results": [row.to_json() for rows in by_workload.values() for row in rows],
        "errors": errors,
    }


def _environment(peers: Peers | None, groups: dict[str, Peers]) -> dict[str, Any]:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=BENCHMARKS,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        # Other processes move the figures: keep the 1/5/15-minute load at the end.
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "rung": importlib.metadata.version("rung"),
        "commit": commit or None,
        "peers": dict(peers.versions) if peers else {},
        # Peers with a venv of their own: the versions in each group's venv.
        "peer_groups": {name: dict(venv.versions) for name, venv in groups.items()},
    }


if __name__ == "__main__":
    sys.exit(main())
