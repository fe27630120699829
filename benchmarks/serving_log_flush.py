"""CPU time of one prediction-log flush: many one-row calls vs a few large ones.

A server under single-row load logs one entry per model call; the flusher
turns thousands of them into one Parquet batch every few seconds, on the same
cores as the requests. This measures ``PredictionLog.flush`` (CPU seconds of
the process, the Parquet encoding included) for the serving workload's shape
(20 float inputs, a binary classifier's prediction and probabilities) and for
labels, in a SQLite + folder workspace. ``--compare DIR`` runs another source
tree (e.g. ``git archive main src | tar -x -C /tmp/base``, then
``--compare /tmp/base/src``) in turn with this one, interleaved::

    .venv/bin/python benchmarks/serving_log_flush.py [--rounds 3] [--compare DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CASES = {
    "4000 x 1 row": (4000, 1),
    "4 x 1000 rows": (4, 1000),
    "10000 x 1 row": (10_000, 1),
}
LABELS = {"4000 x 1 label": 4000}


def _entries(count: int, rows: int) -> list[Any]:
    import numpy as np

    from rung.serving._api import IDS
    from rung.serving._model import Outputs
    from rung.serving._write import BatchOrigin, Entry

    try:  # as the server parses an all-float body (trees that have it)
        from rung.serving._inputs import MatrixColumns
    except ImportError:
        MatrixColumns = None

    rng = np.random.default_rng(0)
    origin = BatchOrigin("lr-bench", 1, "dep-1")
    classes = np.array([0, 1])
    names = tuple(f"x{k}" for k in range(20))
    out = []
    for i in range(count):
        matrix = rng.normal(size=(rows, len(names)))
        columns = (
            MatrixColumns(names, matrix)
            if MatrixColumns is not None
            else {name: matrix[:, k] for k, name in enumerate(names)}
        )
        proba = rng.random((rows, 2))
        outputs = Outputs(classes[proba.argmax(axis=1)], proba, (0, 1))
        out.append(Entry(origin, 1.7e9 + i * 1e-3, IDS.take(rows), columns, outputs))
    return out


def _labels(count: int) -> list[Any]:
    from rung.serving._feedback import new_feedback

    return [
        new_feedback("lr-bench", [f"id{i}"], [i % 2], user="http:127.0.0.1")
        for i in range(count)
    ]


def _flush_seconds(workspace: Any, entries: list[Any], labels: bool) -> float:
    from rung.serving import PredictionLog

    log = PredictionLog(workspace)
    for entry in entries:
        (log.append_feedback if labels else log.append)(entry)
    start = time.process_time()
    log.flush()
    return time.process_time() - start


def measure(repeats: int) -> dict[str, list[float]]:
    """Flush CPU seconds per case, ``repeats`` times each (this process's rung)."""
    from rung.workspace import Workspace

    with tempfile.TemporaryDirectory() as tmp:
        workspace = Workspace.from_urls(
            f"sqlite:///{Path(tmp) / 'metadata.db'}",
            str(Path(tmp) / "artifacts"),
            project="bench",
        )
        _flush_seconds(workspace, _entries(10, 1), labels=False)  # imports, store
        results: dict[str, list[float]] = {}
        for _ in range(repeats):
            for name, (count, rows) in CASES.items():
                seconds = _flush_seconds(workspace, _entries(count, rows), False)
                results.setdefault(name, []).append(seconds)
            for name, count in LABELS.items():
                seconds = _flush_seconds(workspace, _labels(count), True)
                results.setdefault(name, []).append(seconds)
        return results


def main() -> None:
    """Run this tree (and ``--compare``'s) in turn; print median CPU ms per flush."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--compare", type=Path, help="another tree's src folder")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        sys.path.insert(0, str(args.child))
        print(json.dumps(measure(args.repeats)))
        return
    trees = {"this": Path(__file__).resolve().parents[1] / "src"}
    if args.compare is not None:
        trees = {"compare": args.compare.resolve(), **trees}
    runs: dict[str, dict[str, list[float]]] = {label: {} for label in trees}
    for _ in range(args.rounds):
        for label, src in trees.items():
            out = subprocess.run(
                [
                    *(sys.executable, __file__, "--child", str(src)),
                    *("--repeats", str(args.repeats)),
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            for case, values in json.loads(out.splitlines()[-1]).items():
                runs[label].setdefault(case, []).extend(values)
    for case in [*CASES, *LABELS]:
        figures = "  ".join(
            f"{label} {statistics.median(runs[label][case]) * 1e3:7.1f} ms"
            for label in trees
        )
        print(f"{case:16s} CPU per flush: {figures}")


if __name__ == "__main__":
    main()
