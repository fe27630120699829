"""Fixtures for driving the ``rung`` command."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rung.cli import app

PIPELINE = textwrap.dedent(
    """
    import rung
    from rung import pipeline, step


    @step
    def make(n: int) -> list[int]:
        print(f"making {n}")
        return list(range(n))


    @step
    def add(values: list[int], offset: float = 0.0) -> float:
        if offset < 0:
            raise ValueError("offset must not be negative")
        result = sum(values) + offset
        rung.log_metric("result", result)
        return result


    @pipeline
    def flow(n: int = 3, offset: float = 0.0) -> None:
        add(make(n), offset=offset)
    """
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty project folder with a pipeline file; the current directory."""
    (tmp_path / "flow.py").write_text(PIPELINE)
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith("RUNG_"):
            monkeypatch.delenv(key)
    yield tmp_path


class Cli:
    """Runs ``rung`` in-process (fast) or as a real subprocess."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.runner = CliRunner()

    def __call__(self, *args: str) -> tuple[int, str]:
        result = self.runner.invoke(app, list(args), catch_exceptions=False)
        return result.exit_code, result.stdout

    def process(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "rung", *args],
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


@pytest.fixture
def cli(project: Path) -> Cli:
    return Cli(project)
