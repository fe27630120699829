"""`rung artifacts show` verifies that the stored content matches its id."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from tests.e2e.conftest import Cli


def stored_output(cli: Cli, project: Path) -> tuple[str, Path]:
    code, out = cli("run", "flow.py:flow", "--json")
    assert code == 0, out
    steps = json.loads(out)["steps"]
    artifact = next(s for s in steps if s["name"] == "add")["outputs"]["output"]
    folder = project / ".rung" / "artifacts" / "objects" / artifact[:2] / artifact
    return artifact, folder


def test_show_reports_verified_content(cli: Cli, project: Path) -> None:
    artifact, _folder = stored_output(cli, project)

    code, out = cli("artifacts", "show", artifact[:10])
    assert code == 0 and "present, verified" in out
    shown = json.loads(cli("artifacts", "show", artifact, "--json")[1])
    assert shown["content_present"] is True
    assert shown["content_verified"] is True
    code, out = cli("artifacts", "show", artifact, "--no-verify")
    assert code == 0 and "not verified" in out


def test_show_reports_swapped_content_as_corrupt(cli: Cli, project: Path) -> None:
    artifact, folder = stored_output(cli, project)
    (folder / "data" / "value.json").write_text("99.0")

    code, out = cli("artifacts", "show", artifact)
    assert code == 0 and "CORRUPT" in out and "present, verified" not in out
    shown = json.loads(cli("artifacts", "show", artifact, "--json")[1])
    assert shown["content_present"] is True
    assert shown["content_verified"] is False
