"""CLI hints: domain errors name no command; the CLI appends the next one."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from rung import automation, catalog, governance, monitoring, registry, serving
from rung.cli._hints import HINTS, hint_for, with_hint
from rung.errors import ArtifactNotFoundError, RungError

if TYPE_CHECKING:
    from rung.workspace import Workspace

SRC = Path(__file__).resolve().parents[3] / "src" / "rung"

# Strings outside the CLI that may still name a command: the settings (the
# edge that finds the workspace), the HTML report's text, a run's recorded
# error, the serving process's log, and comments written into the files
# `rung package` generates.
ALLOWED = {
    "settings.py",
    "monitoring/_html.py",
    "tracking/_lifecycle.py",
    "packaging/_docker.py",
    "packaging/_lock.py",
    "packaging/_package.py",
    "serving/_log.py",  # a warning the `rung serve` process logs
}


@pytest.fixture
def ws(memory_workspace: Workspace) -> Workspace:
    """The in-memory workspace with model ``churn`` version 1."""
    registry.register_model(memory_workspace, {"weights": [1.0]}, "churn")
    return memory_workspace


def _archived_promotion(ws: Workspace) -> None:
    registry.archive_version(ws, "churn", 1)
    registry.promote_model(ws, "churn", 1, "production")


CASES: list[tuple[Callable[[Workspace], Any], str]] = [
    (
        lambda ws: ws.runs.get_run("feed0000"),
        "Run 'feed0000' not found. List runs with `rung runs list`.",
    ),
    (
        lambda ws: registry.get_model(ws, "fraud"),
        "No model 'fraud' in project 'mem'. List models with `rung models list`, "
        "or register one with `rung models register`.",
    ),
    (
        lambda ws: registry.load_model(ws, "churn@staging"),
        "Model 'churn' has no alias 'staging' (its aliases: none yet). Promote a "
        "version with `rung models promote churn VERSION --alias staging`.",
    ),
    (
        _archived_promotion,
        "Cannot promote model 'churn' version 1 to 'production': the version is "
        "archived. Restore it with `rung models restore churn 1`, or register a "
        "new version.",
    ),
    (
        lambda ws: catalog.get_dataset(ws, "claims"),
        "Dataset 'claims' is not in the catalog. List datasets with "
        "`rung datasets list`, or register it with `rung datasets register`.",
    ),
    (
        governance.get_policies,
        "Project 'mem' has no policy set. Apply one with "
        "`rung policies apply policies.yaml`.",
    ),
    (
        lambda ws: monitoring.get_monitor(ws, "m"),
        "Project 'mem' has no monitor 'm'. List monitors with `rung monitor list`, "
        "or create one with `rung monitor create NAME --model MODEL@ALIAS`.",
    ),
]


@pytest.mark.parametrize(("act", "shown"), CASES)
def test_the_cli_shows_the_message_then_the_next_command(
    ws: Workspace, act: Callable[[Workspace], Any], shown: str
) -> None:
    with pytest.raises(RungError) as raised:
        act(ws)
    assert "`rung " not in str(raised.value)
    assert with_hint(raised.value) == shown


AUTOMATION_CASES: list[tuple[Callable[[Workspace], Any], str]] = [
    (
        lambda ws: automation.get_comparison(ws, "c0ffee"),
        "no challenger comparison 'c0ffee'. List them with `rung challenger list`.",
    ),
    (
        lambda ws: automation.watch_promotion(ws, "churn", metric_floor=0.5),
        "Promote a version first. Promote one with "
        "`rung models promote churn VERSION --alias production`.",
    ),
    (
        lambda ws: automation.compare_challenger(ws, "churn", 1),
        "Promote a first version to 'production'. Promote one with "
        "`rung models promote churn VERSION --alias production`.",
    ),
    (
        lambda ws: automation.get_trigger(ws, "nightly"),
        "List triggers with `rung triggers list`.",
    ),
    (
        lambda ws: serving.predict_file(
            ws, "churn/1", Path("in.csv"), Path("out.csv"), on_bad_rows="route"
        ),
        "together with bad_rows_output. With `rung predict`, give "
        "`--on-bad-rows route --bad-rows-output bad.csv`.",
    ),
]


@pytest.mark.parametrize(("act", "ending"), AUTOMATION_CASES)
def test_automation_and_serving_errors_get_their_next_command(
    ws: Workspace, act: Callable[[Workspace], Any], ending: str
) -> None:
    with pytest.raises(RungError) as raised:
        act(ws)
    assert "`rung " not in str(raised.value)
    assert with_hint(raised.value).endswith(ending)


def test_errors_without_a_matching_row_print_unchanged() -> None:
    plain = RungError("Something failed.")
    gone = ArtifactNotFoundError("Content gone.", artifact_id="ab12")
    assert (hint_for(plain), with_hint(plain)) == (None, "Something failed.")
    assert with_hint(gone) == "Content gone."  # not an unknown id: no listing


def test_no_row_hides_a_later_one() -> None:
    for i, early in enumerate(HINTS):
        for late in HINTS[i + 1 :]:
            shadowed = issubclass(late.error, early.error) and early.reason in (
                None,
                late.reason,
            )
            assert not shadowed, (early, late)


def _strings(tree: ast.AST) -> list[str]:
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(
            node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
        )
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def test_domain_messages_name_no_cli_command() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        name = path.relative_to(SRC).as_posix()
        if name.startswith(("cli/", "templates/builtin/")) or name in ALLOWED:
            continue
        for text in _strings(ast.parse(path.read_text())):
            if "`rung " in text:
                offenders.append(f"{name}: {text.strip()[:70]}")
    assert offenders == []
