"""The public API: every ``__all__`` matches what the package exposes."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys

import pytest

import rung

PACKAGES = [
    "rung",
    "rung.errors",
    "rung.workspace",
    "rung.metadata",
    "rung.artifacts",
    "rung.pipelines",
    "rung.orchestrators",
    "rung.tracking",
    "rung.client",
    "rung.demo",
    "rung.templates",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_names_resolve(name: str) -> None:
    module = importlib.import_module(name)
    exported = module.__all__
    assert len(exported) == len(set(exported))
    for attr in exported:
        assert getattr(module, attr) is not None, f"{name}.{attr}"


@pytest.mark.parametrize("name", PACKAGES)
def test_public_names_are_listed_in_all(name: str) -> None:
    module = importlib.import_module(name)
    public = {
        attr
        for attr, value in vars(module).items()
        if not attr.startswith("_")
        and getattr(value, "__module__", "").startswith(name)
        and callable(value)
    }
    assert public <= set(module.__all__)


def test_errors_all_derive_from_the_root() -> None:
    from rung import errors

    for attr in errors.__all__:
        assert issubclass(getattr(errors, attr), errors.RungError)


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        rung.nope  # noqa: B018


HEAVY = [
    "pandas",
    "numpy",
    "sqlalchemy",
    "fastapi",
    "sklearn",
    "pyarrow",
    "duckdb",
    "rich",
]


@pytest.mark.parametrize("statement", ["import rung", "import rung.cli"])
def test_importing_rung_loads_no_heavy_module(statement: str) -> None:
    code = (
        f"import sys; {statement}; "
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == ""


def test_help_loads_no_heavy_module() -> None:
    code = (
        "import sys\n"
        "from rung.cli import app\n"
        "try:\n"
        "    app(['--help'], prog_name='rung')\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "Usage: rung" in done.stdout
    assert done.stderr.strip() == ""


def test_lazy_command_help_matches_each_command() -> None:
    from rung.cli._lazy import COMMANDS, load_command

    for name, entry in COMMANDS.items():
        command = load_command(name)
        assert command.name == name
        real = (command.help or "").strip().splitlines()[0]
        assert real.startswith(entry.help.rstrip(".").split(" (")[0]), (name, real)


DOMAINS = [
    "rung.registry",
    "rung.catalog",
    "rung.governance",
    "rung.serving",
    "rung.monitoring",
    "rung.tracking",
    "rung.pipelines",
    "rung.automation",
    "rung.packaging",
]


@pytest.mark.parametrize("name", DOMAINS)
def test_domain_functions_take_the_workspace_first(name: str) -> None:
    module = importlib.import_module(name)
    late = []
    for attr in module.__all__:
        value = getattr(module, attr)
        if not inspect.isfunction(value):
            continue
        parameters = list(inspect.signature(value).parameters)
        if "workspace" in parameters and parameters[0] != "workspace":
            late.append(attr)
    assert late == [], f"{name}: workspace must be the first parameter of {late}"


def test_top_level_shortcuts_take_no_workspace() -> None:
    for attr in rung.__all__:
        value = getattr(rung, attr)
        if inspect.isfunction(value) and attr != "use_workspace":
            assert "workspace" not in inspect.signature(value).parameters, attr
