"""A workspace with a small pipeline file and a dataset, for the automation tests."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from rung.workspace import Workspace

FLOW = """
from rung import pipeline, step
import rung


@step
def echo(version: int, note: str) -> dict:
    rung.log_metric("version", float(version))
    return {"version": version, "note": note}


@pipeline
def training(version: int = 0, note: str = "scheduled"):
    echo(version, note)


@step
def explode(version: int) -> int:
    raise ValueError("boom")


@pipeline
def broken(version: int = 0):
    explode(version)
"""


@pytest.fixture
def flow(tmp_path: Path) -> str:
    """The pipeline file's ``training`` reference."""
    path = tmp_path / "flow.py"
    path.write_text(textwrap.dedent(FLOW))
    return f"{path}:training"


@pytest.fixture
def claims(workspace: Workspace, tmp_path: Path) -> Path:
    """A registered dataset ``claims`` (version 1, three rows); returns its file."""
    from rung.catalog import register_dataset

    path = tmp_path / "claims.csv"
    path.write_text("a,b\n1,2\n3,4\n5,6\n")
    register_dataset(workspace, "claims", str(path))
    return path
