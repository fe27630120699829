"""The ``rung`` command end to end: init, run, runs, artifacts, pipelines, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import pytest
import typer
from typer.testing import CliRunner

from rung.cli import app

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.e2e.conftest import Cli


def run_json(cli: Cli, *args: str) -> dict:  # type: ignore[type-arg]
    code, out = cli("run", "flow.py:flow", "--json", *args)
    assert code == 0, out
    return json.loads(out)  # type: ignore[no-any-return]


def test_init_creates_the_workspace(cli: Cli, project: Path) -> None:
    code, out = cli("init")
    assert code == 0
    assert "Created workspace" in out
    assert (project / ".rung" / "metadata.db").is_file()
    code, out = cli("init")
    assert "Using existing workspace" in out


def test_run_uses_cli_params_over_config(cli: Cli, project: Path) -> None:
    (project / "run.yaml").write_text("parameters:\n  n: 10\n  offset: 1.0\n")
    result = run_json(cli, "--config", "run.yaml", "-p", "offset=0.5")
    assert result["run"]["status"] == "completed"
    assert result["run"]["params"] == {"n": 10, "offset": 0.5}
    assert result["metrics"] == {"result": 45.5}


def test_second_run_is_cached_and_no_cache_reruns(cli: Cli) -> None:
    run_json(cli)
    cached = run_json(cli)
    assert {s["status"] for s in cached["steps"]} == {"cached"}
    fresh = run_json(cli, "--no-cache")
    assert {s["status"] for s in fresh["steps"]} == {"completed"}


def test_runs_list_show_and_compare(cli: Cli) -> None:
    first = run_json(cli, "-p", "n=2")["run"]["id"]
    second = run_json(cli, "-p", "n=4")["run"]["id"]
    code, out = cli("runs", "list")
    assert code == 0 and "flow" in out and first[:8] in out
    listed = json.loads(cli("runs", "list", "--json")[1])
    assert [r["id"] for r in listed] == [second, first]
    code, out = cli("runs", "show", first[:8], "--logs")
    assert code == 0 and "making 2" in out and "param n" in out
    code, out = cli("runs", "compare", first, second)
    assert code == 0 and "param n" in out and "metric result" in out


def test_artifacts_list_show_lineage_export(cli: Cli, project: Path) -> None:
    result = run_json(cli, "-p", "n=3")
    add_step = next(s for s in result["steps"] if s["name"] == "add")
    artifact = add_step["outputs"]["output"]
    code, out = cli("artifacts", "list")
    assert code == 0 and artifact[:12] in out
    code, out = cli("artifacts", "show", artifact[:10])
    assert code == 0 and "made by" in out and "builtins.float" in out
    lineage = json.loads(cli("artifacts", "lineage", artifact, "--json")[1])
    assert lineage["root"]["producer"]["step_name"] == "add"
    assert lineage["root"]["inputs"][0]["producer"]["step_name"] == "make"
    code, out = cli("artifacts", "export", artifact, "-o", str(project / "exported"))
    assert code == 0
    assert any((project / "exported").iterdir())


def test_pipelines_list_shows_run_and_defined_pipelines(cli: Cli) -> None:
    run_json(cli)
    code, out = cli("pipelines", "list")
    assert code == 0 and "flow" in out
    code, out = cli("pipelines", "list", "flow.py")
    assert code == 0 and "flow.py:flow" in out


def test_user_mistakes_print_one_clear_error_without_traceback(cli: Cli) -> None:
    cases = {
        ("run", "missing.py:flow"): "Pipeline file missing.py does not exist",
        (
            "run",
            "flow.py:nope",
        ): "flow.py has no 'nope'. Pipelines it defines: ['flow']",
        (
            "run",
            "flow.py:flow",
            "-p",
            "n=lots",
        ): "parameter 'n' (from cli): expected int",
        ("run", "flow.py:flow", "-p", "colour=red"): "unknown parameter 'colour'",
        (
            "run",
            "flow.py:flow",
            "--config",
            "nope.yaml",
        ): "Config file nope.yaml does not exist",
        ("runs", "show", "ffffffff"): "ffffffff",
    }
    for args, message in cases.items():
        done = cli.process(*args)
        assert done.returncode == 1, (args, done.stderr)
        assert message in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr, args


def test_failing_step_exits_non_zero_and_names_the_step(cli: Cli) -> None:
    done = cli.process("run", "flow.py:flow", "-p", "offset=-1")
    assert done.returncode == 1
    assert "Step 'add' failed" in done.stderr
    assert "offset must not be negative" in done.stderr
    assert "Traceback" not in done.stderr
    verbose = cli.process("--verbose", "run", "flow.py:flow", "-p", "offset=-1")
    assert "Traceback" in verbose.stderr


def test_commands_that_read_need_a_workspace(cli: Cli) -> None:
    done = cli.process("runs", "list")
    assert done.returncode == 1
    assert "No Rung workspace" in done.stderr and "rung init" in done.stderr


@pytest.mark.slow
def test_demo_walks_the_loop_and_leaves_it_to_read(cli: Cli) -> None:
    code, out = cli("demo", "--fast")
    assert code == 0, out
    assert "what happened and why" in out
    assert "Pass 1: retrained after the 1982 alert" in out
    assert "won and was promoted" in out
    assert "Pass 2: the original recipe" in out and "lost: rejected" in out
    assert "rainfall@production is v2" in out
    runs = json.loads(cli("runs", "list", "--json")[1])
    assert sorted(r["pipeline"] for r in runs) == ["retraining", "training", "training"]
    code, out = cli("triggers", "ledger", "rainfall-retrain")
    assert code == 0 and "fired" in out and "monitor:" in out
    code, out = cli("models", "list")
    assert "production=v2" in out
    code, out = cli("lineage", "rainfall/2", "--upstream")
    assert code == 0 and "rainfall-retrain fired" in out and "alert" in out

    # Again in the same workspace: a model of its own; the steps before
    # registration come from the cache.
    code, out = cli("demo", "--fast", "--json")
    assert code == 0, out
    report = json.loads(out)
    assert report["model"] == "rainfall-2"
    assert report["alert_year"] == 1982
    assert report["retrained"]["outcome"] == "promoted"
    assert report["retrained"]["challenger"] > report["retrained"]["champion"]
    assert report["stale"]["outcome"] == "kept"
    assert report["stale"]["challenger"] < report["stale"]["champion"]
    assert report["champion"] == report["retrained"]["challenger_version"] == 2
    train = next(s for s in report["steps"] if s["stage"] == "train")
    assert train["figures"]["cached"] == 4
    assert report["triggers"] == ["rainfall-2-retrain", "rainfall-2-original-recipe"]


def _command_paths(command: Any, path: list[str]) -> Iterator[list[str]]:
    """Every command and subcommand under ``command``, as argument lists."""
    yield path
    if hasattr(command, "list_commands"):
        context = click.Context(command)
        for name in command.list_commands(context):
            sub = command.get_command(context, name)
            if sub is not None:
                yield from _command_paths(sub, [*path, name])


def test_every_command_renders_its_help() -> None:
    root = typer.main.get_command(app)
    runner = CliRunner()
    paths = list(_command_paths(root, []))
    failed = {}
    for path in paths:
        result = runner.invoke(app, [*path, "--help"])
        if result.exit_code != 0 or "Usage" not in result.output:
            failed[" ".join(path) or "rung"] = repr(result.exception)
    assert not failed
    assert ["monitor", "create"] in paths and ["models", "roles", "grant"] in paths


def test_help_shows_brackets_as_written() -> None:
    result = CliRunner().invoke(app, ["monitor", "create", "--help"])
    assert result.exit_code == 0, result.output
    assert "RUN_ID[/STEP]" in result.output
    assert "dataset:NAME[@V]" in result.output
