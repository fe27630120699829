"""The examples in docs_src/ (used by the guide) run as documented."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

DOCS_SRC = Path(__file__).resolve().parents[2] / "docs_src"


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, timeout=180, check=True
    )


def test_quickstart_runs_and_caches(tmp_path: Path) -> None:
    shutil.copy(DOCS_SRC / "quickstart.py", tmp_path)
    done = _run([sys.executable, "quickstart.py"], tmp_path)
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith("completed ")
    assert set(eval(lines[1]).values()) == {"cached"}  # noqa: S307 - our own output


def test_quickstart_from_the_cli_with_the_yaml_config(tmp_path: Path) -> None:
    for name in ("quickstart.py", "run.yaml"):
        shutil.copy(DOCS_SRC / name, tmp_path)
    rung = [sys.executable, "-m", "rung"]
    _run([*rung, "init"], tmp_path)
    done = _run(
        [
            *rung,
            "run",
            "quickstart.py:training",
            "-c",
            "run.yaml",
            "-p",
            "C=2",
            "--json",
        ],
        tmp_path,
    )
    result = json.loads(done.stdout)
    assert result["run"]["params"] == {"rows": 300, "C": 2.0}
    assert result["run"]["name"] == "nightly"


def test_tracking_example_records_an_ad_hoc_run(tmp_path: Path) -> None:
    shutil.copy(DOCS_SRC / "tracking.py", tmp_path)
    done = _run([sys.executable, "tracking.py"], tmp_path)
    assert done.stdout.startswith("completed {")
    assert "'accuracy': 0.91" in done.stdout
