"""``rung package``, ``rung package verify`` and ``rung run <bundle>``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from rung.cli import app
from rung.errors import PackagingError, ParameterError


def _rung(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout


def _words(text: str) -> str:
    """Output with Rich's line wrapping undone."""
    return " ".join(text.split())


def _package(wheel: Path, *args: str) -> tuple[int, str]:
    return _rung(
        "package", "flow.py:flow", "-o", "dist", "--rung-wheel", str(wheel), *args
    )


def test_package_command_writes_a_bundle_and_says_how_to_use_it(
    project: Path, rung_wheel: Path
) -> None:
    code, out = _package(rung_wheel, "-p", "n=4")
    assert code == 0, out
    assert "for pipeline flow" in _words(out)
    assert f"docker build -t flow {project / 'dist'}" in _words(out)
    code, out = _rung("package", "verify", "dist")
    assert code == 0, out
    assert "is intact: pipeline flow" in _words(out)


def test_package_build_subcommand_and_json_output(
    project: Path, rung_wheel: Path
) -> None:
    code, out = _rung(
        "package",
        "build",
        "flow.py:flow",
        "-o",
        "dist",
        "--rung-wheel",
        str(rung_wheel),
        "--json",
    )
    assert code == 0, out
    summary = json.loads(out)
    assert summary["name"] == "flow"
    assert summary["parameters"] == {"n": 3, "factor": 1.0}
    code, out = _rung("package", "verify", "dist", "--json")
    assert json.loads(out)["content_hash"] == summary["content_hash"]


def test_package_help_lists_build_and_verify() -> None:
    code, out = _rung("package", "--help")
    assert code == 0
    assert "build" in out
    assert "verify" in out


def test_run_takes_a_bundle_folder_and_tags_the_run_with_its_hash(
    project: Path, rung_wheel: Path
) -> None:
    _package(rung_wheel, "-p", "n=4")
    manifest = json.loads((project / "dist/rung-bundle.json").read_text())
    code, out = _rung("run", "dist", "--json")
    assert code == 0, out
    run = json.loads(out)["run"]
    assert run["status"] == "completed"
    assert run["params"] == {"n": 4, "factor": 1.0}
    assert run["tags"]["rung.bundle"] == manifest["content_hash"]
    code, out = _rung("run", "--bundle", "dist", "-p", "factor=2", "--json")
    assert code == 0, out
    run = json.loads(out)["run"]
    assert run["params"] == {"n": 4, "factor": 2.0}
    assert run["tags"]["rung.bundle"] == manifest["content_hash"]


def test_run_refuses_a_bundle_with_a_target_or_a_config(
    project: Path, rung_wheel: Path
) -> None:
    _package(rung_wheel)
    with pytest.raises(ParameterError, match="not both"):
        _rung("run", "flow.py:flow", "--bundle", "dist")
    with pytest.raises(ParameterError, match="carries its own configuration"):
        _rung("run", "dist", "--config", "run.yaml")


def test_run_refuses_a_tampered_bundle(project: Path, rung_wheel: Path) -> None:
    _package(rung_wheel)
    (project / "dist/pipeline/flow.py").write_text("print('evil')\n")
    with pytest.raises(PackagingError, match="does not match its hash"):
        _rung("run", "dist")
    with pytest.raises(PackagingError, match="does not match its hash"):
        _rung("package", "verify", "dist")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run", "dist"], "Bundle content does not match its hash"),
        (["package", "flow.py:flow", "-o", "out", "-p", "n=x"], "Invalid parameter"),
        (["package", "flow.py:nope", "-o", "out"], "Unknown pipeline"),
    ],
)
def test_cli_prints_packaging_errors_without_traceback(
    project: Path, rung_wheel: Path, args: list[str], expected: str
) -> None:
    _package(rung_wheel)
    (project / "dist/rung-run.yaml").write_text("parameters: {n: 100}\n")
    done = subprocess.run(
        [sys.executable, "-m", "rung", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert expected in done.stderr
    assert "Traceback" not in done.stderr
    assert not (project / "out").exists()


LINES = """
from pathlib import Path

from rung import pipeline, step


@step
def count(path: str) -> int:
    return len(Path(path).read_text().splitlines())


@pipeline
def lines(path: str, header: bool = True) -> None:
    count(path)
"""


def test_a_required_parameter_can_be_left_to_run_time(
    project: Path, rung_wheel: Path
) -> None:
    (project / "lines.py").write_text(LINES)
    code, out = _rung(
        "package", "lines.py:lines", "-o", "dist", "--rung-wheel", str(rung_wheel)
    )
    assert code == 0, out
    assert "Left to run time: path." in _words(out)
    assert "docker run lines run /opt/bundle -p path=VALUE" in _words(out)
    manifest = json.loads((project / "dist/rung-bundle.json").read_text())
    assert manifest["runtime_parameters"] == ["path"]
    assert manifest["parameters"] == {"header": True}
    bundled = (project / "dist/rung-run.yaml").read_text()
    assert yaml.safe_load(bundled)["parameters"] == {"header": True}
    assert "# Left to run time: path" in bundled

    with pytest.raises(ParameterError, match=r"leaves parameter\(s\) 'path' to run"):
        _rung("run", "dist")
    done = subprocess.run(
        [sys.executable, "-m", "rung", "run", "dist"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "docker run lines run /opt/bundle -p path=VALUE" in _words(done.stderr)
    code, out = _rung("run", "dist", "-p", "path=data.csv", "--json")
    assert code == 0, out
    result = json.loads(out)
    assert result["run"]["params"] == {"path": "data.csv", "header": True}
    assert result["run"]["tags"]["rung.bundle"] == manifest["content_hash"]


def test_packaging_warns_about_a_path_of_this_machine(
    project: Path, rung_wheel: Path
) -> None:
    (project / "lines.py").write_text(LINES)
    data = project / "data.csv"
    args = ["lines.py:lines", "-o", "dist", "--rung-wheel", str(rung_wheel)]
    result = CliRunner().invoke(app, ["package", *args, "-p", f"path={data}"])
    assert result.exit_code == 0, result.output
    assert f"path={data}: a path on this machine" in _words(result.stderr)
