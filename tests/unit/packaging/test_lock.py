"""The package lock: a closure over installed distributions, pinned exactly."""

from __future__ import annotations

import importlib.metadata

import pytest

from rung.errors import PackagingError
from rung.packaging._lock import lock_text, locked_versions


def test_locked_versions_pin_rung_and_its_requirements_as_installed() -> None:
    versions, unresolved = locked_versions([])
    assert versions["rung"] == importlib.metadata.version("rung")
    for name in ("typer", "pydantic", "numpy", "scikit-learn", "pydantic-core"):
        assert versions[name] == importlib.metadata.version(name)
    assert "pytest" not in versions  # only in Rung's dev extra
    assert unresolved == []
    assert list(versions) == sorted(versions)


def test_locked_versions_map_imports_to_distributions() -> None:
    versions, unresolved = locked_versions(
        ["sklearn", "yaml", "no_such_module_here"], rung_requires=[]
    )
    assert versions["scikit-learn"] == importlib.metadata.version("scikit-learn")
    assert versions["pyyaml"] == importlib.metadata.version("pyyaml")
    assert "joblib" in versions  # scikit-learn's requirement
    assert "typer" not in versions
    assert unresolved == ["no_such_module_here"]


def test_locked_versions_follow_requested_extras_only() -> None:
    versions, _ = locked_versions(
        [],
        rung_requires=[
            "psycopg[binary]>=3.1",
            'polars>=1.0; extra == "polars"',
            'colorama; platform_system == "Nowhere"',
        ],
    )
    assert versions["psycopg"] == importlib.metadata.version("psycopg")
    assert versions["psycopg-binary"] == importlib.metadata.version("psycopg-binary")
    assert "psycopg-pool" not in versions
    assert "polars" not in versions
    assert "colorama" not in versions


def test_locked_versions_leave_a_bundled_rung_out() -> None:
    versions, _ = locked_versions(["rung"], rung_requires=["pyyaml"])
    assert "rung" not in versions
    assert set(versions) == {"pyyaml"}


def test_locked_versions_refuse_a_requirement_that_is_not_installed() -> None:
    with pytest.raises(
        PackagingError,
        match=r"'surely-not-installed-xyz' \(needed by the Rung wheel\) is not "
        "installed",
    ):
        locked_versions([], rung_requires=["surely-not-installed-xyz>=1"])


def test_lock_text_has_a_header_and_one_pin_per_line() -> None:
    text = lock_text({"a": "1.0", "b-c": "2.0"}, rung_wheel="wheels/rung.whl")
    lines = text.splitlines()
    assert all(line.startswith("#") for line in lines[:-2])
    assert lines[-2:] == ["a==1.0", "b-c==2.0"]
    assert "pip install --no-deps wheels/rung.whl" in text
    assert "wheels/" not in lock_text({"a": "1.0"})
