"""`rung artifacts show` verifies content; `rung artifacts gc` cleans temporaries."""

from __future__ import annotations

import json
import os
import time
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


def test_gc_lists_then_removes_stale_temporaries(cli: Cli, project: Path) -> None:
    stored_output(cli, project)
    stale = project / ".rung" / "artifacts" / "tmp" / ("f" * 32)
    fresh = project / ".rung" / "artifacts" / "tmp" / ("e" * 32)
    for folder in (stale, fresh):
        (folder / "data").mkdir(parents=True)
        (folder / "data" / "part.bin").write_bytes(b"x" * 10)
    two_hours_ago = time.time() - 7200
    for path in (stale / "data" / "part.bin", stale / "data", stale):
        os.utime(path, (two_hours_ago, two_hours_ago))

    listed = json.loads(cli("artifacts", "gc", "--dry-run", "--json")[1])
    assert [t["path"] for t in listed["temporaries"]] == [str(stale)]
    assert listed["dry_run"] is True and stale.exists()
    code, out = cli("artifacts", "gc")
    assert code == 0 and "Removed 1 stale temporary folder" in out
    assert str(stale) in out.replace("\n", "")
    assert not stale.exists() and fresh.exists()
    code, out = cli("artifacts", "gc", "--older-than", "0")
    assert code == 0 and not fresh.exists()
