"""The catalog's public API, its import cost, and the docs example."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import rung
import rung.catalog

if TYPE_CHECKING:
    import pytest

DOC = Path(__file__).parents[3] / "docs" / "catalog.md"


def test_all_names_resolve_and_public_names_are_listed() -> None:
    exported = rung.catalog.__all__
    assert len(exported) == len(set(exported))
    for name in exported:
        assert getattr(rung.catalog, name) is not None
    public = {
        name
        for name, value in vars(rung.catalog).items()
        if not name.startswith("_") and callable(value)
    }
    assert public <= set(exported)
    assert rung.load_dataset.__module__ == "rung._convenience"
    assert rung.catalog.load_dataset.__code__.co_varnames[0] == "workspace"


def test_importing_the_catalog_and_cli_stays_light() -> None:
    code = (
        "import sys, rung.catalog, rung.cli; "
        "heavy = {'pandas', 'pyarrow', 'sqlalchemy', 'fsspec', 'numpy'}; "
        "print(sorted(heavy & set(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_docs_python_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) == 1
    exec(compile(blocks[0], str(DOC), "exec"), {})  # noqa: S102
    assert "claims@1" in capsys.readouterr().out
