"""``new_project``: a ready project from a template, written all or nothing."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rung.errors import ProjectExistsError, TemplateVariableError
from rung.templates._render import render
from rung.templates._sources import builtin_templates, resolve_source
from rung.templates.records import NewProject, TemplateInfo

__all__ = ["list_templates", "new_project"]

_PROJECT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


def list_templates() -> list[TemplateInfo]:
    """The templates that ship with Rung, sorted by name.

    Example:
        >>> from rung.templates import list_templates
        >>> [t.name for t in list_templates()]
        ['batch-scoring', 'classification', 'regression']
    """
    return builtin_templates()


def new_project(
    name: str,
    template: str,
    dest: str | Path | None = None,
    variables: Mapping[str, Any] | None = None,
    *,
    interactive: bool = False,
    trust: bool = False,
) -> NewProject:
    """Make a new project folder from a template.

    The project is rendered into a temporary folder next to ``dest`` and
    renamed into place when complete: an error leaves nothing behind.

    Args:
        name: the project's name (letters, digits, ``-``, ``_``); templates
            get it as the variable ``project_name``.
        template: a built-in template (``classification``, see
            :func:`list_templates`), a template folder or a git URL.
        dest: the project folder to create (default: ``./<name>``); it must
            not exist or be empty.
        variables: template variables; those not given take their defaults
            (or are asked for, with ``interactive``).
        interactive: ask for variables on the terminal.
        trust: let a template that is not built in run its tasks.

    Returns:
        The new project.

    Raises:
        ProjectExistsError: ``dest`` holds files.
        TemplateNotFoundError: no such template.
        TemplateSourceError: the template's folder or URL cannot be reached.
        TemplateVariableError: a variable is missing, unknown or invalid.
        TemplateError: the template failed otherwise.

    Example:
        >>> from rung.templates import new_project
        >>> project = new_project("churn", "classification")  # doctest: +SKIP
        >>> project.template.version  # doctest: +SKIP
        '1.0.0'
    """
    if not _PROJECT_NAME.match(name):
        raise TemplateVariableError(
            f"Project name {name!r} is not allowed: use letters, digits, - and _, "
            "starting with a letter (e.g. `churn-model`)."
        )
    target = Path(dest if dest is not None else name).expanduser().resolve()
    _check_target(target)
    source = resolve_source(template)
    data = {**_implicit(name), **(variables or {})}
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        scratch.chmod(0o755)  # mkdtemp makes it private; a project is not
        rendered = render(source, scratch, data, interactive=interactive, trust=trust)
        _check_target(target)  # no one took the folder while we rendered
        _move_into_place(scratch, target)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    info = template_info(source.info, rendered.answers)
    return NewProject(target, info, rendered.answers, _files(target))


def template_info(known: TemplateInfo, answers: Mapping[str, Any]) -> TemplateInfo:
    """``known``, with the version a git template was used at (``_commit``)."""
    commit = answers.get("_commit")
    if known.version is not None or commit is None:
        return known
    return TemplateInfo(known.name, str(commit), known.summary, known.source)


def _implicit(name: str) -> dict[str, Any]:
    from rung import __version__

    return {"project_name": name, "rung_version": __version__}


def _check_target(target: Path) -> None:
    if target.exists() and not target.is_dir():
        raise ProjectExistsError(
            f"{target} is a file. Give a new folder for the project (--dest)."
        )
    if target.is_dir() and any(target.iterdir()):
        raise ProjectExistsError(
            f"Folder {target} exists and is not empty; a new project needs a new "
            "or empty folder. Choose another name or --dest.",
            folder=str(target),
            reason="not_empty",
        )


def _move_into_place(scratch: Path, target: Path) -> None:
    if target.is_dir():
        target.rmdir()  # empty (checked): replace it
    scratch.rename(target)


def _files(folder: Path) -> tuple[str, ...]:
    return tuple(
        sorted(
            p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()
        )
    )
