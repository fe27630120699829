"""The examples in docs/templates.md run as documented.

The ``console`` block runs line by line in an empty folder (``cd`` moves
between lines); a line marked ``# fails`` must exit with status 1.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.doc_sessions import doc_blocks, doc_session, session_env
from tests.doc_shell import Shell

GUIDE = "templates.md"
IDENTITY = {
    "GIT_AUTHOR_NAME": "Ada",
    "GIT_AUTHOR_EMAIL": "ada@example.org",
    "GIT_COMMITTER_NAME": "Ada",
    "GIT_COMMITTER_EMAIL": "ada@example.org",
}


def test_the_listing_shown_is_what_rung_new_list_prints() -> None:
    from typer.testing import CliRunner

    from rung.cli import app

    [shown] = [b for k, b in doc_blocks(GUIDE) if b.startswith("$ rung new --list")]
    printed = CliRunner().invoke(app, ["new", "--list"], catch_exceptions=False)
    assert shown.splitlines()[1:] == printed.stdout.splitlines()


@pytest.mark.slow
def test_the_documented_session_runs(tmp_path: Path) -> None:
    env = {**session_env(), **IDENTITY}
    here = tmp_path
    outputs = []
    with Shell(env) as shell:
        for line in doc_session(GUIDE):
            command, _, note = line.removeprefix("$ ").partition("  # ")
            if command.startswith("cd "):
                here = (here / command[3:]).resolve()
                continue
            done = shell.run(command, here, timeout=300)
            expected = 1 if note.startswith("fails") else 0
            assert done.returncode == expected, (command, done.stdout, done.stderr)
            outputs.append(done.stdout + done.stderr)
    created, _, run, prod, _, update, exists, unknown = (
        " ".join(text.split()) for text in outputs
    )
    assert created.startswith("Created churn from template classification 1.0.0")
    assert "Run dev" in run and "accuracy=0.958" in run
    assert "Run prod" in prod
    rows = [line.split()[0] for line in outputs[4].splitlines()[2:]]
    assert sorted(rows) == ["1", "2"]  # one version per run: dev, then prod
    assert "is up to date with template classification 1.0.0" in update
    assert "Error: Folder not empty" in exists
    assert "Error: Unknown template" in unknown
    assert "Churn risk of active accounts" in (tmp_path / "churn/README.md").read_text()


@pytest.mark.slow
def test_the_python_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for key, value in IDENTITY.items():
        monkeypatch.setenv(key, value)
    [block] = [b for k, b in doc_blocks(GUIDE) if k == "python"]
    exec(compile(block, GUIDE, "exec"), {})  # noqa: S102
    assert capsys.readouterr().out.splitlines() == [
        "['batch-scoring', 'classification', 'regression']",
        "1.0.0 churn 20",
        "False ()",
    ]
