"""Orchestrators: where a pipeline's steps execute (local threads, Ray, ...)."""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import Any

from rung.errors import ConfigError
from rung.orchestrators.base import Orchestrator
from rung.orchestrators.local import LocalOrchestrator

__all__ = ["LocalOrchestrator", "Orchestrator", "open_orchestrator"]

_BUILTIN = {"local": "rung.orchestrators.local:LocalOrchestrator"}


def open_orchestrator(name: str, **options: Any) -> Orchestrator:
    """Build the orchestrator registered under ``name`` (entry point group
    ``rung.orchestrators``), passing ``options`` to its constructor.

    Raises:
        ConfigError: no orchestrator has that name.
    """
    target = _BUILTIN.get(name)
    if target is None:
        found = {ep.name: ep.value for ep in entry_points(group="rung.orchestrators")}
        target = found.get(name)
        if target is None:
            known = sorted({*_BUILTIN, *found})
            raise ConfigError(
                f"Unknown orchestrator {name!r}. Known orchestrators: {known}. "
                "Set `orchestrator` in rung.toml or RUNG_ORCHESTRATOR."
            )
    module_name, _, attr = target.partition(":")
    cls = getattr(importlib.import_module(module_name), attr)
    orchestrator: Orchestrator = cls(**options)
    return orchestrator
