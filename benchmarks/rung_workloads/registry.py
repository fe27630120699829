"""Rung: registering model versions, moving an alias, loading by alias.

A two-step pipeline (make a 10,000 x 20 DataFrame, fit a LogisticRegression)
runs once, untimed. Then, timed one call at a time:

- ``rung.register_model(<model artifact id>, name=...)`` x ``--versions``:
  lineage, metrics, signature (inferred from the training DataFrame),
  framework, code version, card, and the version row;
- ``promote_model`` (no gates) x ``--moves``, alternating two versions;
- ``rung.load_model("lr-bench@champion")`` x ``--loads``.

Prints milliseconds per registration as ``value``, the other medians beside.

    python registry.py --versions 20 --moves 10 --loads 20
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import TYPE_CHECKING

import rung
from rung import pipeline, step

if TYPE_CHECKING:
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

NAME = "lr-bench"


@step
def make_data(rows: int = 10_000) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        rng.normal(size=(rows, 20)), columns=[f"x{i}" for i in range(20)]
    )
    frame["label"] = (frame["x0"] + rng.normal(size=rows) > 0).astype(int)
    return frame


@step
def fit(data: pd.DataFrame) -> LogisticRegression:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(max_iter=200)
    model.fit(data.drop(columns="label"), data["label"])
    rung.log_metric(
        "accuracy", float(model.score(data.drop(columns="label"), data["label"]))
    )
    return model


@pipeline
def training() -> None:
    fit(make_data())


def _timed(calls: int, action: object) -> list[float]:
    samples = []
    for i in range(calls):
        start = time.perf_counter()
        action(i)  # type: ignore[operator]
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--versions", type=int, default=20)
    parser.add_argument("--moves", type=int, default=10)
    parser.add_argument("--loads", type=int, default=20)
    args = parser.parse_args()

    run = training()
    artifact = run.steps["fit"].outputs["output"]
    first = rung.register_model(artifact, name=NAME)  # warm-up, discarded
    assert first.signature is not None and len(first.signature) == 20

    register = _timed(args.versions, lambda i: rung.register_model(artifact, name=NAME))
    rung.promote_model(NAME, first.version, "champion")
    versions = (first.version + 1, first.version)
    move = _timed(
        args.moves, lambda i: rung.promote_model(NAME, versions[i % 2], "champion")
    )
    load = _timed(args.loads, lambda i: rung.load_model(f"{NAME}@champion"))
    print(
        json.dumps(
            {
                "value": statistics.median(register),
                "unit": "ms/version",
                "samples": register,
                "alias_ms": statistics.median(move),
                "load_ms": statistics.median(load),
                "alias_samples": move,
                "load_samples": load,
            }
        )
    )


if __name__ == "__main__":
    main()
