"""The examples in docs/registry.md run as documented.

Code blocks whose first line is ``# file: NAME`` are written to an empty
folder; then every ``$ command`` line of the ``console`` block runs there, in
order. A line marked ``# fails`` must exit with status 1 (a refusal).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[3] / "docs" / "registry.md"
_BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)


def blocks() -> list[tuple[str, str]]:
    return [(kind, body) for kind, body in _BLOCK.findall(DOC.read_text())]


def test_every_file_block_names_its_file() -> None:
    files = [b for k, b in blocks() if b.startswith("# file: ")]
    assert {b.splitlines()[0][8:] for b in files} == {
        "train.py",
        "gates.yaml",
        "serve.py",
    }


@pytest.mark.slow
def test_the_documented_session_runs(tmp_path: Path) -> None:
    for _kind, body in blocks():
        if body.startswith("# file: "):
            name = body.splitlines()[0][len("# file: ") :]
            (tmp_path / name).write_text(body)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNG_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["RUNG_USER"] = "ada"
    outputs = []
    [session] = [b for k, b in blocks() if k == "console"]
    for line in session.splitlines():
        command, _, note = line.removeprefix("$ ").partition("  # ")
        done = subprocess.run(
            ["bash", "-c", command.replace("python ", f"{sys.executable} ", 1)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        expected = 1 if note.startswith("fails") else 0
        assert done.returncode == expected, (command, done.stdout, done.stderr)
        outputs.append(done.stdout + done.stderr)
    text = "\n".join(outputs)
    assert "churn v3: accuracy 0.844" in text
    assert "signature: ['tenure', 'monthly_spend', 'support_calls'" in text
    assert "accuracy 0.844444 < 0.85" in text
    assert "needs 1 approval from role 'reviewer', has 0" in text
    assert "rolled back to version 1" in text
    assert "serving churn v1: LogisticRegression" in text
