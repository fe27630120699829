"""Fixtures for the serving tests: a workspace with registered models."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from rung.serving import ModelService, ServeOptions
from tests.unit.serving.models import register_churn, started_service

if TYPE_CHECKING:
    from rung.registry.records import ModelVersionRecord
    from rung.workspace import Workspace


@pytest.fixture
def churn(workspace: Workspace) -> list[ModelVersionRecord]:
    """Two versions of ``churn``; ``production`` points to version 1."""
    return register_churn(workspace)


@pytest.fixture
def service(
    workspace: Workspace, churn: list[ModelVersionRecord]
) -> Iterator[ModelService]:
    """A started service of ``churn@production`` (closed after the test)."""
    options = ServeOptions(poll_interval=0.05, flush_seconds=60, flush_rows=100_000)
    with started_service(workspace, "churn@production", options) as svc:
        yield svc
