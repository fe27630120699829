"""Where a template comes from: a built-in name, a folder or a git URL.

Built-in templates are copier templates shipped inside Rung, under
``builtin/<name>/``. Each declares its name, version and one-line summary as
hidden questions (``when: false``) of its ``copier.yml``, so listing them
reads YAML only and never imports copier.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rung.errors import TemplateError, TemplateNotFoundError
from rung.templates.records import TemplateInfo

__all__ = [
    "BUILTIN_DIR",
    "BUILTIN_PREFIX",
    "TemplateSource",
    "builtin_templates",
    "resolve_source",
]

BUILTIN_DIR = Path(__file__).resolve().parent / "builtin"
BUILTIN_PREFIX = "rung:"
_CONFIG_NAMES = ("copier.yml", "copier.yaml")
# What copier (and git) take as a repository address rather than a folder.
_URL_PREFIXES = ("gh:", "gl:", "git@", "git+", "http://", "https://", "ssh://")


@dataclass(frozen=True, slots=True)
class TemplateSource:
    """A resolved ``--template``.

    Attributes:
        kind: ``builtin``, ``folder`` or ``git`` (a URL copier clones).
        location: what copier reads: a folder path or a URL.
        info: name, version and summary as far as known before rendering.
    """

    kind: str
    location: str
    info: TemplateInfo

    @property
    def is_builtin(self) -> bool:
        """Whether the template ships with Rung (trusted: it may run tasks)."""
        return self.kind == "builtin"


def builtin_templates() -> list[TemplateInfo]:
    """The built-in templates, sorted by name."""
    if not BUILTIN_DIR.is_dir():
        return []
    return [
        _builtin_info(folder)
        for folder in sorted(BUILTIN_DIR.iterdir())
        if (folder / "copier.yml").is_file()
    ]


def resolve_source(template: str) -> TemplateSource:
    """Turn a ``--template`` value into a template source.

    Args:
        template: a built-in name (``classification``), ``rung:<name>``, a
            folder holding a ``copier.yml``, or a git URL (``https://...``,
            ``git@...``, ``gh:org/repo``, ``file://...``, ``*.git``).

    Raises:
        TemplateNotFoundError: none of these.
        TemplateError: a folder that is not a copier template.
    """
    name = template.removeprefix(BUILTIN_PREFIX)
    if _is_plain_name(name) and (BUILTIN_DIR / name / "copier.yml").is_file():
        info = _builtin_info(BUILTIN_DIR / name)
        return TemplateSource("builtin", str(BUILTIN_DIR / name), info)
    if template.startswith(BUILTIN_PREFIX):
        raise _unknown(template)
    if is_url(template):
        info = TemplateInfo(_repo_name(template), None, "", template)
        return TemplateSource("git", template, info)
    folder = Path(template).expanduser()
    if folder.is_dir():
        folder = folder.resolve()
        if not any((folder / n).is_file() for n in _CONFIG_NAMES):
            raise TemplateError(
                f"Folder {folder} is not a copier template: it has no copier.yml. "
                "A template folder holds copier.yml and the files to render "
                "(see docs/templates.md)."
            )
        info = TemplateInfo(folder.name, None, "", str(folder))
        return TemplateSource("folder", str(folder), info)
    raise _unknown(template)


def is_url(template: str) -> bool:
    """Whether ``template`` is a repository address rather than a folder."""
    return template.startswith((*_URL_PREFIXES, "file://")) or (
        template.endswith(".git") and not Path(template).is_dir()
    )


def _is_plain_name(name: str) -> bool:
    return name not in ("", ".", "..") and not any(c in name for c in "/\\:")


def _unknown(template: str) -> TemplateNotFoundError:
    names = ", ".join(info.name for info in builtin_templates())
    return TemplateNotFoundError(
        f"Unknown template {template!r}: no built-in template has this name, and "
        f"it is neither a folder nor a git URL. Built-in templates: {names}; or "
        "give a template folder or a git URL.",
        template=template,
    )


def _repo_name(url: str) -> str:
    tail = url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return tail.removesuffix(".git") or url


def _builtin_info(folder: Path) -> TemplateInfo:
    import yaml

    config: dict[str, Any] = yaml.safe_load((folder / "copier.yml").read_text())

    def hidden(key: str) -> str:
        entry = config.get(key)
        return str(entry.get("default", "")) if isinstance(entry, dict) else ""

    name = hidden("template_name") or folder.name
    return TemplateInfo(
        name,
        hidden("template_version") or None,
        hidden("template_summary"),
        f"{BUILTIN_PREFIX}{name}",
    )
