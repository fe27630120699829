"""The examples in docs_src/ (used by the guide) run as documented.

Commands run through ``tests.doc_shell.Shell``: each in a process of its own,
forked from one that has imported Rung and the libraries already.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.doc_sessions import session_env
from tests.doc_shell import Shell

DOCS_SRC = Path(__file__).resolve().parents[2] / "docs_src"


@pytest.fixture(scope="module")
def shell() -> Iterator[Shell]:
    with Shell(session_env()) as shell:
        yield shell


def _run(shell: Shell, line: str, cwd: Path) -> str:
    done = shell.run(line, cwd, timeout=180)
    assert done.returncode == 0, (line, done.stdout, done.stderr)
    return done.stdout


def test_quickstart_runs_and_caches(tmp_path: Path, shell: Shell) -> None:
    shutil.copy(DOCS_SRC / "quickstart.py", tmp_path)
    out = _run(shell, "python quickstart.py", tmp_path)
    lines = out.strip().splitlines()
    assert lines[0].startswith("completed ")
    assert set(eval(lines[1]).values()) == {"cached"}  # noqa: S307 - our own output


def test_quickstart_from_the_cli_with_the_yaml_config(
    tmp_path: Path, shell: Shell
) -> None:
    for name in ("quickstart.py", "run.yaml"):
        shutil.copy(DOCS_SRC / name, tmp_path)
    _run(shell, "rung init", tmp_path)
    out = _run(
        shell, "rung run quickstart.py:training -c run.yaml -p C=2 --json", tmp_path
    )
    result = json.loads(out)
    assert result["run"]["params"] == {"rows": 300, "C": 2.0}
    assert result["run"]["name"] == "nightly"


def test_tracking_example_records_an_ad_hoc_run(tmp_path: Path, shell: Shell) -> None:
    shutil.copy(DOCS_SRC / "tracking.py", tmp_path)
    out = _run(shell, "python tracking.py", tmp_path)
    assert out.startswith("completed {")
    assert "'accuracy': 0.91" in out
