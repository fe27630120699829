"""The examples in docs/serving.md run as documented.

The ``python`` block is written to an empty folder; every ``$ command`` line
of the ``console`` block runs there, in order. ``rung serve`` is started in
the background (on a free port, put in place of 8000 in every line) and
stopped with SIGTERM after the last line that talks to it.
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.doc_sessions import doc_blocks, doc_session, session_env, write_doc_files

GUIDE = "serving.md"


def test_the_doc_has_one_file_and_one_session() -> None:
    files = [b for k, b in doc_blocks(GUIDE) if b.startswith("# file: ")]
    assert [b.splitlines()[0] for b in files] == ["# file: train.py"]
    assert len([b for k, b in doc_blocks(GUIDE) if k == "console"]) == 1


@pytest.mark.slow
def test_the_documented_session_runs(tmp_path: Path) -> None:
    write_doc_files(GUIDE, tmp_path)
    env = session_env()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = str(sock.getsockname()[1])
    outputs: list[str] = []
    server: subprocess.Popen[str] | None = None
    try:
        for line in doc_session(GUIDE):
            command = line.removeprefix("$ ").split("  # ")[0].replace("8000", port)
            if command.startswith("rung serve"):
                server = subprocess.Popen(
                    ["bash", "-c", f"exec {command}"],
                    cwd=tmp_path,
                    env=env,
                    text=True,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                )
                _wait_ready(port)
                continue
            if command.startswith("rung predictions query") and server is not None:
                server.send_signal(signal.SIGTERM)  # stop: the log is written
                server.communicate(timeout=30)
                assert server.returncode == 0
                server = None
            done = subprocess.run(
                ["bash", "-c", command],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=180,
                check=False,
            )
            assert done.returncode == 0, (command, done.stdout, done.stderr)
            outputs.append(done.stdout)
    finally:
        if server is not None and server.poll() is None:
            server.kill()
            server.communicate()
    text = "\n".join(outputs)
    assert '"status":"ready"' in text
    assert '"invalid_input"' in text and '"accepted":1' in text
    assert "rung_predicted_rows_total" in text
    assert re.search(r"1\s+4\s+1", text), text  # 4 rows logged, 1 labelled
    assert "Scored 50 rows" in text
    assert "unknown prediction id" in text
    assert "Scored 2 rows" in text and "Routed 1 bad row(s)" in text
    assert re.search(r"\b56\b", text)  # 4 served, 50 + 2 scored


def _wait_ready(port: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz") as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the documented server did not become ready")
