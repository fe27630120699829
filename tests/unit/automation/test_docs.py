"""The session in docs/automation.md runs as documented."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from tests.doc_sessions import doc_blocks, doc_session, session_env, write_doc_files

if TYPE_CHECKING:
    from pathlib import Path

GUIDE = "automation.md"


def test_every_file_block_names_its_file() -> None:
    files = [b for k, b in doc_blocks(GUIDE) if b.startswith("# file: ")]
    assert {b.splitlines()[0][8:] for b in files} == {
        "make_data.py",
        "train.py",
        "space.yaml",
    }


@pytest.mark.slow
def test_the_documented_session_runs(tmp_path: Path) -> None:
    write_doc_files(GUIDE, tmp_path)
    env = session_env()
    outputs: dict[str, str] = {}
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
        outputs[command] = done.stdout
    [fired] = json.loads(outputs["rung triggers ledger retrain --json"])
    assert (fired["outcome"], fired["event_key"]) == ("fired", "dataset:claims@v2")
    assert fired["params"] == {"version": 2} and fired["run_id"]
    assert "nightly: fired" in outputs["rung agent run --once"]
    retunes = [out for command, out in outputs.items() if "retune train.py" in command]
    assert "ran round 1, 6 trials" in retunes[0] and "version   1" in retunes[0]
    assert "ran round 2, 4 trials" in retunes[1] and "champion  version 1" in retunes[1]
    status = outputs["rung retune status fraud"]
    assert "6/6" in status and "4/4" in status
    rollout = " ".join(outputs["rung challenger rollout status fraud"].split())
    assert "fraud@production v2 against v1, shadow" in rollout
    assert "max_error_rate=0.01" in rollout
    checked = " ".join(outputs["rung challenger rollout check"].split())
    assert "fraud@production v2: ok" in checked
    assert "error rate and latency not judged yet: 0 shadow request(s)" in checked
    [listed] = json.loads(outputs["rung challenger rollout list --json"])
    assert (listed["stage"], listed["share"], listed["shadow_s"]) == (
        "shadow",
        0.1,
        1800.0,
    )
    [aborted] = [out for command, out in outputs.items() if "rollout abort" in command]
    assert "aborted: example: no traffic" in " ".join(aborted.split())
    ledger = json.loads(outputs["rung challenger ledger fraud --json"])
    assert [e["action"] for e in ledger] == ["rollout_aborted", "rollout_started"]
    assert ledger[0]["evidence"]["rollout_id"] == listed["id"]
