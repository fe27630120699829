"""The README's "A pipeline in thirty seconds" block runs as it is."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
HEADING = "## A pipeline in thirty seconds"


def readme_block(heading: str) -> str:
    """The first ```python block under ``heading`` in README.md."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    found = re.search(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert found is not None, f"no python block under {heading!r}"
    return found.group(1)


def run(args: list[str], cwd: Path) -> str:
    done = subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_thirty_second_pipeline_runs_as_a_script_and_from_the_cli(
    tmp_path: Path,
) -> None:
    (tmp_path / "pipeline.py").write_text(readme_block(HEADING), encoding="utf-8")

    out = run([sys.executable, "pipeline.py"], tmp_path)
    status, metrics = out.strip().split(" ", 1)
    assert status == "completed"
    assert 0.5 <= eval(metrics)["accuracy"] <= 1.0  # noqa: S307 - our own output

    # The comment's command: same parameters, so every step comes from the cache.
    cli = [sys.executable, "-m", "rung", "run", "pipeline.py:training"]
    result = json.loads(run([*cli, "-p", "C=0.5", "--json"], tmp_path))
    assert result["run"]["params"] == {"rows": 200, "C": 0.5}
    assert {step["status"] for step in result["steps"]} == {"cached"}
