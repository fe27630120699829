"""The public API of rung.serving and rung.server."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest


@pytest.mark.parametrize("name", ["rung.serving", "rung.server"])
def test_all_names_resolve(name: str) -> None:
    module = importlib.import_module(name)
    assert len(module.__all__) == len(set(module.__all__))
    for attr in module.__all__:
        assert getattr(module, attr) is not None, f"{name}.{attr}"
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        module.nope  # noqa: B018


def test_importing_serving_loads_no_data_or_web_library() -> None:
    code = (
        "import sys, rung.serving, rung.server; "
        "print(' '.join(m for m in ('pandas', 'pyarrow', 'duckdb', 'fastapi', "
        "'uvicorn', 'sklearn') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == ""
