"""The README's "A pipeline in thirty seconds" block runs as it is."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.doc_sessions import session_env
from tests.doc_shell import Shell

README = Path(__file__).resolve().parents[2] / "README.md"
HEADING = "## A pipeline in thirty seconds"


def readme_block(heading: str) -> str:
    """The first ```python block under ``heading`` in README.md."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    found = re.search(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert found is not None, f"no python block under {heading!r}"
    return found.group(1)


def test_thirty_second_pipeline_runs_as_a_script_and_from_the_cli(
    tmp_path: Path,
) -> None:
    (tmp_path / "pipeline.py").write_text(readme_block(HEADING), encoding="utf-8")

    with Shell(session_env()) as shell:
        script = shell.run("python pipeline.py", tmp_path)
        # The comment's command: same parameters, so every step is cached.
        cli = shell.run("rung run pipeline.py:training -p C=0.5 --json", tmp_path)
    assert script.returncode == 0, script.stdout + script.stderr
    status, metrics = script.stdout.strip().split(" ", 1)
    assert status == "completed"
    assert 0.5 <= eval(metrics)["accuracy"] <= 1.0  # noqa: S307 - our own output
    assert cli.returncode == 0, cli.stdout + cli.stderr
    result = json.loads(cli.stdout)
    assert result["run"]["params"] == {"rows": 200, "C": 0.5}
    assert {step["status"] for step in result["steps"]} == {"cached"}
