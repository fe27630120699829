"""Rung: an MLOps platform from notebooks to automated, monitored production.

The public API is loaded lazily (PEP 562), so ``import rung`` stays light::

    from rung import step, pipeline

    @step
    def load(path: str) -> pd.DataFrame: ...

    @pipeline
    def training(path: str, C: float = 1.0):
        train(load(path), C=C)

    run = training(path="data.csv")

Which workspace: every function of a domain package (``rung.registry``,
``rung.catalog``, ``rung.tracking``, ...) takes it as its first argument;
the functions here (``rung.register_model``, ``rung.load_model``, ...) use
the current run's workspace, else the process default (see
:func:`use_workspace`, :func:`current_workspace`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from rung._internal import defaults as _defaults

__version__ = "0.1.0"

__all__ = [
    "Client",
    "Pipeline",
    "Run",
    "Step",
    "Workspace",
    "__version__",
    "current_workspace",
    "flush",
    "load_artifact",
    "load_dataset",
    "load_model",
    "log_metric",
    "log_metrics",
    "log_params",
    "open_workspace",
    "pipeline",
    "promote_model",
    "register_model",
    "resume_run",
    "set_tags",
    "start_rollout",
    "start_run",
    "step",
    "use_workspace",
]

_LAZY = {
    "Client": "rung.client",
    "Pipeline": "rung.pipelines",
    "Run": "rung.tracking",
    "Step": "rung.pipelines",
    "Workspace": "rung.workspace",
    "current_workspace": "rung._convenience",
    "flush": "rung.tracking",
    "load_artifact": "rung._convenience",
    "load_dataset": "rung._convenience",
    "load_model": "rung._convenience",
    "log_metric": "rung.tracking",
    "log_metrics": "rung.tracking",
    "log_params": "rung.tracking",
    "open_workspace": "rung._session",
    "pipeline": "rung.pipelines",
    "promote_model": "rung._convenience",
    "register_model": "rung._convenience",
    "resume_run": "rung._convenience",
    "set_tags": "rung.tracking",
    "start_rollout": "rung._convenience",
    "start_run": "rung._convenience",
    "step": "rung.pipelines",
}

# Registering a string costs nothing: the workspace is built on first use.
_defaults.set_factory("rung._session:default_workspace")


def use_workspace(workspace: Any) -> None:
    """Make ``workspace`` the default for this process (None: back to settings).

    Example:
        >>> import rung
        >>> ws = rung.Workspace.from_urls("memory://", "memory://")
        >>> rung.use_workspace(ws)
        >>> rung.use_workspace(None)
    """
    _defaults.use(workspace)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'rung' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:
    from rung._convenience import (
        current_workspace,
        load_artifact,
        load_dataset,
        load_model,
        promote_model,
        register_model,
        resume_run,
        start_rollout,
        start_run,
    )
    from rung._session import open_workspace
    from rung.client import Client
    from rung.pipelines import Pipeline, Step, pipeline, step
    from rung.tracking import Run, flush, log_metric, log_metrics, log_params, set_tags
    from rung.workspace import Workspace
