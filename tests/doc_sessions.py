"""Helpers for tests that run a guide's documented session.

A guide's code blocks whose first line is ``# file: NAME`` are files of the
example; its ``console`` block lists ``$ command`` lines to run in order.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"
_BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)
_FILE = "# file: "


def doc_blocks(guide: str) -> list[tuple[str, str]]:
    """The (language, body) of every fenced block of ``docs/<guide>``."""
    return list(_BLOCK.findall((DOCS / guide).read_text()))


def doc_files(guide: str) -> dict[str, str]:
    """File name -> content of the guide's ``# file:`` blocks."""
    return {
        body.splitlines()[0][len(_FILE) :]: body
        for _kind, body in doc_blocks(guide)
        if body.startswith(_FILE)
    }


def doc_session(guide: str) -> list[str]:
    """The lines of the guide's one ``console`` block."""
    [session] = [body for kind, body in doc_blocks(guide) if kind == "console"]
    return session.splitlines()


def doc_commands(guide: str) -> list[str]:
    """The ``$ command`` lines of all the guide's ``console`` blocks, in order.

    A tutorial spreads its session over several blocks; each line is one
    command, with an optional ``  # note`` after it.
    """
    return [
        line.removeprefix("$ ")
        for kind, body in doc_blocks(guide)
        if kind == "console"
        for line in body.splitlines()
        if line.startswith("$ ")
    ]


def write_doc_files(guide: str, folder: Path) -> None:
    """Write the guide's ``# file:`` blocks into ``folder``."""
    for name, body in doc_files(guide).items():
        (folder / name).write_text(body)


def session_env() -> dict[str, str]:
    """This environment without ``RUNG_*`` settings, this venv first on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNG_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env
