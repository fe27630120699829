"""What the templates domain returns: templates, new projects, updates."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["NewProject", "ProjectUpdate", "TemplateInfo"]


@dataclass(frozen=True, slots=True)
class TemplateInfo:
    """A template ``rung new`` can use.

    Attributes:
        name: what ``--template`` takes (``classification``), or the folder or
            repository name of a template given by path or URL.
        version: the template's version (``1.0.0``); for a git template, the
            tag or commit it was used at; None when unknown.
        summary: one line about what a project made from it does.
        source: ``rung:<name>`` for a built-in, else the folder or git URL.
    """

    name: str
    version: str | None
    summary: str
    source: str


@dataclass(frozen=True, slots=True)
class NewProject:
    """A project written by :func:`rung.templates.new_project`.

    Attributes:
        path: the project folder.
        template: the template it was made from.
        answers: the template variables, as recorded in ``.copier-answers.yml``.
        files: the project's files, relative to ``path``, sorted.
    """

    path: Path
    template: TemplateInfo
    answers: dict[str, object] = field(default_factory=dict)
    files: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ProjectUpdate:
    """The result of :func:`rung.templates.update_project`.

    Attributes:
        path: the project folder.
        template: the template, at the version the project moved to.
        old_version: the template version the project was at (None: unknown).
        diff: ``git diff HEAD`` of the project after the update (empty: the
            project was up to date).
        conflicts: files where the template's and the project's changes
            overlap; they hold conflict markers to resolve by hand.
    """

    path: Path
    template: TemplateInfo
    old_version: str | None
    diff: str
    conflicts: tuple[str, ...] = ()

    @property
    def is_changed(self) -> bool:
        """Whether the update changed any file."""
        return bool(self.diff)
