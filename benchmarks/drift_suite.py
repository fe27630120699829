"""The drift workload of ``benchmarks/run.py``: Rung beside SciPy, NumPy and peers.

Registered in ``suite.WORKLOADS``. For each size (100,000 and 1,000,000 rows
x 20 numeric features, +0.1 sd in 10 columns, seeded) Rung's
``compute_drift`` (KS + p-value, PSI, normalised Wasserstein, Jensen-Shannon,
all columns) is timed once, and each row sets one comparison beside it, all
measured in the same run with the peer venv's Python: a plain SciPy
``ks_2samp`` loop, a plain NumPy PSI, NannyML and Evidently (those two only
if installed there; a missing package leaves the row's peer empty).
"""

from __future__ import annotations

import functools
from typing import Any

from harness import Context, Peers, Result, run_peer, run_rung

# (row suffix, package, script, note) of each comparison.
_COMPARISONS = (
    ("scipy_ks", "scipy", "scipy_drift.py", "SciPy ks_2samp x 20 columns"),
    ("numpy_psi", "numpy", "numpy_psi.py", "NumPy PSI (quantile bins) x 20 columns"),
    ("nannyml", "nannyml", "nannyml_drift.py", "NannyML UnivariateDriftCalculator"),
    ("evidently", "evidently", "evidently_drift.py", "Evidently DataDriftPreset"),
)
# shared/PEERS.md figures at 1,000,000 and 100,000 rows (None: not measured).
_REFERENCE = {
    ("scipy_ks", 1_000_000): 5.09,
    ("numpy_psi", 1_000_000): 2.43,
    ("nannyml", 1_000_000): 9.44,
    ("nannyml", 100_000): 0.99,
    ("evidently", 1_000_000): 139.6,
    ("evidently", 100_000): 8.61,
}
_TARGETS = {100_000: 0.25, 1_000_000: 2.0}


def drift(ctx: Context) -> list[Result]:
    """Seconds for KS + PSI + Wasserstein + JS on 20 features, two sizes."""
    sizes = [ctx.size(100_000, 10_000), *([] if ctx.quick else [1_000_000])]
    repeats = ctx.size(3, 1)
    rows: list[Result] = []
    for size in sizes:
        label = f"{size // 1000:,}k" if size < 1_000_000 else f"{size // 1_000_000}m"
        ctx.note(f"Rung compute_drift, {size:,} rows x 20 features")
        rung = run_rung("drift.py", ["--rows", str(size), "--repeats", str(repeats)])
        for suffix, package, script, note in _COMPARISONS:
            row = Result(
                workload=f"drift.{label}_vs_{suffix}",
                title=f"Drift, {size:,} rows x 20: Rung vs {note.split(' ')[0]}",
                unit="s",
                lower_is_better=True,
                rung=rung["value"],
                target=_TARGETS.get(size),
                peer_reference=_REFERENCE.get((suffix, size)),
                details={"rows": size, "rung": rung, "comparison": note},
            )
            measure = functools.partial(
                _peer,
                script=script,
                rows=size,
                repeats=1 if size > 100_000 else repeats,
            )
            ctx.add_peer(row, package, f"{note}, {size:,} rows", measure)
            rows.append(row)
    return rows


def _peer(peers: Peers, *, script: str, rows: int, repeats: int) -> dict[str, Any]:
    args = ["--rows", str(rows)]
    if script in ("scipy_drift.py", "numpy_psi.py"):
        args += ["--repeats", str(repeats)]
    return run_peer(peers, script, args)
