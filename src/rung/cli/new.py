"""``rung new``: a ready project from a template; ``--list``; ``--update``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from rung.cli._common import console, print_json

if TYPE_CHECKING:
    from rung.templates import NewProject, ProjectUpdate, TemplateInfo

__all__ = ["new"]


def new(
    name: str = typer.Argument(
        None,
        help="The project's name (and folder). With --update: the project folder.",
    ),
    template: str = typer.Option(
        None,
        "--template",
        "-t",
        help="A built-in template (see --list), a template folder or a git URL.",
    ),
    variable: list[str] = typer.Option(
        [], "--var", "-v", help="A template variable KEY=VALUE (repeatable)."
    ),
    dest: Path = typer.Option(
        None, "--dest", "-d", help="The project folder (default: ./NAME)."
    ),
    list_: bool = typer.Option(False, "--list", help="List the built-in templates."),
    update: bool = typer.Option(
        False,
        "--update",
        help="Bring a project (committed, in git) to its template's newest version.",
    ),
    trust: bool = typer.Option(
        False, "--trust", help="Let a template that is not built in run its tasks."
    ),
    defaults: bool = typer.Option(
        False, "--defaults", help="Ask nothing: variables not given take defaults."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Create a project from a template: pipeline, configs, tests, CI, Docker."""
    from rung.templates import list_templates, new_project, update_project

    if list_:
        _show_templates(list_templates(), as_json)
        return
    values = _parse_variables(variable)
    if update:
        changes = update_project(name or ".", variables=values, trust=trust)
        _show_update(changes, as_json)
        return
    if name is None or template is None:
        from rung.errors import TemplateError

        raise TemplateError(
            "Give a name and a template: `rung new NAME --template classification`. "
            "`rung new --list` shows the built-in templates."
        )
    interactive = not defaults and not as_json and sys.stdin.isatty()
    project = new_project(
        name, template, dest, values, interactive=interactive, trust=trust
    )
    _show_project(project, as_json)


def _parse_variables(pairs: list[str]) -> dict[str, str]:
    from rung.errors import TemplateVariableError

    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise TemplateVariableError(
                f"Variable {pair!r} is not KEY=VALUE. Write it like `-v team=churn`."
            )
        values[key.strip()] = value
    return values


def _show_templates(templates: list[TemplateInfo], as_json: bool) -> None:
    if as_json:
        print_json(templates)
        return
    width = max((len(t.name) for t in templates), default=0)
    for info in templates:
        console.print(
            f"{info.name:<{width}}  {info.version or '':<6}  {info.summary}",
            markup=False,
            soft_wrap=True,
        )


def _show_project(project: NewProject, as_json: bool) -> None:
    if as_json:
        print_json(project)
        return
    info = project.template
    here = Path.cwd()
    folder = (
        project.path.relative_to(here)
        if project.path.is_relative_to(here)
        else project.path
    )
    console.print(
        f"Created [bold]{folder}[/] from template [bold]{info.name}[/]"
        f"{' ' + info.version if info.version else ''} ({len(project.files)} files).",
        soft_wrap=True,
    )
    console.print(
        f"Next:\n  cd {folder}\n"
        '  git init && git add -A && git commit -m "New project"\n'
        "  pytest\n  rung run\nThe README says more.",
        markup=False,
        highlight=False,
    )


def _show_update(update: ProjectUpdate, as_json: bool) -> None:
    if as_json:
        print_json(update)
        return
    info = update.template
    if not update.is_changed:
        console.print(
            f"{update.path} is up to date with template {info.name}"
            f"{' ' + info.version if info.version else ''}.",
            markup=False,
        )
        return
    sys.stdout.write(update.diff if update.diff.endswith("\n") else update.diff + "\n")
    console.print(
        f"Updated {update.path}: template {info.name} "
        f"{update.old_version or '?'} -> {info.version or '?'}.",
        markup=False,
        soft_wrap=True,
    )
    if update.conflicts:
        console.print(
            f"[yellow]Conflicts[/] (both the template and the project changed "
            f"these lines): {', '.join(update.conflicts)}. Resolve the markers, "
            "then `git add` them.",
            soft_wrap=True,
        )
    console.print(
        "Review the changes (`git diff HEAD`), then commit them; "
        "`git reset --hard` undoes the update.",
        markup=False,
        soft_wrap=True,
    )
