"""Read-only commands stay light: no data libraries, no pydantic, no migration."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from tests.e2e.conftest import Cli

# What a command that only reads records must not import. Alembic would mean
# a migration check beyond reading the revision; pydantic, Typer converting a
# value that needs no conversion.
HEAVY = [
    "pandas",
    "numpy",
    "pyarrow",
    "sklearn",
    "duckdb",
    "fastapi",
    "pydantic",
    "alembic",
]


@pytest.mark.parametrize(
    "args",
    [
        ["runs", "list"],
        ["runs", "list", "--json", "--limit", "5"],
        ["models", "list"],
        ["monitor", "list"],
    ],
    ids=" ".join,
)
def test_read_commands_load_no_heavy_module(
    cli: Cli, project: Path, args: list[str]
) -> None:
    assert cli("init")[0] == 0
    code = (
        "import sys\n"
        "from rung.cli import app\n"
        "try:\n"
        f"    app({args!r}, prog_name='rung')\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stderr.strip() == ""
