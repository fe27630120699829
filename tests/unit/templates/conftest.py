"""Fixtures: small copier templates (a folder, a git repository), git helpers."""

from __future__ import annotations

import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

COPIER_YML = textwrap.dedent(
    """\
    _answers_file: .copier-answers.yml
    project_name:
      type: str
      help: The project's name
    team:
      type: str
      help: The team that owns the project
    region:
      type: str
      default: eu
    """
)

FILES = {
    "copier.yml": COPIER_YML,
    "{{ _copier_conf.answers_file }}.jinja": "{{ _copier_answers|to_nice_yaml -}}\n",
    "README.md.jinja": "# {{ project_name }}\n\nOwned by {{ team }} in {{ region }}.\n",
    "settings.toml.jinja": 'team = "{{ team }}"\nretries = 3\n',
    "src/{{ project_name }}.py": "VALUE = 1\n",
}


def write_template(folder: Path, files: dict[str, str] | None = None) -> Path:
    """Write a copier template into ``folder`` and return it."""
    for name, text in (FILES if files is None else files).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def git(folder: Path, *args: str) -> str:
    """Run git in ``folder`` with a fixed identity; return its output."""
    done = subprocess.run(
        ["git", "-c", "user.name=Ada", "-c", "user.email=ada@example.org", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def commit_all(folder: Path, message: str) -> None:
    """``git init`` (once), then commit everything in ``folder``."""
    if not (folder / ".git").exists():
        git(folder, "init", "-q")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", message)


def leftovers(folder: Path) -> list[str]:
    """Temporary folders a failed ``new_project`` would have left behind."""
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name)


@pytest.fixture
def team_template(tmp_path: Path) -> Path:
    """A folder template asking for ``team`` (no default) and ``region``."""
    return write_template(tmp_path / "team-template")


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty folder, the current directory, where projects are made."""
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    yield folder
