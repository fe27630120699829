"""``tests.doc_shell.Shell`` runs lines as ``bash -c`` would, each its own process."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.doc_sessions import session_env
from tests.doc_shell import Shell

SCRIPT = textwrap.dedent(
    """
    import atexit, os, sys, threading, time

    atexit.register(lambda: print("atexit ran"))
    threading.Thread(target=lambda: (time.sleep(0.2), print("thread done"))).start()
    print(sys.argv[1:], os.getcwd(), os.environ.get("WHO"), __name__)
    print("to stderr", file=sys.stderr)
    sys.exit(int(sys.argv[1]))
    """
)


@pytest.fixture(scope="module")
def shell() -> Iterator[Shell]:
    with Shell(session_env(), preload=("json",)) as shell:
        yield shell


def test_python_file_lines_run_like_a_new_interpreter(
    shell: Shell, tmp_path: Path
) -> None:
    (tmp_path / "script.py").write_text(SCRIPT)

    done = shell.run('WHO="ada lovelace" python script.py 3 x', tmp_path)
    again = shell.run("python script.py 0", tmp_path)

    assert done.returncode == 3
    assert done.stdout.splitlines() == [
        f"['3', 'x'] {tmp_path} ada lovelace __main__",
        "thread done",
        "atexit ran",
    ]
    assert done.stderr == "to stderr\n"
    # The prefix was for that line only.
    assert again.returncode == 0
    assert again.stdout.splitlines()[0] == f"['0'] {tmp_path} None __main__"


def test_rung_lines_run_the_cli_and_report_refusals(
    shell: Shell, tmp_path: Path
) -> None:
    help_text = shell.run("rung --help", tmp_path)
    refused = shell.run("rung runs show nope", tmp_path)

    assert help_text.returncode == 0
    assert "Usage" in help_text.stdout
    assert refused.returncode == 1
    assert "Error" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_lines_with_shell_syntax_run_under_bash(shell: Shell, tmp_path: Path) -> None:
    done = shell.run("echo $((6 * 7)) | cat && exit 4", tmp_path)

    assert (done.returncode, done.stdout) == (4, "42\n")
    assert os.getcwd() != str(tmp_path)
