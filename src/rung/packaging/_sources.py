"""What a pipeline's code is: its file, the local modules it imports, the rest.

A pipeline file is imported with its own folder on ``sys.path`` (see
``rung.pipelines.load_pipeline``), so ``import helpers`` finds
``<folder>/helpers.py`` or the package ``<folder>/helpers/``. We follow those
imports from the pipeline file's syntax tree (imports inside functions and
``TYPE_CHECKING`` blocks count too), and add any module loaded from the folder
that the syntax tree cannot show (``importlib.import_module("helpers")``).
Every other import is either the standard library or a third-party name that
``requirements.lock`` maps to a distribution.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rung.errors import PackagingError

__all__ = ["PipelineSources", "find_sources"]


@dataclass(frozen=True, slots=True)
class PipelineSources:
    """The files to copy and the third-party imports to lock.

    Attributes:
        folder: the pipeline's folder; ``files`` keep their layout under it.
        files: local Python files, sorted; the pipeline file is one of them.
        external: top-level names of non-local, non-stdlib imports.
    """

    folder: Path
    files: tuple[Path, ...]
    external: tuple[str, ...]


def find_sources(pipeline_file: Path) -> PipelineSources:
    """Collect the pipeline file and the local modules it imports, transitively.

    Args:
        pipeline_file: the file that defines the pipeline (already imported).

    Raises:
        PackagingError: a local module is not valid Python.
    """
    pipeline_file = pipeline_file.resolve()
    folder = pipeline_file.parent
    todo = [pipeline_file, *_loaded_from(folder)]
    seen: set[Path] = set()
    external: set[str] = set()
    while todo:
        file = todo.pop()
        if file in seen:
            continue
        seen.add(file)
        for name in _imported_names(file, folder):
            local = local_files(name, folder)
            top = name.partition(".")[0]
            if local:
                todo.extend(local)
            elif top not in sys.stdlib_module_names and not (folder / top).is_dir():
                external.add(top)
    return PipelineSources(folder, tuple(sorted(seen)), tuple(sorted(external)))


def local_files(name: str, folder: Path) -> list[Path]:
    """The files under ``folder`` that ``import name`` loads (a package: all).

    A regular package is taken whole (its ``.py`` files), so submodules it
    imports relatively or dynamically come along. Namespace folders (no
    ``__init__.py``) only contribute the dotted module named.
    """
    parts = name.split(".")
    top = folder / parts[0]
    if (folder / f"{parts[0]}.py").is_file():
        return [folder / f"{parts[0]}.py"]
    if (top / "__init__.py").is_file():
        return _python_files(top)
    if top.is_dir() and len(parts) > 1:
        target = folder.joinpath(*parts)
        if target.with_name(f"{parts[-1]}.py").is_file():
            return [target.with_name(f"{parts[-1]}.py")]
        if (target / "__init__.py").is_file():
            return _python_files(target)
    return []


def _imported_names(file: Path, folder: Path) -> Iterator[str]:
    try:
        tree = ast.parse(file.read_bytes(), filename=str(file))
    except (SyntaxError, ValueError) as exc:
        raise PackagingError(
            f"Cannot read the imports of {file}: {exc}. The bundle copies the "
            f"local modules of {folder}; fix the file's syntax first."
        ) from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
            # ``from pkg import mod`` may name a module of a namespace folder.
            yield from (f"{node.module}.{a.name}" for a in node.names if a.name != "*")


def _loaded_from(folder: Path) -> list[Path]:
    """Files of modules already imported from ``folder`` under their own name."""
    found: list[Path] = []
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if not isinstance(file, str) or not file.endswith(".py"):
            continue
        if Path(file).resolve().is_relative_to(folder):
            found.extend(local_files(name, folder))
    return found


def _python_files(package: Path) -> list[Path]:
    return sorted(
        path
        for path in package.rglob("*.py")
        if not any(
            p == "__pycache__" or p.startswith(".")
            for p in path.relative_to(package).parts
        )
    )
