"""``new_project``: a project from a template, written all or nothing."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import yaml

from rung.errors import (
    ProjectExistsError,
    TemplateError,
    TemplateNotFoundError,
    TemplateSourceError,
    TemplateVariableError,
)
from rung.templates import new_project
from tests.unit.templates.conftest import leftovers, write_template


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_new_project_renders_the_template_with_the_variables(
    work: Path, team_template: Path
) -> None:
    project = new_project("churn", str(team_template), variables={"team": "risk"})
    assert project.path == work / "churn"
    assert (work / "churn/README.md").read_text() == (
        "# churn\n\nOwned by risk in eu.\n"
    )
    assert project.files == (
        ".copier-answers.yml",
        "README.md",
        "settings.toml",
        "src/churn.py",
    )
    assert project.answers["team"] == "risk"
    assert project.template.name == "team-template"
    recorded = yaml.safe_load((work / "churn/.copier-answers.yml").read_text())
    assert recorded["_src_path"] == str(team_template)


def test_dest_names_the_project_folder_and_may_be_an_empty_folder(
    work: Path, team_template: Path
) -> None:
    (work / "empty").mkdir()
    project = new_project("churn", str(team_template), "empty", {"team": "risk"})
    assert project.path == work / "empty"
    assert (work / "empty/README.md").is_file()


def test_a_missing_variable_names_it_and_writes_nothing(
    work: Path, team_template: Path
) -> None:
    with pytest.raises(
        TemplateVariableError,
        match="needs the variable 'team' \\(The team that owns the project\\)",
    ):
        new_project("churn", str(team_template))
    assert list(work.iterdir()) == []


def test_an_unknown_variable_is_refused_and_nothing_is_written(
    work: Path, team_template: Path
) -> None:
    with pytest.raises(TemplateVariableError, match="no variable\\(s\\) \\['teem'\\]"):
        new_project("churn", str(team_template), variables={"team": "a", "teem": "b"})
    assert list(work.iterdir()) == []


def test_an_invalid_value_fails_the_template_validator(work: Path) -> None:
    with pytest.raises(
        TemplateVariableError, match="question 'package_name': Use lowercase"
    ):
        new_project("churn", "classification", variables={"package_name": "Churn"})
    assert list(work.iterdir()) == []


def test_an_existing_non_empty_folder_is_left_alone(
    work: Path, team_template: Path
) -> None:
    (work / "churn").mkdir()
    (work / "churn/notes.txt").write_text("mine")
    with pytest.raises(ProjectExistsError, match="exists and is not empty"):
        new_project("churn", str(team_template), variables={"team": "risk"})
    assert [p.name for p in (work / "churn").iterdir()] == ["notes.txt"]
    assert leftovers(work) == []


def test_an_unknown_template_is_refused_before_anything_is_written(
    work: Path,
) -> None:
    with pytest.raises(TemplateNotFoundError, match="Unknown template 'clasification'"):
        new_project("churn", "clasification")
    assert list(work.iterdir()) == []


@pytest.mark.parametrize("name", ["9lives", "churn model", "../up", ""])
def test_a_bad_project_name_is_refused(work: Path, name: str) -> None:
    with pytest.raises(TemplateVariableError, match="is not allowed"):
        new_project(name, "classification")
    assert list(work.iterdir()) == []


def test_a_git_url_that_cannot_be_reached_is_a_clear_error(work: Path) -> None:
    url = f"https://127.0.0.1:{_closed_port()}/ml/templates.git"
    with pytest.raises(TemplateSourceError, match="Cannot reach template https://"):
        new_project("churn", url)
    assert list(work.iterdir()) == []


def test_a_missing_file_url_is_a_clear_error(work: Path, tmp_path: Path) -> None:
    url = (tmp_path / "nowhere.git").as_uri()
    with pytest.raises(
        TemplateSourceError, match="does not appear to be a git repository"
    ):
        new_project("churn", url)
    assert list(work.iterdir()) == []


def test_a_template_with_tasks_needs_trust(work: Path, tmp_path: Path) -> None:
    files = {
        "copier.yml": "_tasks:\n  - [touch, task-ran]\nproject_name: {type: str}\n",
        "README.md.jinja": "# {{ project_name }}\n",
    }
    template = write_template(tmp_path / "tasks", files)
    with pytest.raises(TemplateError, match="pass --trust"):
        new_project("churn", str(template))
    assert list(work.iterdir()) == []
    new_project("churn", str(template), trust=True)
    assert (work / "churn/task-ran").is_file()


def test_a_failing_task_leaves_nothing_behind(work: Path, tmp_path: Path) -> None:
    files = {
        "copier.yml": "_tasks:\n  - ['false']\nproject_name: {type: str}\n",
        "README.md.jinja": "# {{ project_name }}\n",
    }
    template = write_template(tmp_path / "failing", files)
    with pytest.raises(TemplateError, match="A task of template 'failing' failed"):
        new_project("churn", str(template), trust=True)
    assert list(work.iterdir()) == []
