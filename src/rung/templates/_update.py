"""``update_project``: bring a project to its template's newest version.

A project records its template and answers in ``.copier-answers.yml``. The
update is a three-way merge, so the project's own changes survive:

- a template from a git repository (its answers record the ``_commit`` it
  was used at): copier's own update renders the old and the new version and
  applies the difference to the project;
- a built-in template or a plain folder has no history to render the old
  version from, so the project's git history stands in for it: the commit
  that last changed ``.copier-answers.yml`` holds what the template made
  then. The new version is rendered with the same answers, the difference
  between the two trees becomes a patch, and ``git apply --3way`` applies it.

Either way the project must be a git repository with nothing uncommitted, so
that ``git diff`` shows exactly what the update changed, and reverting it is
one ``git checkout``.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rung.errors import TemplateError
from rung.templates._new import template_info
from rung.templates._render import (
    ANSWERS_FILE,
    git_never_prompts,
    read_answers,
    render,
    translate_errors,
)
from rung.templates._sources import TemplateSource, resolve_source
from rung.templates.records import ProjectUpdate

__all__ = ["update_project"]

_GIT_TIMEOUT = 120.0


def update_project(
    path: str | Path = ".",
    *,
    variables: Mapping[str, Any] | None = None,
    trust: bool = False,
) -> ProjectUpdate:
    """Update a project made by ``rung new`` to its template's newest version.

    Args:
        path: the project folder (it holds ``.copier-answers.yml``).
        variables: answers to change, or to give for questions the new
            version adds (the others keep their recorded values).
        trust: let a template that is not built in run its tasks.

    Returns:
        What changed: ``diff`` is ``git diff HEAD`` of the project; files
        listed in ``conflicts`` hold conflict markers to resolve.

    Raises:
        TemplateError: the folder was not made from a template, is not a git
            repository, has uncommitted changes, or would be downgraded.
        TemplateSourceError: the template cannot be reached.

    Example:
        >>> from rung.templates import update_project
        >>> update = update_project("churn")  # doctest: +SKIP
        >>> print(update.diff)  # doctest: +SKIP
    """
    project = Path(path).expanduser().resolve()
    answers = read_answers(project)
    if "_src_path" not in answers:
        raise TemplateError(
            f"{project} has no {ANSWERS_FILE} naming its template, so it was not "
            "made from a template (or the file was removed: restore it from git)."
        )
    repo = _Repo(project)
    repo.require_clean()
    source = resolve_source(str(answers["_src_path"]))
    old_version = recorded_version(project, answers)
    _refuse_downgrade(source, old_version)
    given = dict(variables or {})
    if answers.get("_commit") is not None and source.kind != "builtin":
        _copier_update(project, source, given, trust)
    else:
        _merge_from_history(repo, source, {**_answered(answers), **given}, trust)
    new_answers = read_answers(project)
    info = template_info(source.info, new_answers)
    version = recorded_version(project, new_answers) or info.version
    info = type(info)(info.name, version, info.summary, info.source)
    return ProjectUpdate(project, info, old_version, repo.changes(), repo.conflicts())


def recorded_version(project: Path, answers: Mapping[str, Any]) -> str | None:
    """The template version a project is at: ``_commit``, else rung.toml's."""
    if answers.get("_commit") is not None:
        return str(answers["_commit"])
    try:
        data = tomllib.loads((project / "rung.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    section = data.get("template")
    version = section.get("version") if isinstance(section, dict) else None
    return None if version is None else str(version)


def _answered(answers: Mapping[str, Any]) -> dict[str, Any]:
    from rung import __version__

    recorded = {k: v for k, v in answers.items() if not k.startswith("_")}
    return {**recorded, "rung_version": __version__}


def _refuse_downgrade(source: TemplateSource, old: str | None) -> None:
    from packaging.version import InvalidVersion, Version

    new = source.info.version
    if old is None or new is None:
        return
    try:
        is_older = Version(new) < Version(old)
    except InvalidVersion:
        return
    if is_older:
        raise TemplateError(
            f"The project is at template {source.info.name!r} version {old}, newer "
            f"than this Rung's {new}. Upgrade Rung to update it; nothing changed."
        )


def _copier_update(
    project: Path, source: TemplateSource, data: dict[str, Any], trust: bool
) -> None:
    import copier

    with git_never_prompts(), translate_errors(source):
        copier.run_update(
            project,
            data=data,
            defaults=True,
            overwrite=True,
            quiet=True,
            unsafe=trust,
            conflict="inline",
        )


def _merge_from_history(
    repo: _Repo, source: TemplateSource, data: dict[str, Any], trust: bool
) -> None:
    base = repo.last_commit_of(ANSWERS_FILE)
    with tempfile.TemporaryDirectory(prefix="rung-update-") as scratch:
        tree_root = Path(scratch) / "tree"
        rendered = tree_root / repo.subdir
        rendered.parent.mkdir(parents=True, exist_ok=True)
        render(source, rendered, data, trust=trust)
        tree = repo.tree_of(base, tree_root, Path(scratch) / "index")
    patch = repo.git("diff", "--binary", "--full-index", base, tree, "--", ".")
    if patch.strip():
        repo.apply(patch)


class _Repo:
    """The git repository a project lives in (maybe in a subfolder of it)."""

    def __init__(self, project: Path) -> None:
        self.project = project
        found = self._run("rev-parse", "--show-toplevel", check=False)
        if found.returncode != 0:
            raise TemplateError(
                f"{project} is not in a git repository. An update shows its "
                "changes as a git diff: run `git init && git add -A && "
                "git commit -m 'New project'` first."
            )
        self.top = Path(found.stdout.decode().strip()).resolve()
        self.subdir = project.relative_to(self.top)
        self.git_dir = self.git("rev-parse", "--absolute-git-dir").decode().strip()

    def git(self, *args: str, **options: Any) -> bytes:
        """Run git in the project folder; return its output, or raise."""
        done = self._run(*args, **options)
        if done.returncode != 0:
            raise TemplateError(
                f"`git {' '.join(args[:2])}` failed in {self.project}: "
                f"{done.stderr.decode(errors='replace').strip()}"
            )
        return done.stdout

    def require_clean(self) -> None:
        """Refuse a project with uncommitted changes or no commit of its answers."""
        dirty = self.git("status", "--porcelain", "--untracked-files=all", "--", ".")
        if dirty.strip():
            count = len(dirty.splitlines())
            raise TemplateError(
                f"{self.project} has uncommitted changes ({count} file(s)). Commit "
                "or stash them first, so the update's diff shows only the update."
            )
        self.last_commit_of(ANSWERS_FILE)

    def last_commit_of(self, name: str) -> str:
        """The last commit that changed ``name`` (relative to the project)."""
        commit = self.git("log", "-1", "--format=%H", "--", name).decode().strip()
        if not commit:
            raise TemplateError(
                f"{self.project / name} was never committed. Commit the project "
                "as generated first: the update merges from that commit."
            )
        return commit

    def tree_of(self, base: str, work_tree: Path, index: Path) -> str:
        """A tree: ``base`` with the files under ``work_tree`` added or changed.

        Files of ``base`` missing from ``work_tree`` stay: a file the template
        dropped is left to the project.
        """
        env = {
            **os.environ,
            "GIT_DIR": self.git_dir,
            "GIT_WORK_TREE": str(work_tree),
            "GIT_INDEX_FILE": str(index),
        }
        pathspec = self.subdir.as_posix() or "."
        self.git("read-tree", base, env=env, cwd=work_tree)
        self.git("add", "--ignore-removal", "--", pathspec, env=env, cwd=work_tree)
        return self.git("write-tree", env=env, cwd=work_tree).decode().strip()

    def apply(self, patch: bytes) -> None:
        """Apply ``patch`` with a three-way merge; conflicts stay as markers."""
        done = self._run(
            "apply", "--3way", "--whitespace=nowarn", stdin=patch, cwd=self.top
        )
        if done.returncode != 0 and not self.conflicts():
            raise TemplateError(
                "The template's changes cannot be applied; nothing changed. "
                f"git says: {done.stderr.decode(errors='replace').strip()}"
            )

    def conflicts(self) -> tuple[str, ...]:
        """Project files with unresolved conflicts, relative to the project."""
        names = self.git("diff", "--name-only", "--diff-filter=U", "--relative")
        return tuple(sorted(set(names.decode().split())))

    def changes(self) -> str:
        """``git diff HEAD`` of the project, new files included."""
        new = self.git("ls-files", "--others", "--exclude-standard", "-z", "--", ".")
        files = [name for name in new.decode().split("\0") if name]
        if files:
            self.git("add", "--intent-to-add", "--", *files)
        return self.git("diff", "HEAD", "--relative", "--", ".").decode(
            errors="replace"
        )

    def _run(
        self,
        *args: str,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        stdin: bytes | None = None,
        check: bool = False,
    ) -> subprocess.CompletedProcess[bytes]:
        try:
            return subprocess.run(
                ["git", *args],
                cwd=cwd or self.project,
                env=None if env is None else dict(env),
                input=stdin,
                capture_output=True,
                timeout=_GIT_TIMEOUT,
                check=check,
            )
        except FileNotFoundError:
            raise TemplateError(
                "git is not installed; updating a project needs it. Install git."
            ) from None
