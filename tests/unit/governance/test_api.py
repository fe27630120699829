"""The public API of ``rung.governance``: lazy, complete, light to import."""

from __future__ import annotations

import subprocess
import sys

import pytest

import rung.governance


def test_all_names_resolve_and_dir_lists_them() -> None:
    assert dir(rung.governance) == sorted(rung.governance.__all__)
    for name in rung.governance.__all__:
        assert getattr(rung.governance, name) is not None


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        rung.governance.nope  # noqa: B018


def test_importing_governance_and_pipelines_loads_no_heavy_module() -> None:
    code = (
        "import sys, rung.governance, rung.pipelines; "
        "print(' '.join(m for m in ('pydantic', 'yaml', 'pandas', 'sqlalchemy') "
        "if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == ""


def test_pipelines_register_the_governance_checks_by_name() -> None:
    from rung.pipelines import _hooks

    assert "rung.governance:check_plan" in _hooks._plan_checks
    assert "rung.governance:check_step_inputs" in _hooks._input_checks
