"""docs/tutorial.md runs as written, and its story is what happens.

The ``# file:`` blocks are written to an empty folder; every ``$ command``
line of the tutorial's ``console`` blocks runs there, in order, each in a
process of its own (``tests.doc_shell.Shell``). ``rung serve`` is started in
the background on a free port (put in place of 8000 in every line) and
stopped with SIGTERM at the end. Before each batch of traffic the test waits
until the server serves the version ``production`` points to, which a reader
typing the commands never has to.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.doc_sessions import doc_blocks, doc_commands, session_env, write_doc_files
from tests.doc_shell import Shell

GUIDE = "tutorial.md"


def test_one_train_py_and_the_files_it_needs() -> None:
    files = [
        b.splitlines()[0][8:] for k, b in doc_blocks(GUIDE) if b.startswith("# file: ")
    ]
    assert files == ["make_data.py", "train.py", "gates.yaml", "traffic.py"]


def test_the_readme_and_the_guides_link_the_tutorial() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs"
    assert "docs/tutorial.md" in (docs.parent / "README.md").read_text()
    for guide in (
        "guide.md",
        "serving.md",
        "monitoring.md",
        "registry.md",
        "automation.md",
    ):
        assert "(tutorial.md" in (docs / guide).read_text(), guide


@pytest.mark.slow
def test_the_tutorial_runs_as_written(tmp_path: Path) -> None:
    write_doc_files(GUIDE, tmp_path)
    env = session_env()
    port = _free_port()
    done: list[tuple[str, str]] = []
    server: subprocess.Popen[str] | None = None
    shell = Shell(env)
    try:
        for line in doc_commands(GUIDE):
            command = line.split("  # ")[0].replace("8000", port)
            if command.startswith("rung serve"):
                server = subprocess.Popen(
                    ["bash", "-c", f"exec {command}"],
                    cwd=tmp_path,
                    env=env,
                    text=True,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                )
                _wait_for(port, "readyz", "status", "ready")
                continue
            if command.startswith("python traffic.py"):
                wanted = _production_version(tmp_path)
                _wait_for(port, "version", "version", wanted)
            result = shell.run(command, tmp_path, timeout=180)
            assert result.returncode == 0, (command, result.stdout, result.stderr)
            done.append((command, result.stdout + result.stderr))
        _wait_for(port, "version", "version", 1)  # the server followed the rollback
    finally:
        shell.close()
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.communicate(timeout=60)
    assert server is not None and server.returncode == 0
    _check_the_story(done)


def _check_the_story(done: list[tuple[str, str]]) -> None:
    """The figures and events the tutorial shows are the ones that happened."""
    said: dict[str, list[str]] = {}
    for command, out in done:
        said.setdefault(command.split(" http://")[0], []).append(" ".join(out.split()))

    def one(command: str) -> str:
        [out] = said[command]
        return out

    assert one("python train.py") == "accuracy 0.846"
    assert re.search(r"notebook completed .* 0\.846$", one("rung runs list"))
    first, again = said["rung run train.py:training"]
    assert "registered churn/1" in first and "5 steps, 0 from cache" in first
    assert "5 steps, 5 from cache" in again and "registered" not in again
    dry_run = one("rung models promote churn 1 --alias production --dry-run")
    assert dry_run == "pass accuracy >= 0.8: accuracy 0.846 >= 0.8"
    april = one("python traffic.py data/april.csv")
    assert april == "churn v1 scored 600 customers; 600 labels accepted"
    [query] = [
        out for command, outs in said.items() for out in outs if "SELECT" in command
    ]
    assert query.endswith("1 600 600 0.507")
    monitor = one("rung monitor run churn")
    assert "drift: breached - drift share 67% tenure, monthly_spend" in monitor
    assert "churn/performance since" in monitor
    assert "accuracy 0.5067 vs 0.846 recorded" in monitor
    retrained, may, june = said["rung agent run --once"]
    assert "registered churn/2" in retrained and "retrain: fired" in retrained
    assert re.search(
        r"retrain fired monitor:\w+… \w{8}", one("rung triggers ledger retrain")
    )
    versions = said["rung models versions churn"][-1]
    assert re.search(r"2 ready .* 0\.86 1 production ready .* 0\.846", versions)
    [challenger] = [
        out for command, outs in said.items() for out in outs if "evaluate" in command
    ]
    assert challenger.startswith("churn v2 vs champion v1 (production): PROMOTE")
    assert "600 labelled of 600 logged rows" in challenger
    assert "accuracy 0.5067 0.845" in challenger
    assert "accuracy | held-out (275 rows) 0.4618 0.8509" in challenger
    assert "promotion: promoted" in challenger and "metric_floor=0.75" in challenger
    assert one("python traffic.py data/may.csv").startswith("churn v2 scored 400")
    assert "watch churn@production v2: ok" in may
    assert one("python traffic.py data/june.csv").startswith("churn v2 scored 400")
    assert "watch churn@production v2: rolled_back" in june
    ledger = one("rung challenger ledger churn")
    assert "rolled_back v1" in ledger and "0.645 on 800" in ledger
    upstream = one("rung lineage churn/2 --upstream")
    assert "trigger retrain fired" in upstream
    assert "alert churn/performance (critical)" in upstream
    downstream = one("rung lineage churn/2 --downstream")
    assert "promotion churn@production -> v2 (promoted)" in downstream
    assert "rollback churn@production back to v1: live accuracy 0.645" in downstream
    created = one("rung new churn-service --template classification")
    assert created.startswith("Created churn-service from template classification")


def _free_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return str(sock.getsockname()[1])


def _production_version(folder: Path) -> int:
    import rung
    from rung.registry import get_model

    with rung.open_workspace(folder, create=False) as ws:
        return int(get_model(ws, "churn").aliases["production"])


def _wait_for(port: str, path: str, key: str, value: object) -> None:
    """Wait until the server's ``/path`` answers ``{key: value, ...}``."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/{path}") as answer:
                if json.load(answer).get(key) == value:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(
        f"the tutorial's server never answered /{path} with {key}={value}"
    )
