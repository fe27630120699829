"""``update_project``: a project moves to its template's newest version."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from rung.errors import TemplateError, TemplateVariableError
from rung.templates import new_project, update_project
from tests.unit.templates.conftest import commit_all, git

TEAM = {"team": "risk"}


def _release(template: Path, readme: str, tag: str | None = None) -> None:
    """A new template version: another README, a new file; tagged if git."""
    (template / "README.md.jinja").write_text(readme)
    (template / "CHANGELOG.md").write_text(f"{tag or 'next'}: contact line\n")
    if tag is not None:
        commit_all(template, f"release {tag}")
        git(template, "tag", tag)


def _made_and_edited(template: Path, work: Path) -> Path:
    """A project from ``template``, committed, then changed and committed again."""
    project = new_project("churn", str(template), variables=TEAM).path
    commit_all(project, "New project")
    settings = project / "settings.toml"
    settings.write_text(settings.read_text().replace("retries = 3", "retries = 5"))
    commit_all(project, "More retries")
    return project


NEW_README = "# {{ project_name }}\n\nOwned by {{ team }} in {{ region }}.\nAsk #ml.\n"


def test_a_git_template_update_applies_the_new_version_and_keeps_local_edits(
    work: Path, team_template: Path
) -> None:
    commit_all(team_template, "first")
    git(team_template, "tag", "1.0.0")
    project = _made_and_edited(team_template, work)
    _release(team_template, NEW_README, tag="1.1.0")

    update = update_project(project)

    assert (update.old_version, update.template.version) == ("1.0.0", "1.1.0")
    assert update.conflicts == ()
    assert "+Ask #ml." in update.diff
    assert "+1.1.0: contact line" in update.diff  # a new file shows in the diff
    assert "retries = 5" in (project / "settings.toml").read_text()
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert (answers["_commit"], answers["team"]) == ("1.1.0", "risk")


def test_a_folder_template_update_merges_through_the_project_history(
    work: Path, team_template: Path
) -> None:
    project = _made_and_edited(team_template, work)
    _release(team_template, NEW_README)

    update = update_project(project)

    assert update.is_changed
    assert update.conflicts == ()
    assert (project / "README.md").read_text().endswith("Ask #ml.\n")
    assert (project / "CHANGELOG.md").is_file()
    assert "retries = 5" in (project / "settings.toml").read_text()
    assert "settings.toml" not in update.diff  # the project's edit is not undone


def test_overlapping_changes_are_left_as_conflict_markers(
    work: Path, team_template: Path
) -> None:
    project = _made_and_edited(team_template, work)
    settings = team_template / "settings.toml.jinja"
    settings.write_text(settings.read_text().replace("retries = 3", "retries = 4"))

    update = update_project(project)

    assert update.conflicts == ("settings.toml",)
    text = (project / "settings.toml").read_text()
    assert "<<<<<<<" in text
    assert "retries = 5" in text
    assert "retries = 4" in text


def test_an_up_to_date_project_has_nothing_to_change(
    work: Path, team_template: Path
) -> None:
    project = _made_and_edited(team_template, work)
    update = update_project(project)
    assert not update.is_changed
    assert git(project, "status", "--porcelain") == ""


def test_a_question_the_new_version_adds_can_be_answered(
    work: Path, team_template: Path
) -> None:
    project = _made_and_edited(team_template, work)
    config = team_template / "copier.yml"
    config.write_text(config.read_text() + "owner:\n  type: str\n  help: Who\n")
    (team_template / "OWNER.jinja").write_text("{{ owner }}\n")
    with pytest.raises(TemplateVariableError, match="`-v owner=VALUE`"):
        update_project(project)
    assert git(project, "status", "--porcelain") == ""
    update_project(project, variables={"owner": "ada"})
    assert (project / "OWNER").read_text() == "ada\n"


def test_a_project_with_uncommitted_changes_is_refused(
    work: Path, team_template: Path
) -> None:
    project = _made_and_edited(team_template, work)
    (project / "notes.txt").write_text("draft")
    with pytest.raises(TemplateError, match="uncommitted changes \\(1 file"):
        update_project(project)


def test_a_project_outside_git_is_refused(work: Path, team_template: Path) -> None:
    project = new_project("churn", str(team_template), variables=TEAM).path
    with pytest.raises(TemplateError, match="is not in a git repository"):
        update_project(project)


def test_a_folder_not_made_from_a_template_is_refused(work: Path) -> None:
    with pytest.raises(TemplateError, match=r"has no \.copier-answers\.yml"):
        update_project(work)


def test_a_project_whose_answers_were_never_committed_is_refused(
    work: Path, team_template: Path
) -> None:
    project = new_project("churn", str(team_template), variables=TEAM).path
    git(project, "init", "-q")
    (project / ".git/info/exclude").write_text(".copier-answers.yml\n")
    commit_all(project, "Without the answers")
    with pytest.raises(TemplateError, match="was never committed"):
        update_project(project)


def test_a_built_in_template_never_downgrades_a_project(work: Path) -> None:
    (work / ".copier-answers.yml").write_text("_src_path: rung:classification\n")
    (work / "rung.toml").write_text(
        '[template]\nname = "classification"\nversion = "9.0.0"\n'
    )
    commit_all(work, "From a newer Rung")
    with pytest.raises(TemplateError, match=r"version 9\.0\.0, newer than"):
        update_project(work)


def test_a_project_inside_a_larger_repository_is_updated_in_place(
    work: Path, team_template: Path
) -> None:
    (work / "other.txt").write_text("not the project's\n")
    project = new_project(
        "churn", str(team_template), "projects/churn", variables=TEAM
    ).path
    commit_all(work, "Monorepo")
    _release(team_template, NEW_README)

    update = update_project(project)

    assert update.conflicts == ()
    assert "a/README.md" in update.diff  # paths relative to the project
    assert "+Ask #ml." in update.diff
    assert (project / "CHANGELOG.md").is_file()
    assert not (work / "CHANGELOG.md").exists()
