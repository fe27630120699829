"""The monitor report renders in headless Chromium with no console errors.

The page's own script sets ``data-rendered="true"`` and the title once it has
run, so the dumped DOM proves the script ran; Chromium's stderr (with
``--enable-logging=stderr``) carries every console message and uncaught
error, and must have none. A screenshot is taken too (kept in the test's
temporary folder for people to look at).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from rung.monitoring import build_report, create_monitor, render_html, run_monitor
from rung.registry import promote_model, register_model
from tests.unit.registry.flows import training

if TYPE_CHECKING:
    from pathlib import Path

    from rung.workspace import Workspace

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--enable-logging=stderr",
    "--v=0",
]
# Chromium reports page console output as "CONSOLE(...)" lines; errors thrown
# by a script as "Uncaught ...".
_PAGE_ERRORS = re.compile(r"Uncaught|CONSOLE|console\.error|SyntaxError", re.IGNORECASE)


@pytest.fixture
def report_file(workspace: Workspace, tmp_path: Path) -> Path:
    """A report of a breached monitor on a pipeline-trained model, as HTML."""
    version = register_model(workspace, training(C=1.0), "churn", step="train")
    promote_model(workspace, "churn", version.version, "production")
    rng = np.random.default_rng(0)
    current = pd.DataFrame(
        {
            "age": rng.integers(40, 95, 300),
            "income": rng.normal(62.0, 10.0, 300),
            "visits": rng.integers(0, 9, 300),
        }
    )
    current["label"] = (current["visits"] < 4).astype(int)
    create_monitor(workspace, "churn", model="churn@production", current=current)
    for at in (1_790_000_000.0, 1_790_003_600.0, 1_790_007_200.0):
        run_monitor(workspace, "churn", now=at)
    path = tmp_path / "report.html"
    path.write_text(render_html(build_report(workspace, "churn")), encoding="utf-8")
    return path


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if not shutil.which(CHROMIUM):
        pytest.skip("Chromium is not installed (apt-get install -y chromium)")
    profile = tmp_path / "chromium-profile"
    return subprocess.run(
        [CHROMIUM, *_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_report_renders_without_console_errors(
    report_file: Path, tmp_path: Path
) -> None:
    done = chromium(tmp_path, "--dump-dom", report_file.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    assert '<body data-rendered="true">' in done.stdout
    assert "<title>Rung monitor churn: breached</title>" in done.stdout
    assert done.stdout.count("<svg") >= 8
    errors = [line for line in done.stderr.splitlines() if _PAGE_ERRORS.search(line)]
    assert errors == []


def test_report_screenshot_is_drawn(report_file: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    done = chromium(
        tmp_path,
        "--window-size=1200,1600",
        f"--screenshot={shot}",
        report_file.as_uri(),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    width, height = (
        int.from_bytes(data[16:20], "big"),
        int.from_bytes(data[20:24], "big"),
    )
    assert (width, height) == (1200, 1600)


def test_the_check_sees_a_page_whose_script_fails(tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text("<html><body><script>missingFunction();</script></body></html>")
    done = chromium(tmp_path, "--dump-dom", page.as_uri())
    errors = [line for line in done.stderr.splitlines() if _PAGE_ERRORS.search(line)]
    assert any("Uncaught ReferenceError" in line for line in errors)
