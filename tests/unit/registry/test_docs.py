"""The examples in docs/registry.md run as documented.

Code blocks whose first line is ``# file: NAME`` are written to an empty
folder; then every ``$ command`` line of the ``console`` block runs there, in
order (``tests.doc_shell.Shell``: each its own process). A line marked
``# fails`` must exit with status 1 (a refusal).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.doc_sessions import doc_blocks, doc_session, session_env, write_doc_files
from tests.doc_shell import Shell

GUIDE = "registry.md"


def test_every_file_block_names_its_file() -> None:
    files = [b for k, b in doc_blocks(GUIDE) if b.startswith("# file: ")]
    assert {b.splitlines()[0][8:] for b in files} == {
        "train.py",
        "gates.yaml",
        "serve.py",
    }


@pytest.mark.slow
def test_the_documented_session_runs(tmp_path: Path) -> None:
    write_doc_files(GUIDE, tmp_path)
    env = session_env()
    env["RUNG_USER"] = "ada"
    outputs = []
    with Shell(env) as shell:
        for line in doc_session(GUIDE):
            command, _, note = line.removeprefix("$ ").partition("  # ")
            done = shell.run(command, tmp_path, timeout=180)
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
