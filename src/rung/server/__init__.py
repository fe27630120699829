"""The HTTP interface: FastAPI apps (the model server; later the team server and UI).

Names load lazily: ``import rung.server`` imports neither FastAPI nor uvicorn.

Example:
    >>> from rung.server import create_serving_app
    >>> app = create_serving_app(service)  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["bind_socket", "create_serving_app", "hash_token", "run_model_server"]

_LAZY = {
    "bind_socket": "rung.serving._endpoint",
    "create_serving_app": "rung.server._serving_app",
    "hash_token": "rung.server._auth",
    "run_model_server": "rung.server._run",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'rung.server' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:
    from rung.server._auth import hash_token
    from rung.server._run import run_model_server
    from rung.server._serving_app import create_serving_app
    from rung.serving._endpoint import bind_socket
