"""``lazy_exports``: a package's names load their submodule on first use."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

from rung._internal.lazy import lazy_exports


@pytest.fixture
def package(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """A package ``lazydemo`` exporting ``sqrt`` from ``math`` and ``dumps``."""
    module = types.ModuleType("lazydemo")
    getattr_, dir_ = lazy_exports("lazydemo", {"math": ("sqrt",), "json": ("dumps",)})
    module.__getattr__ = getattr_  # type: ignore[method-assign]
    module.__dir__ = dir_  # type: ignore[method-assign]
    monkeypatch.setitem(sys.modules, "lazydemo", module)
    return module


def test_a_name_loads_on_first_use_and_is_kept(package: types.ModuleType) -> None:
    assert "sqrt" not in vars(package)
    assert package.sqrt(9.0) == 3.0
    assert vars(package)["sqrt"] is package.sqrt


def test_dir_lists_the_lazy_names(package: types.ModuleType) -> None:
    assert {"dumps", "sqrt"} <= set(dir(package))


def test_an_unknown_name_is_an_attribute_error(package: types.ModuleType) -> None:
    with pytest.raises(AttributeError, match="module 'lazydemo' has no attribute 'x'"):
        package.x  # noqa: B018


def test_a_name_exported_twice_is_refused() -> None:
    with pytest.raises(ValueError, match=r"'sqrt' is exported by both math and cmath"):
        lazy_exports("lazydemo", {"math": ("sqrt",), "cmath": ("sqrt",)})


@pytest.mark.parametrize(
    ("statement", "absent"),
    [
        ("from rung.tracking import reap_stale_runs", "rung.tracking._api"),
        ("from rung.registry import get_model", "rung.registry._register"),
        ("from rung.monitoring import get_monitor, list_alerts", "numpy"),
    ],
)
def test_one_name_imports_only_its_submodule(statement: str, absent: str) -> None:
    code = f"import sys; {statement}; print({absent!r} in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False"
