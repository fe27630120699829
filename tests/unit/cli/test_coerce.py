"""Deferred Typer coercion: Typer's own values and messages, pydantic only if needed."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest

# A small Typer app run in a child process (the hook is process-wide): prints
# what each parameter became and whether pydantic got imported.
APP = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path

    import typer
    from typer.testing import CliRunner

    if sys.argv[1] == "deferred":
        from rung.cli._coerce import defer_coercion

        defer_coercion()
        defer_coercion()  # a second call changes nothing

    app = typer.Typer()


    @app.command()
    def show(
        name: str,
        limit: int = typer.Option(20, "--limit"),
        ratio: float = typer.Option(0.5, "--ratio"),
        flag: bool = typer.Option(False, "--flag"),
    ) -> None:
        values = [name, limit, ratio, flag]
        print(json.dumps([[type(v).__name__, repr(v)] for v in values]))


    @app.command()
    def path(where: Path = typer.Option(Path("."), "--where")) -> None:
        print(repr(where))


    @app.command()
    def bounded(size: int = typer.Option(3, "--size", min=1, max=9)) -> None:
        print(repr(size))


    out = []
    for args in json.loads(sys.argv[2]):
        result = CliRunner().invoke(app, args)
        out.append([result.exit_code, result.output])
    print(json.dumps({"results": out, "pydantic": "pydantic" in sys.modules}))
    """
)

CASES = [
    ["show", "plain"],
    ["show", "é\udcff"],
    ["show", "x", "--limit", "7"],
    ["show", "x", "--limit", "007"],
    ["show", "x", "--limit", "1_000"],
    ["show", "x", "--limit", " 5"],
    ["show", "x", "--limit", "+5"],
    ["show", "x", "--limit", "5.0"],
    ["show", "x", "--limit", "abc"],
    ["show", "x", "--limit", "99999999999999999999999"],
    ["show", "x", "--ratio", "2"],
    ["show", "x", "--ratio", "nan"],
    ["path", "--where", "a/b"],
    ["path"],
    ["show", "x", "--flag"],
    ["bounded", "--size", "12"],
    ["bounded", "--size", "4"],
    ["bounded"],
    ["show", "--help"],
]


def _run(mode: str, cases: list[list[str]]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", APP, mode, json.dumps(cases)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.fixture(scope="module")
def both() -> tuple[dict[str, Any], dict[str, Any]]:
    """Every case run once with the deferral and once with Typer alone."""
    return _run("deferred", CASES), _run("typer", CASES)


@pytest.mark.parametrize("index", range(len(CASES)), ids=lambda i: " ".join(CASES[i]))
def test_values_and_errors_are_typers_own(
    both: tuple[dict[str, Any], dict[str, Any]], index: int
) -> None:
    deferred, typer_own = both
    assert deferred["results"][index] == typer_own["results"][index]


def test_plain_values_need_no_pydantic() -> None:
    cases = [["show", "plain"], ["show", "x", "--limit", "7", "--flag"]]
    deferred, typer_own = _run("deferred", cases), _run("typer", cases)
    assert deferred["pydantic"] is False
    assert typer_own["pydantic"] is True
    assert deferred["results"] == typer_own["results"]


def test_a_value_that_needs_converting_still_goes_to_pydantic(
    both: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    deferred, _ = both
    assert deferred["pydantic"] is True
    code, output = deferred["results"][CASES.index(["show", "x", "--limit", "abc"])]
    assert code == 2
    assert "Input should be a valid integer" in output
