"""Score: pick the model version, and publish the scores.

The scoring itself is Rung's ``batch_predict_step``: it checks the rows
against the model's signature and writes every prediction to the prediction
log, where ``rung monitor`` finds them.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
import rung
from rung import step
from rung.errors import ModelNotFoundError, ModelVersionNotFoundError
from rung.registry import resolve_model
from rung.serving import batch_predict_step

from .load import read_table
from .train import build_model

__all__ = ["batch_predict_step", "model_version", "publish", "train_baseline"]


def train_baseline(name: str, data: str, target: str) -> str:
    """Train a model on ``data``, register it as ``name``; return ``name/N``."""
    frame = read_table(data)
    inputs = frame.drop(columns=target)
    model = build_model(C=1.0).fit(inputs, frame[target])
    version = rung.register_model(
        model,
        name=name,
        signature=inputs,
        description=f"Baseline trained on {data} by the scoring pipeline.",
    )
    return f"{name}/{version.version}"


@step(cache=False)
def model_version(
    model: str, baseline_data: str | None = None, target: str = "target"
) -> str:
    """The version ``model`` (``NAME@ALIAS``, ``NAME/N``) names now: ``NAME/N``.

    When the registry has no such model and ``baseline_data`` is given (the
    development configuration), a baseline is trained on it and registered,
    so a new project scores at once. In production a missing model fails the
    run: train one with the ``training`` pipeline and promote it.
    """
    try:
        found = resolve_model(rung.current_workspace(), model)
    except (ModelNotFoundError, ModelVersionNotFoundError):
        if not baseline_data:
            raise
        name = model.split("@")[0].split("/")[0]
        uri = train_baseline(name, baseline_data, target)
        print(f"no model {model} yet: registered a baseline, {uri}")
        return uri
    return f"{found.model}/{found.version}"


@step
def publish(scored: pd.DataFrame, output: str) -> str:
    """Write the scores to ``output`` (CSV or Parquet), atomically; log totals."""
    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        if path.suffix.lower() in {".parquet", ".pq"}:
            scored.to_parquet(temp, index=False)
        else:
            scored.to_csv(temp, index=False)
        Path(temp).replace(path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    rung.log_metrics(
        {
            "rows_scored": float(len(scored)),
            "mean_prediction": float(scored["prediction"].mean()),
        }
    )
    print(f"wrote {len(scored)} scores to {path}")
    return str(path)
