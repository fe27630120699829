"""Fixtures for packaging: a pipeline folder with local modules, a Rung wheel."""

from __future__ import annotations

import importlib.metadata
import os
import sys
import textwrap
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

FLOW = textwrap.dedent(
    """
    import json

    import helpers
    import yaml
    from tools import scale

    from rung import pipeline, step


    @step
    def make(n: int) -> list[int]:
        return helpers.numbers(n)


    @step
    def total(values: list[int], factor: float = 1.0) -> float:
        json.dumps(values)
        yaml.safe_dump(values)
        return scale.apply(sum(values), factor)


    @pipeline
    def flow(n: int = 3, factor: float = 1.0) -> None:
        total(make(n), factor=factor)
    """
)

FILES = {
    "flow.py": FLOW,
    "helpers.py": "def numbers(n: int) -> list[int]:\n    return list(range(n))\n",
    "tools/__init__.py": "",
    "tools/scale.py": (
        "def apply(value: float, factor: float) -> float:\n    return value * factor\n"
    ),
    "unrelated.py": "import not_a_real_module\n",
    "data.csv": "a,b\n1,2\n",
}

LOCAL_MODULES = ("helpers", "tools", "tools.scale")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder with ``flow.py:flow``, the modules it imports and others; cwd."""
    folder = tmp_path / "project"
    for name, text in FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    monkeypatch.chdir(folder)
    # Loading a pipeline puts its folder on sys.path and its modules in
    # sys.modules; give every test its own.
    monkeypatch.setattr(sys, "path", list(sys.path))
    for key in list(os.environ):
        if key.startswith("RUNG_"):
            monkeypatch.delenv(key)
    yield folder
    for name in LOCAL_MODULES:
        sys.modules.pop(name, None)


@pytest.fixture(scope="session")
def rung_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stand-in Rung wheel: real metadata, no code (building one takes seconds)."""
    version = importlib.metadata.version("rung")
    wheel = tmp_path_factory.mktemp("wheels") / f"rung-{version}-py3-none-any.whl"
    requires = importlib.metadata.requires("rung") or []
    metadata = "Metadata-Version: 2.1\nName: rung\nVersion: " + version + "\n"
    metadata += "".join(f"Requires-Dist: {line}\n" for line in requires)
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(f"rung-{version}.dist-info/METADATA", metadata)
        archive.writestr("rung/__init__.py", "")
    return wheel
