"""The public API of ``rung.monitoring`` and its import cost."""

from __future__ import annotations

import subprocess
import sys

import rung.monitoring


def test_all_lists_exactly_the_public_names() -> None:
    # dir(): the names are loaded lazily, on first use.
    found = {name: getattr(rung.monitoring, name) for name in dir(rung.monitoring)}
    public = {
        name
        for name, value in found.items()
        if not name.startswith("_")
        and name != "TYPE_CHECKING"
        and (
            callable(value)
            or (isinstance(value, int | float | dict) and name.isupper())
        )
    }
    assert set(rung.monitoring.__all__) == public
    assert len(rung.monitoring.__all__) == len(set(rung.monitoring.__all__))


def test_the_cli_group_imports_no_heavy_module() -> None:
    code = (
        "import sys, rung.cli.monitor; "
        "print(sorted(m for m in ('numpy', 'pandas', 'scipy', 'duckdb', 'sqlalchemy')"
        " if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
