"""``rung.packaging``'s public names, and its import-time discipline."""

from __future__ import annotations

import subprocess
import sys

import rung.packaging


def test_packaging_all_lists_exactly_its_public_names() -> None:
    exported = set(rung.packaging.__all__)
    public = {
        name
        for name, value in vars(rung.packaging).items()
        if not name.startswith("_")
        and getattr(value, "__module__", "").startswith("rung.packaging")
    }
    assert public <= exported
    assert all(getattr(rung.packaging, name) is not None for name in exported)


def test_importing_packaging_and_its_command_loads_no_interface_library() -> None:
    code = (
        "import sys, rung.packaging; "
        "print(' '.join(m for m in ('rich', 'fastapi', 'pandas', 'sqlalchemy') "
        "if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == ""
