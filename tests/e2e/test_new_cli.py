"""``rung new``: each built-in template makes a project that works at once.

The slow tests take each built-in template through what its README promises:
generate, the project's own tests (``pytest``, same Python), ``rung run`` on
the bundled sample data, ``rung package`` and ``rung run dist/``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rung.cli import app
from rung.errors import TemplateNotFoundError
from tests.e2e.test_run_default_cli import _stub_wheel
from tests.unit.templates.conftest import commit_all, write_template

PACKAGES = {
    "classification": "churn",
    "regression": "house",
    "batch-scoring": "nightly",
}


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty current folder; no RUNG_* settings; sys.path restored after."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr(sys, "path", list(sys.path))
    for key in list(os.environ):
        if key.startswith("RUNG_"):
            monkeypatch.delenv(key)
    yield work
    for name in [m for m in sys.modules if m.split(".")[0] in PACKAGES.values()]:
        del sys.modules[name]


def rung(*args: str) -> str:
    """Run ``rung ARGS`` in-process; return its output; fail on a bad exit."""
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.stdout
    return result.stdout


def test_list_shows_one_line_per_template() -> None:
    lines = rung("new", "--list").splitlines()
    assert [line.split()[:2] for line in lines] == [
        ["batch-scoring", "1.0.0"],
        ["classification", "1.0.0"],
        ["regression", "1.0.0"],
    ]


def test_new_from_a_folder_template_with_variables(
    folder: Path, tmp_path: Path
) -> None:
    template = write_template(tmp_path / "team")
    out = rung(
        "new", "churn", "-t", str(template), "-v", "team=risk", "-v", "region=ca"
    )
    assert "Created churn from template team (4 files)" in out
    assert "Owned by risk in ca." in (folder / "churn/README.md").read_text()


def test_new_with_an_unknown_template_raises(folder: Path) -> None:
    with pytest.raises(TemplateNotFoundError, match="Unknown template 'nope'"):
        CliRunner().invoke(app, ["new", "churn", "-t", "nope"], catch_exceptions=False)


def test_bad_input_is_one_message_without_a_traceback(
    folder: Path, tmp_path: Path
) -> None:
    template = write_template(tmp_path / "team")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "rung",
            "new",
            "churn",
            "-t",
            str(template),
            "-v",
            "x=1",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "Error: Template variable" in done.stderr
    assert "needs the variable 'team'" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(folder.iterdir()) == []


def test_update_shows_the_diff_and_the_versions(folder: Path, tmp_path: Path) -> None:
    template = write_template(tmp_path / "team")
    rung("new", "churn", "-t", str(template), "-v", "team=risk")
    commit_all(folder / "churn", "New project")
    (template / "README.md.jinja").write_text("# {{ project_name }}\n\nNew text.\n")
    out = rung("new", "--update", "churn")
    assert "+New text." in out
    assert "Updated" in out
    assert "git reset --hard" in " ".join(out.split())
    commit_all(folder / "churn", "Template update")
    update = json.loads(rung("new", "--update", "churn", "--json"))
    assert (update["diff"], update["conflicts"]) == ("", [])


def _in(project: Path, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=project, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.slow
@pytest.mark.parametrize("template", sorted(PACKAGES))
def test_a_new_project_passes_its_tests_runs_and_packages(
    folder: Path, tmp_path: Path, template: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = PACKAGES[template]
    rung("new", name, "--template", template)
    project = folder / name
    tests = _in(project, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0, tests.stdout + tests.stderr
    lint = _in(project, sys.executable, "-m", "ruff", "check", "--no-cache", ".")
    assert lint.returncode == 0, lint.stdout
    monkeypatch.chdir(project)
    run = json.loads(rung("run", "--json"))["run"]
    assert (run["status"], run["name"]) == ("completed", "dev")
    wheel = str(_stub_wheel(tmp_path))
    bundle = json.loads(rung("package", "-o", "dist", "--rung-wheel", wheel, "--json"))
    bundled = json.loads(rung("run", "dist/", "--json"))["run"]
    assert bundled["status"] == "completed"
    assert bundled["tags"]["rung.bundle"] == bundle["content_hash"]


@pytest.mark.slow
def test_a_fresh_built_in_project_is_up_to_date_with_its_template(
    folder: Path,
) -> None:
    rung("new", "churn", "--template", "classification")
    commit_all(folder / "churn", "New project")
    out = rung("new", "--update", "churn")
    assert "is up to date with template classification 1.0.0" in " ".join(out.split())
