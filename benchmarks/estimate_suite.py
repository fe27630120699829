"""The label-free estimation workload: Rung's CBPE beside NannyML's, same data.

Registered in ``suite.WORKLOADS`` (so ``benchmarks/run.py`` measures it with
the rest, NannyML from ``benchmarks/.venv-peers``), and runnable alone, with
NannyML from ``RUNG_NANNYML_PYTHON`` or ``/work/.venv-nannyml`` (``bash
scripts/setup-nannyml-venv.sh``) when there is no peer venv::

    .venv/bin/python benchmarks/estimate_suite.py [--quick] [--no-peers] [--json OUT]

Each row times fit on a labelled reference + estimate of 1,000,000 unlabelled
predictions (binary, five metrics, 10 chunks per data set, seeded data whose
probabilities need recalibrating) in fresh processes: Rung's median of 3 runs,
NannyML's one run, both after a warm-up. The issue's targets: <= 1 s for Rung
and >= 5x faster than NannyML, measured in the same run. Both tools' per-chunk
estimates are compared too (``max_abs_difference`` in the row's details).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness import Context, Peers, Result, find_peers, run_peer, run_rung

TARGET_SECONDS = 1.0
TARGET_RATIO = 5.0
NANNYML_VENV = Path("/work/.venv-nannyml")
# (reference rows, analysis rows, target) per row; the second row is full-size only.
_SIZES = ((100_000, 1_000_000, TARGET_SECONDS), (1_000_000, 1_000_000, None))
_QUICK_SIZES = ((10_000, 100_000, None),)


def estimate(ctx: Context) -> list[Result]:
    """Seconds for CBPE fit + estimate, Rung and NannyML, same seeded data."""
    rows: list[Result] = []
    for reference, analysis, target in _QUICK_SIZES if ctx.quick else _SIZES:
        args = ["--reference", str(reference), "--analysis", str(analysis)]
        ctx.note(f"Rung CBPE, {reference:,} reference + {analysis:,} predictions")
        rung = run_rung("estimate.py", [*args, "--repeats", str(ctx.size(3, 1))])
        row = Result(
            workload=f"estimate.cbpe_{_label(reference)}_ref_{_label(analysis)}",
            title=f"CBPE fit {_label(reference)} + estimate {_label(analysis)} rows",
            unit="s",
            lower_is_better=True,
            rung=rung["value"],
            target=target,
            details={
                "reference_rows": reference,
                "analysis_rows": analysis,
                "target_ratio": TARGET_RATIO if target is not None else None,
                "rung": rung,
            },
        )
        ctx.add_peer(
            row,
            "nannyml",
            f"NannyML CBPE, {reference:,} reference + {analysis:,} predictions",
            functools.partial(run_peer, name="nannyml_estimate.py", args=args),
        )
        peer = (row.details.get("peer") or {}).get("nannyml") or {}
        if peer:
            row.details["max_abs_difference"] = _max_difference(rung, peer)
        rows.append(row)
    return rows


def _label(rows: int) -> str:
    return f"{rows // 1_000_000}m" if rows >= 1_000_000 else f"{rows // 1000}k"


def _max_difference(rung: dict[str, Any], peer: dict[str, Any]) -> float | None:
    """Largest gap between the two tools' per-chunk estimates (any metric)."""
    gaps = [
        abs(a - b)
        for metric, ours in rung.get("estimates", {}).items()
        for a, b in zip(ours, peer.get("estimates", {}).get(metric, []), strict=False)
        if a is not None and b is not None
    ]
    return max(gaps) if gaps else None


def _nannyml_peers() -> Peers | None:
    """The peer venv if it has NannyML, else the NannyML venv of the tests."""
    peers = find_peers()
    candidates = [peers.python] if peers else []
    if os.environ.get("RUNG_NANNYML_PYTHON"):
        candidates.append(Path(os.environ["RUNG_NANNYML_PYTHON"]))
    candidates.append(NANNYML_VENV / "bin" / "python")
    for python in candidates:
        done = subprocess.run(
            [str(python), "-c", "import nannyml; print(nannyml.__version__)"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode == 0:
            return Peers(python=python, versions={"nannyml": done.stdout.strip()})
    return None


def main(argv: list[str] | None = None) -> int:
    """Run this workload alone; print the table; write the JSON results."""
    import run  # the table and the JSON layout of benchmarks/run.py
    from rich.console import Console

    parser = argparse.ArgumentParser(description="Rung's CBPE beside NannyML's.")
    parser.add_argument("--quick", action="store_true", help="100k predictions")
    parser.add_argument("--no-peers", action="store_true", help="skip NannyML")
    parser.add_argument("--json", type=Path, metavar="OUT", help="results file")
    args = parser.parse_args(argv)
    console = Console(width=150)
    peers = None if args.no_peers else _nannyml_peers()
    if peers is None and not args.no_peers:
        console.print("[yellow]No NannyML venv found: measuring Rung only.[/]")
    ctx = Context(
        quick=args.quick, peers=peers, report=console.print, warn=console.print
    )
    started = time.perf_counter()
    rows = estimate(ctx)
    seconds = time.perf_counter() - started
    console.print(run._table(rows, quick=args.quick))
    for row in rows:
        console.print(_verdict(row))
    out = args.json or run.RESULTS / f"estimate-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = run._payload(
        {"estimate": rows}, [], args=args, peers=peers, seconds=seconds
    )
    out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    console.print(f"Took {seconds:.0f} s. Results written to {out}")
    return 0


def _verdict(row: Result) -> str:
    text = f"{row.workload}: Rung {row.rung:.3f} s"
    if row.peer is not None and row.ratio is not None:
        text += f", {row.peer_name} {row.peer:.3f} s, {row.ratio:.1f}x faster"
        gap = row.details.get("max_abs_difference")
        if gap is not None:
            text += f" (estimates differ by at most {gap:.1e})"
    if row.target is not None:
        met = row.is_target_met and (row.ratio is None or row.ratio >= TARGET_RATIO)
        text += f"; targets <= {row.target:g} s and >= {TARGET_RATIO:g}x: "
        text += "met" if met else "NOT met"
    return text


if __name__ == "__main__":
    sys.exit(main())
