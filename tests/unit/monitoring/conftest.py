"""Fixtures for the monitoring tests: a model trained by a real pipeline."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from rung.monitoring import AlertEvent
from rung.monitoring.records import AlertRecord
from rung.registry import promote_model, register_model
from tests.unit.registry.flows import training

if TYPE_CHECKING:
    from rung.registry.records import ModelVersionRecord
    from rung.workspace import Workspace


@pytest.fixture
def churn(workspace: Workspace) -> ModelVersionRecord:
    """``churn`` v1 (accuracy recorded), trained by a pipeline, at ``production``."""
    run = training(C=1.0)
    version = register_model(workspace, run, "churn", step="train")
    promote_model(workspace, "churn", version.version, "production")
    return version


def production(
    rows: int = 300, *, seed: int = 3, shift: float = 0.0, labels: bool = True
) -> pd.DataFrame:
    """Rows like the training data of ``tests.unit.registry.flows`` (+ a shift)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 80, rows) + int(shift * 20),
            "income": rng.normal(50.0 + shift * 10, 10.0, rows),
            "visits": rng.integers(0, 9, rows),
        }
    )
    if labels:
        frame["label"] = (frame["visits"] < 4).astype(int)
    return frame


def scored(rows: int, a: float, b: float, *, seed: int) -> pd.DataFrame:
    """A calibrated classifier's outputs: P(label=1) = proba_1 (Beta(a, b))."""
    rng = np.random.default_rng(seed)
    p = rng.beta(a, b, rows)
    return pd.DataFrame(
        {
            "x": p,
            "label": (rng.random(rows) < p).astype(int),
            "prediction": (p >= 0.5).astype(int),
            "proba_0": 1.0 - p,
            "proba_1": p,
        }
    )


def alert_event(kind: str = "opened") -> AlertEvent:
    """An alert event as a monitor's sinks receive it."""
    alert = AlertRecord(
        id="a" * 32,
        project="test-project",
        monitor="churn",
        check="drift",
        severity="warning",
        status="open",
        opened_at=1_800_000_000.0,
        updated_at=1_800_000_000.0,
        message="1 of 3 features drifted (33%): age",
        first_evaluation_id="e" * 32,
        last_evaluation_id="e" * 32,
    )
    return AlertEvent(kind, alert)
