"""The Python example in docs/packaging.md runs as written."""

from __future__ import annotations

import importlib.metadata
import re
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

from rung.packaging import _package as package_module
from rung.packaging._wheel import RungSource

if TYPE_CHECKING:
    import pytest

DOC = Path(__file__).parents[3] / "docs" / "packaging.md"

TRAIN = textwrap.dedent(
    """
    from rung import pipeline, step


    @step
    def fit(C: float) -> float:
        return C * 2


    @pipeline
    def training(C: float = 1.0) -> None:
        fit(C)
    """
)


def test_packaging_doc_python_example_runs(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "pipelines").mkdir()
    (project / "pipelines/train.py").write_text(TRAIN)
    # Pin Rung instead of building its wheel: same code path, seconds faster.
    version = importlib.metadata.version("rung")
    monkeypatch.setattr(
        package_module, "rung_source", lambda: RungSource("index", None, version)
    )
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) == 1
    namespace: dict[str, object] = {}
    exec(compile(blocks[0], str(DOC), "exec"), namespace)  # noqa: S102
    assert (project / "dist" / "rung-bundle.json").is_file()
