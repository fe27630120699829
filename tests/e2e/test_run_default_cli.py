"""``rung run`` / ``rung package`` with no pipeline: the project's default."""

from __future__ import annotations

import importlib.metadata
import json
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from rung.errors import ParameterError

if TYPE_CHECKING:
    from tests.e2e.conftest import Cli

SETTINGS = """\
[rung]
default_pipeline = "flow.py:flow"
default_config = "configs/dev.yaml"
"""


@pytest.fixture
def defaults(project: Path) -> Path:
    """The project, with a default pipeline and a config per environment."""
    (project / "rung.toml").write_text(SETTINGS)
    (project / "configs").mkdir()
    (project / "configs/dev.yaml").write_text("parameters: {n: 4}\nrun_name: dev\n")
    (project / "configs/prod.yaml").write_text("parameters: {n: 6}\nrun_name: prod\n")
    return project


def _run(cli: Cli, *args: str) -> dict:  # type: ignore[type-arg]
    code, out = cli("run", "--json", *args)
    assert code == 0, out
    return json.loads(out)["run"]  # type: ignore[no-any-return]


def test_run_without_a_pipeline_runs_the_default_with_its_config(
    cli: Cli, defaults: Path
) -> None:
    run = _run(cli)
    assert (run["pipeline"], run["name"], run["params"]["n"]) == ("flow", "dev", 4)


def test_a_given_config_or_environment_variable_replaces_the_default_config(
    cli: Cli, defaults: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _run(cli, "-c", "configs/prod.yaml")["params"]["n"] == 6
    monkeypatch.setenv("RUNG_DEFAULT_CONFIG", "configs/prod.yaml")
    assert _run(cli, "-p", "offset=1")["name"] == "prod"


def test_a_named_pipeline_does_not_take_the_default_config(
    cli: Cli, defaults: Path
) -> None:
    code, out = cli("run", "flow.py:flow", "--json")
    assert code == 0, out
    assert json.loads(out)["run"]["params"]["n"] == 3


def test_the_default_is_found_from_a_subfolder_of_the_workspace(
    cli: Cli, defaults: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli("init")
    (defaults / "notebooks").mkdir()
    monkeypatch.chdir(defaults / "notebooks")
    assert _run(cli)["params"]["n"] == 4


def test_run_without_a_pipeline_or_default_says_how_to_set_one(cli: Cli) -> None:
    with pytest.raises(ParameterError, match='default_pipeline = "pipelines'):
        cli("run")


def test_package_without_a_pipeline_bundles_the_default(
    cli: Cli, defaults: Path, tmp_path: Path
) -> None:
    code, out = cli(
        "package", "-o", "dist", "--rung-wheel", str(_stub_wheel(tmp_path)), "--json"
    )
    assert code == 0, out
    summary = json.loads(out)
    assert (summary["name"], summary["parameters"]["n"]) == ("flow", 4)
    assert _run(cli, "dist")["params"]["n"] == 4


def _stub_wheel(folder: Path) -> Path:
    """A Rung wheel with real metadata and no code (building one takes seconds)."""
    version = importlib.metadata.version("rung")
    wheel = folder / f"rung-{version}-py3-none-any.whl"
    requires = importlib.metadata.requires("rung") or []
    metadata = f"Metadata-Version: 2.1\nName: rung\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {line}\n" for line in requires)
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(f"rung-{version}.dist-info/METADATA", metadata)
        archive.writestr("rung/__init__.py", "")
    return wheel
