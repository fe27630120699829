"""Fixtures for the registry tests: trained runs and registered versions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from rung.registry import register_model
from tests.unit.registry.flows import training

if TYPE_CHECKING:
    from rung.registry.records import ModelVersionRecord
    from rung.tracking import Run
    from rung.workspace import Workspace


@pytest.fixture
def trained(workspace: Workspace) -> Run:
    """A completed run of the training pipeline (make_data, train, evaluate)."""
    return training(C=1.0)


@pytest.fixture
def versions(workspace: Workspace, trained: Run) -> list[ModelVersionRecord]:
    """Three versions of ``churn`` from the same run, accuracy 0.80/0.90/0.95."""
    return [
        register_model(
            workspace, trained, "churn", step="train", metrics={"accuracy": value}
        )
        for value in (0.80, 0.90, 0.95)
    ]
