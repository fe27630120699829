"""Listing the built-in templates and resolving ``--template`` values."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rung.errors import TemplateError, TemplateNotFoundError
from rung.templates import list_templates
from rung.templates._sources import BUILTIN_DIR, resolve_source


def test_list_templates_names_the_three_built_ins_with_version_and_summary() -> None:
    templates = list_templates()
    assert [t.name for t in templates] == [
        "batch-scoring",
        "classification",
        "regression",
    ]
    for info in templates:
        assert info.version == "1.0.0"
        assert info.source == f"rung:{info.name}"
        assert info.summary
        assert "\n" not in info.summary


def test_listing_templates_does_not_import_copier() -> None:
    code = (
        "import sys; from rung.templates import list_templates; list_templates(); "
        "print('copier' in sys.modules, 'pandas' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("value", ["classification", "rung:classification"])
def test_a_built_in_resolves_by_name(value: str) -> None:
    source = resolve_source(value)
    assert source.kind == "builtin"
    assert source.is_builtin
    assert Path(source.location) == BUILTIN_DIR / "classification"


def test_a_folder_with_a_copier_yml_is_a_folder_template(team_template: Path) -> None:
    source = resolve_source(str(team_template))
    assert (source.kind, source.info.name) == ("folder", "team-template")
    assert not source.is_builtin


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://git.example.org/ml/templates.git", "templates"),
        ("git@git.example.org:ml/churn-template.git", "churn-template"),
        ("gh:ml/tabular", "tabular"),
        ("file:///srv/templates/team.git", "team"),
    ],
)
def test_urls_are_git_templates(url: str, name: str) -> None:
    source = resolve_source(url)
    assert (source.kind, source.location, source.info.name) == ("git", url, name)


@pytest.mark.parametrize("value", ["clasification", "rung:nope", "../builtin"])
def test_an_unknown_template_lists_the_built_ins(value: str) -> None:
    with pytest.raises(
        TemplateNotFoundError, match="Built-in templates: batch-scoring, classif"
    ):
        resolve_source(value)


def test_a_folder_without_copier_yml_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="is not a copier template"):
        resolve_source(str(tmp_path))
