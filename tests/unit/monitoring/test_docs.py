"""The examples in docs/monitoring.md run as documented.

Code blocks whose first line is ``# file: NAME`` are written to an empty
folder; then every ``$ command`` line of the ``console`` block runs there, in
order, and must succeed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.doc_sessions import doc_blocks, doc_session, session_env, write_doc_files

GUIDE = "monitoring.md"


def test_every_file_block_names_its_file() -> None:
    files = [b for k, b in doc_blocks(GUIDE) if b.startswith("# file: ")]
    assert {b.splitlines()[0][8:] for b in files} == {
        "train.py",
        "traffic.py",
        "api.py",
        "estimate.py",
    }


@pytest.mark.slow
def test_the_documented_session_runs(tmp_path: Path) -> None:
    write_doc_files(GUIDE, tmp_path)
    env = session_env()
    outputs = []
    for line in doc_session(GUIDE):
        command = line.removeprefix("$ ")
        done = subprocess.run(
            ["bash", "-c", command.replace("python ", f"{sys.executable} ", 1)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        outputs.append(done.stdout)
    text = "\n".join(outputs)
    assert "churn v1 in production, trained on ['data'] through lineage" in text
    assert "logged 600 predictions and their labels" in text
    assert "churn: breached (600 rows vs 2000 reference rows" in text
    assert "drift: breached - drift share 33% tenure" in text
    assert "alert opened:" in text and "open alerts:" in text
    assert "opened -> log: delivered at " in text
    assert "No alert delivery is due." in text
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["monitor"]["name"] == "churn"
    assert 'data-rendered="false"' in (tmp_path / "report.html").read_text()
    api = subprocess.run(
        [sys.executable, "api.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "age: psi" in api.stdout and "drifted=True" in api.stdout
    assert "new plans: ('c',)" in api.stdout
    assert "accuracy 0.75 degraded=('accuracy',)" in api.stdout
