"""Project templates: ``rung new NAME --template TEMPLATE``.

A template is a copier template: built-in ones ship with Rung
(``classification``, ``regression``, ``batch-scoring``); a team's own come
from a folder or a git URL. A new project is written all or nothing, records
its template and answers in ``.copier-answers.yml``, and can later be brought
to a newer template version with a three-way merge.

Importing this package imports neither copier nor pandas.

Example:
    >>> from rung.templates import list_templates, new_project, update_project
    >>> [t.name for t in list_templates()]
    ['batch-scoring', 'classification', 'regression']
    >>> project = new_project("churn", "classification")  # doctest: +SKIP
    >>> update_project(project.path).diff  # doctest: +SKIP
    ''
"""

from __future__ import annotations

from rung.templates._new import list_templates, new_project
from rung.templates._update import update_project
from rung.templates.records import NewProject, ProjectUpdate, TemplateInfo

__all__ = [
    "NewProject",
    "ProjectUpdate",
    "TemplateInfo",
    "list_templates",
    "new_project",
    "update_project",
]
