"""Finding a pipeline's local modules and its third-party imports."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from rung.errors import PackagingError
from rung.packaging._sources import find_sources, local_files
from rung.pipelines import load_pipeline


def _names(folder: Path, files: tuple[Path, ...]) -> list[str]:
    return [f.relative_to(folder).as_posix() for f in files]


def test_find_sources_follows_local_imports_and_skips_other_files(
    project: Path,
) -> None:
    found = find_sources(project / "flow.py")
    assert found.folder == project.resolve()
    assert _names(found.folder, found.files) == [
        "flow.py",
        "helpers.py",
        "tools/__init__.py",
        "tools/scale.py",
    ]
    assert found.external == ("rung", "yaml")


def test_find_sources_follows_imports_of_local_modules_transitively(
    project: Path,
) -> None:
    (project / "helpers.py").write_text("import deeper\nfrom pandas import DataFrame\n")
    (project / "deeper.py").write_text("def f():\n    import sklearn\n")
    found = find_sources(project / "flow.py")
    assert "deeper.py" in _names(found.folder, found.files)
    assert {"pandas", "sklearn"} <= set(found.external)


def test_find_sources_takes_single_modules_of_namespace_folders(
    project: Path,
) -> None:
    (project / "ns").mkdir()
    (project / "ns/used.py").write_text("")
    (project / "ns/unused.py").write_text("")
    (project / "flow.py").write_text("from ns import used\nimport ns.used\n")
    found = find_sources(project / "flow.py")
    assert _names(found.folder, found.files) == ["flow.py", "ns/used.py"]


def test_find_sources_adds_modules_imported_at_run_time(project: Path) -> None:
    (project / "plugin.py").write_text("VALUE = 1\n")
    (project / "flow.py").write_text(
        (project / "flow.py").read_text()
        + "\nimport importlib\nimportlib.import_module('plug' + 'in')\n"
    )
    load_pipeline("flow.py:flow")
    try:
        found = find_sources(project / "flow.py")
    finally:
        sys.modules.pop("plugin", None)
    assert "plugin.py" in _names(found.folder, found.files)


def test_find_sources_refuses_a_local_module_with_bad_syntax(project: Path) -> None:
    (project / "helpers.py").write_text("def broken(:\n")
    with pytest.raises(PackagingError, match=r"Cannot read the imports of .*helpers"):
        find_sources(project / "flow.py")


def test_local_files_takes_a_whole_regular_package(project: Path) -> None:
    (project / "tools/sub").mkdir()
    (project / "tools/sub/more.py").write_text("")
    (project / "tools/__pycache__").mkdir()
    (project / "tools/__pycache__/scale.py").write_text("")
    names = [p.relative_to(project).as_posix() for p in local_files("tools", project)]
    assert names == ["tools/__init__.py", "tools/scale.py", "tools/sub/more.py"]
    assert local_files("json", project) == []
