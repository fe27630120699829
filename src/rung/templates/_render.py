"""Rendering a template with copier: the one place that calls it.

Copier (imported here, inside functions only) asks the template's questions,
renders its files and runs its tasks. Its errors become Rung errors that say
what failed and how to fix it. Git never prompts: a repository that needs
credentials fails at once instead of waiting for a password.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rung.errors import (
    TemplateError,
    TemplateSourceError,
    TemplateVariableError,
)
from rung.templates._sources import BUILTIN_PREFIX, TemplateSource

__all__ = [
    "ANSWERS_FILE",
    "IMPLICIT_VARIABLES",
    "Rendered",
    "git_never_prompts",
    "read_answers",
    "render",
]

ANSWERS_FILE = ".copier-answers.yml"
# Variables `rung new` passes to every template; one that does not ask for
# them simply ignores them.
IMPLICIT_VARIABLES = frozenset({"project_name", "rung_version"})
_REQUIRED = re.compile(r'Question "(?P<name>[^"]+)" is required')


@dataclass(frozen=True, slots=True)
class Rendered:
    """What a rendering produced.

    Attributes:
        answers: the recorded answers (``.copier-answers.yml``), if any.
        questions: the names of the template's variables.
    """

    answers: dict[str, Any]
    questions: tuple[str, ...]


def render(
    source: TemplateSource,
    dest: Path,
    data: Mapping[str, Any],
    *,
    interactive: bool = False,
    trust: bool = False,
) -> Rendered:
    """Render ``source`` into the folder ``dest`` (which exists, empty).

    Args:
        source: the template.
        dest: where to write; the caller removes it when this raises.
        data: variable values; the others are asked for (``interactive``) or
            take their defaults.
        interactive: ask for the variables not in ``data`` on the terminal.
        trust: let a template that is not built in run tasks and extensions.

    Raises:
        TemplateVariableError: a variable is missing, invalid or unknown.
        TemplateSourceError: the template cannot be fetched.
        TemplateError: anything else copier refuses (an untrusted task...).
    """
    import copier

    given = dict(data)
    with git_never_prompts(), translate_errors(source):
        worker = copier.run_copy(
            source.location,
            dest,
            data=given,
            defaults=not interactive,
            overwrite=True,
            quiet=True,
            unsafe=trust or source.is_builtin,
            cleanup_on_error=False,
        )
    spec: dict[str, Any] = worker.template.questions_data
    unknown = sorted(set(given) - set(spec) - IMPLICIT_VARIABLES)
    if unknown:
        asked = [k for k, v in spec.items() if not _is_hidden(v)]
        raise TemplateVariableError(
            f"Template {source.info.name!r} has no variable(s) {unknown}. "
            f"Its variables: {', '.join(asked) or 'none'}. Check the names "
            "given with -v KEY=VALUE."
        )
    if source.is_builtin:
        _pin_builtin_source(dest / ANSWERS_FILE, source.info.name)
    return Rendered(read_answers(dest), tuple(spec))


def _is_hidden(question: Any) -> bool:
    """A question never asked (``when: false``): a fixed fact of the template."""
    return isinstance(question, dict) and question.get("when") is False


def read_answers(project: Path) -> dict[str, Any]:
    """The answers recorded in ``project/.copier-answers.yml`` ({} if none).

    Raises:
        TemplateError: the file is not a YAML mapping.
    """
    import yaml

    path = project / ANSWERS_FILE
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise TemplateError(f"Cannot read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise TemplateError(
            f"{path} must hold the template's answers (key: value lines). "
            "Restore it from git."
        )
    return data


@contextmanager
def git_never_prompts() -> Iterator[None]:
    """Make git fail instead of asking for a user name, password or host key."""
    saved = {k: os.environ.get(k) for k in ("GIT_TERMINAL_PROMPT", "GIT_SSH_COMMAND")}
    os.environ["GIT_TERMINAL_PROMPT"] = "0"
    os.environ.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def translate_errors(source: TemplateSource) -> Iterator[None]:
    """Turn copier's and git's errors into Rung errors naming the template."""
    from copier.errors import (
        CopierError,
        InteractiveSessionError,
        TaskError,
        UnsafeTemplateError,
    )
    from plumbum import ProcessExecutionError

    name = source.info.name
    try:
        yield
    except UnsafeTemplateError as exc:
        raise TemplateError(
            f"Template {name!r} runs commands or loads Jinja extensions "
            f"({str(exc).splitlines()[0].rstrip('.')}). "
            "Use it only if you trust its authors: pass --trust (trust=True)."
        ) from None
    except TaskError as exc:
        raise TemplateError(
            f"A task of template {name!r} failed: {exc}\nNothing was written."
        ) from exc
    except InteractiveSessionError:
        raise TemplateVariableError(
            f"Template {name!r} needs answers and this is no terminal. Give each "
            "variable with -v KEY=VALUE."
        ) from None
    except ProcessExecutionError as exc:
        raise TemplateSourceError(
            f"Cannot reach template {source.location}: git says: "
            f"{_git_says(str(exc.stderr))}. Check the URL, your network and "
            "credentials, or give a local template folder."
        ) from None
    except CopierError as exc:
        raise TemplateError(f"Template {name!r}: {exc}") from exc
    except ValueError as exc:
        raise _variable_error(source, exc) from exc


def _variable_error(source: TemplateSource, exc: ValueError) -> TemplateError:
    message = str(exc)
    missing = _REQUIRED.search(message)
    if missing:
        variable = missing["name"]
        return TemplateVariableError(
            f"Template {source.info.name!r} needs the variable {variable!r}"
            f"{_help(source, variable)}. Give it with `-v {variable}=VALUE`."
        )
    if message.startswith("Validation error for question"):
        return TemplateVariableError(f"{message} Give another value with -v.")
    return TemplateError(f"Template {source.info.name!r} failed: {message}")


def _help(source: TemplateSource, variable: str) -> str:
    """`` (its help text)`` from a local template's copier.yml, if any."""
    if source.kind == "git":
        return ""
    import yaml

    try:
        config = yaml.safe_load((Path(source.location) / "copier.yml").read_text())
        text = config[variable]["help"]
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return ""
    return f" ({text})" if isinstance(text, str) else ""


def _git_says(text: str) -> str:
    """Git's first ``fatal:`` line (its reason), else its last line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
    return (fatal or lines or ["no output"])[0 if fatal else -1]


def _pin_builtin_source(answers: Path, name: str) -> None:
    """Record a built-in as ``rung:<name>``: Rung's install path is not stable."""
    if answers.is_file():
        text = answers.read_text(encoding="utf-8")
        pinned = re.sub(
            r"^_src_path: .*$", f"_src_path: {BUILTIN_PREFIX}{name}", text, flags=re.M
        )
        answers.write_text(pinned, encoding="utf-8")
