"""Find a pipeline from a ``path/file.py:name`` or ``package.module:name`` reference."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from rung._internal.hashing import hash_text
from rung.errors import PipelineError, PipelineNotFoundError
from rung.pipelines._pipeline import Pipeline

__all__ = ["find_pipelines", "load_pipeline", "pipelines_in_file"]


def load_pipeline(reference: str) -> Pipeline:
    """Import the module a reference names and return its pipeline.

    Args:
        reference: ``file.py:name``, ``file.py`` (if it defines exactly one
            pipeline) or ``package.module:name``.

    Raises:
        PipelineNotFoundError: the file, module or name does not exist.
        PipelineError: importing the file raised.
    """
    target, _, name = reference.partition(":")
    module = _import(target)
    found = find_pipelines(module)
    if not name:
        if len(found) == 1:
            return next(iter(found.values()))
        raise PipelineNotFoundError(
            f"{target} defines {len(found)} pipelines {sorted(found)}; "
            f"name one, e.g. `{target}:{next(iter(sorted(found)), 'training')}`."
        )
    obj = getattr(module, name, None)
    if isinstance(obj, Pipeline):
        return obj
    if obj is None:
        raise PipelineNotFoundError(
            f"{target} has no {name!r}. "
            f"Pipelines it defines: {sorted(found) or 'none'}."
        )
    raise PipelineNotFoundError(
        f"{target}:{name} is a {type(obj).__name__}, not a pipeline. Decorate it "
        "with @pipeline."
    )


def pipelines_in_file(path: Path) -> dict[str, Pipeline]:
    """Import a Python file and return its pipelines by attribute name."""
    return find_pipelines(_import_file(path))


def find_pipelines(module: ModuleType) -> dict[str, Pipeline]:
    """Return the pipelines defined at the top level of ``module``, by attribute."""
    return {k: v for k, v in vars(module).items() if isinstance(v, Pipeline)}


def _import(target: str) -> ModuleType:
    path = Path(target)
    if target.endswith(".py") or path.exists():
        return _import_file(path)
    try:
        return importlib.import_module(target)
    except ModuleNotFoundError as exc:
        raise PipelineNotFoundError(
            f"Cannot find {target!r}: no such file, and no module of that name "
            f"({exc}). Give a path like `pipelines/train.py:training`."
        ) from None
    except Exception as exc:
        raise PipelineError(
            f"Importing {target} failed: {type(exc).__name__}: {exc}"
        ) from exc


def _import_file(path: Path) -> ModuleType:
    if not path.is_file():
        raise PipelineNotFoundError(
            f"Pipeline file {path} does not exist. Check the path (relative to "
            f"{Path.cwd()})."
        )
    resolved = path.resolve()
    module_name = f"rung_user_{resolved.stem}_{hash_text(str(resolved))[:8]}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, resolved)
    if spec is None or spec.loader is None:
        raise PipelineNotFoundError(f"{path} is not an importable Python file.")
    module = importlib.util.module_from_spec(spec)
    folder = str(resolved.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[module_name]
        raise PipelineError(
            f"Importing {path} failed: {type(exc).__name__}: {exc}. Fix the file "
            "(run `python " + str(path) + "` to see the full error)."
        ) from exc
    return module
