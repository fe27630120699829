"""The public API of ``rung.registry`` and the top-level shortcuts."""

from __future__ import annotations

import inspect
import subprocess
import sys

import rung
import rung.registry


def test_all_lists_exactly_the_public_names() -> None:
    # dir(): the names are loaded lazily, on first use.
    found = {name: getattr(rung.registry, name) for name in dir(rung.registry)}
    public = {
        name
        for name, value in found.items()
        if not name.startswith("_")
        and (callable(value) or (isinstance(value, str) and name.isupper()))
    }
    assert set(rung.registry.__all__) == public | {"Signature"}
    assert len(rung.registry.__all__) == len(set(rung.registry.__all__))


def test_rung_wraps_register_load_and_promote_without_a_workspace() -> None:
    for name in ("register_model", "load_model", "promote_model"):
        wrapper, function = getattr(rung, name), getattr(rung.registry, name)
        assert name in rung.__all__
        assert wrapper.__module__ == "rung._convenience"
        assert "workspace" not in inspect.signature(wrapper).parameters
        assert next(iter(inspect.signature(function).parameters)) == "workspace"


def test_importing_the_registry_loads_no_heavy_module() -> None:
    heavy = [
        "pandas",
        "numpy",
        "sqlalchemy",
        "sklearn",
        "pyarrow",
        "yaml",
        "rich",
        "typer",
    ]
    code = (
        "import sys, rung.registry; "
        f"print(' '.join(m for m in {heavy!r} if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == ""
