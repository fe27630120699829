"""Scoring model versions on logged inputs: predictions, metrics, latency, slices.

Both versions of a comparison are loaded through the registry and predict
through the serving domain's :class:`~rung.serving.ServedModel`, the code path
production uses, on exactly the same input arrays. Metrics come from
monitoring's :func:`~rung.monitoring.evaluate_performance`, so "accuracy"
means the same thing in a comparison, a monitor and a watch.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rung.automation.errors import ChallengerDataError

if TYPE_CHECKING:
    from collections.abc import Mapping

    import numpy as np
    import pandas as pd

    from rung.monitoring import PerformanceResult
    from rung.registry.records import ModelVersionRecord
    from rung.serving import Outputs, ServedModel
    from rung.workspace import Workspace

__all__ = [
    "LOWER_IS_BETTER",
    "Scored",
    "holdout_mask",
    "improvement",
    "input_columns",
    "latency_ms_per_1k",
    "load_scorer",
    "log_column",
    "parse_slice",
    "rescore",
    "score",
    "slice_mask",
]

LOWER_IS_BETTER = frozenset({"log_loss", "mae", "rmse"})
_LOG_COLUMNS = frozenset(
    {"prediction_id", "timestamp", "model", "version", "prediction", "label"}
)
_LATENCY_ROWS = 1000


@dataclass(frozen=True, slots=True)
class Scored:
    """One model's outputs on some rows and its metrics against the labels."""

    outputs: Outputs
    performance: PerformanceResult

    def metric(self, name: str) -> float | None:
        """The value of one metric (None when it could not be computed)."""
        value = self.performance.metrics.get(name)
        return None if value is None else float(value)


def load_scorer(
    workspace: Workspace, record: ModelVersionRecord, *, allow_pickle: bool = False
) -> ServedModel:
    """Load a version as the model server would (registry, safe formats)."""
    from rung.serving import ServedModel

    return ServedModel.from_record(workspace, record, allow_pickle=allow_pickle)


def log_column(name: str) -> str:
    """The prediction log's column for input feature ``name``.

    The log prefixes a feature named like one of its own columns with
    ``input_`` (the serving domain's rule, repeated here as a fact of the log
    format).
    """
    if name in _LOG_COLUMNS or name.startswith("proba_"):
        return f"input_{name}"
    return name


def input_columns(
    frame: pd.DataFrame, scorer: ServedModel, *, logged: bool = True
) -> dict[str, np.ndarray]:
    """The model's input columns taken from logged rows (or a plain table).

    Raises:
        ChallengerDataError: a feature of the signature is not in the rows.
    """
    names = list(scorer.schema.names)
    where = {n: log_column(n) if logged else n for n in names}
    missing = [n for n, column in where.items() if column not in frame.columns]
    if missing:
        raise ChallengerDataError(
            f"The rows lack the input column(s) {missing} of {scorer.label} "
            f"(columns: {sorted(map(str, frame.columns))}). Compare versions whose "
            "signature matches what the deployment logged."
        )
    return {n: frame[column].to_numpy() for n, column in where.items()}


def score(
    scorer: ServedModel, columns: Mapping[str, np.ndarray], labels: np.ndarray
) -> Scored:
    """Predict ``columns`` and score the predictions against ``labels``."""
    from rung.monitoring import evaluate_performance

    outputs = scorer.predict(dict(columns))
    data: dict[str, Any] = {"label": labels, "prediction": outputs.predictions}
    if outputs.probabilities is not None and outputs.classes is not None:
        for k, name in enumerate(outputs.classes):
            data[f"proba_{name}"] = outputs.probabilities[:, k]
    return Scored(outputs, evaluate_performance(data, task=_task_of(scorer)))


def rescore(scored: Scored, mask: np.ndarray, labels: np.ndarray) -> Scored | None:
    """The same predictions restricted to ``mask`` (None when no row is left)."""
    from rung.monitoring import evaluate_performance

    if not mask.any():
        return None
    out = scored.outputs
    data: dict[str, Any] = {"label": labels[mask], "prediction": out.predictions[mask]}
    if out.probabilities is not None and out.classes is not None:
        for k, name in enumerate(out.classes):
            data[f"proba_{name}"] = out.probabilities[mask, k]
    kind = scored.performance.task
    return Scored(out, evaluate_performance(data, task=kind))


def improvement(metric: str, challenger: float, champion: float) -> float:
    """How much better the challenger is (> 0: better, in the metric's units)."""
    if metric in LOWER_IS_BETTER:
        return champion - challenger
    return challenger - champion


def latency_ms_per_1k(
    scorers: list[ServedModel], columns: Mapping[str, np.ndarray], repeats: int = 5
) -> list[float]:
    """Median milliseconds per 1,000 rows of each model on the same rows.

    The models take turns (one warm-up call each first), so load on the
    machine weighs on both alike.
    """
    rows = {k: v[:_LATENCY_ROWS] for k, v in columns.items()}
    size = len(next(iter(rows.values()))) if rows else 0
    if size == 0:
        return [float("nan")] * len(scorers)
    for scorer in scorers:
        scorer.predict(rows)
    timings: list[list[float]] = [[] for _ in scorers]
    for _ in range(repeats):
        for i, scorer in enumerate(scorers):
            started = time.perf_counter()
            scorer.predict(rows)
            timings[i].append(time.perf_counter() - started)
    return [statistics.median(t) / size * 1000 * 1000 for t in timings]


def parse_slice(text: str) -> tuple[str, str]:
    """``"region=CA"`` -> ``("region", "CA")``.

    Raises:
        ChallengerDataError: no ``=`` or an empty column name.
    """
    column, sep, value = str(text).partition("=")
    if not sep or not column.strip():
        raise ChallengerDataError(
            f"Cannot read the slice {text!r}: write COLUMN=VALUE, e.g. region=CA."
        )
    return column.strip(), value.strip()


def slice_mask(
    frame: pd.DataFrame, text: str, *, logged: bool = True
) -> np.ndarray | None:
    """Rows of ``frame`` in the slice ``column=value`` (None: no such column).

    A numeric column compares numerically (``calls=2`` matches 2 and 2.0);
    any other compares as text.
    """
    import numpy as np
    import pandas as pd

    column, value = parse_slice(text)
    name = log_column(column) if logged else column
    if name not in frame.columns:
        return None
    values = frame[name]
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        try:
            number = float(value)
        except ValueError:
            return np.zeros(len(frame), dtype=bool)
        return np.asarray(values.to_numpy(dtype=float) == number)
    return np.asarray(values.astype(str).to_numpy() == value)


def holdout_mask(frame: pd.DataFrame, fraction: float = 0.2) -> np.ndarray:
    """The deterministic held-out share of a table: rows chosen by content hash.

    A row is held out when the hash of its values (pandas'
    ``hash_pandas_object``, fixed key, index left out) falls in the first
    ``fraction`` of 10,000 buckets. The same row is held out in every process
    and on every machine, so a training pipeline can leave these rows out
    (``train = frame[~holdout_mask(frame)]``) and a comparison can score both
    models on them.

    Example:
        >>> import pandas as pd
        >>> frame = pd.DataFrame({"x": range(1000)})
        >>> round(float(holdout_mask(frame).mean()), 1)
        0.2
    """
    import numpy as np
    import pandas as pd

    if not 0 < fraction < 1:
        raise ChallengerDataError(
            f"The held-out fraction must be between 0 and 1, got {fraction!r}."
        )
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return np.asarray(hashed % 10_000 < round(fraction * 10_000))


def _task_of(scorer: ServedModel) -> str | None:
    # A model with predict_proba and classes is a classifier; otherwise the
    # labels decide (monitoring's guess).
    return "classification" if scorer.classes is not None else None
