"""``package_pipeline``: what goes into a bundle, and refusing bad input."""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

import pytest
import yaml

from rung.errors import (
    ConfigError,
    PackagingError,
    ParameterError,
    PipelineNotFoundError,
)
from rung.packaging import BUNDLE_TAG, open_bundle, package_pipeline
from rung.packaging import _package as package_module


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _leftovers(folder: Path) -> list[str]:
    return sorted(
        p.name for p in folder.iterdir() if ".tmp-" in p.name or ".old-" in p.name
    )


def test_package_writes_sources_config_lock_dockerfile_and_manifest(
    project: Path, rung_wheel: Path
) -> None:
    bundle = package_pipeline(
        "flow.py:flow", "dist", cli_params={"n": "5"}, rung_wheel=rung_wheel
    )
    dist = project / "dist"
    assert bundle.path == dist
    assert _files(dist) == {
        ".dockerignore",
        "Dockerfile",
        "requirements.lock",
        "rung-bundle.json",
        "rung-run.yaml",
        f"wheels/{rung_wheel.name}",
        "pipeline/flow.py",
        "pipeline/helpers.py",
        "pipeline/tools/__init__.py",
        "pipeline/tools/scale.py",
    }
    assert (dist / "pipeline/flow.py").read_text() == (project / "flow.py").read_text()
    config = yaml.safe_load((dist / "rung-run.yaml").read_text())
    assert config == {"parameters": {"n": 5, "factor": 1.0}, "enable_cache": True}
    manifest = json.loads((dist / "rung-bundle.json").read_text())
    assert manifest["name"] == "flow"
    assert manifest["pipeline"] == "pipeline/flow.py:flow"
    assert manifest["parameters"] == {"n": 5, "factor": 1.0}
    assert manifest["content_hash"] == bundle.content_hash
    assert manifest["rung_install"] == f"wheels/{rung_wheel.name}"
    assert manifest["python_version"].count(".") == 2
    assert manifest["source"] == f"{project / 'flow.py'}:flow"
    assert bundle.run_tags == {BUNDLE_TAG: bundle.content_hash}


def test_package_locks_exact_versions_and_leaves_bundled_rung_out(
    project: Path, rung_wheel: Path
) -> None:
    package_pipeline("flow.py:flow", "dist", rung_wheel=rung_wheel)
    lines = (project / "dist/requirements.lock").read_text().splitlines()
    pins = dict(line.split("==") for line in lines if not line.startswith("#"))
    assert pins["pyyaml"] == importlib.metadata.version("pyyaml")
    assert pins["typer"] == importlib.metadata.version("typer")
    assert "rung" not in pins
    assert f"pip install --no-deps wheels/{rung_wheel.name}" in "\n".join(lines)


def test_package_hash_is_the_same_for_the_same_inputs(
    project: Path, rung_wheel: Path
) -> None:
    first = package_pipeline("flow.py:flow", "a", rung_wheel=rung_wheel)
    second = package_pipeline("flow.py:flow", "b", rung_wheel=rung_wheel)
    changed = package_pipeline(
        "flow.py:flow", "c", cli_params={"n": "4"}, rung_wheel=rung_wheel
    )
    assert first.content_hash == second.content_hash
    assert changed.content_hash != first.content_hash


def test_package_without_a_name_uses_the_only_pipeline(
    project: Path, rung_wheel: Path
) -> None:
    bundle = package_pipeline("flow.py", "dist", rung_wheel=rung_wheel)
    assert bundle.pipeline == "pipeline/flow.py:flow"


def test_package_resolves_code_then_config_then_cli_params(
    project: Path, rung_wheel: Path
) -> None:
    (project / "run.yaml").write_text(
        "parameters: {n: 7, factor: 2.0}\ntags: {team: churn}\n"
        "run_name: nightly\nsteps: {total: {cache: false}}\n"
    )
    bundle = package_pipeline(
        "flow.py:flow",
        "dist",
        config="run.yaml",
        params={"factor": 3.0, "n": 1},
        cli_params={"n": "8"},
        rung_wheel=rung_wheel,
    )
    config = yaml.safe_load(bundle.config_path.read_text())
    assert config == {
        "parameters": {"n": 8, "factor": 2.0},
        "enable_cache": True,
        "tags": {"team": "churn"},
        "run_name": "nightly",
        "steps": {"total": {"cache": False}},
    }


def test_package_rejects_a_bad_parameter_and_writes_nothing(
    project: Path, rung_wheel: Path
) -> None:
    with pytest.raises(ParameterError, match=r"parameter 'n' \(from cli\)"):
        package_pipeline(
            "flow.py:flow", "dist", cli_params={"n": "many"}, rung_wheel=rung_wheel
        )
    with pytest.raises(ParameterError, match="unknown parameter 'nope'"):
        package_pipeline(
            "flow.py:flow", "dist", cli_params={"nope": "1"}, rung_wheel=rung_wheel
        )
    assert not (project / "dist").exists()
    assert _leftovers(project) == []


def test_package_leaves_required_parameters_nobody_gave_to_run_time(
    project: Path, rung_wheel: Path
) -> None:
    (project / "needs.py").write_text(
        "from rung import pipeline, step\n\n\n@step\ndef echo(path: str) -> str:\n"
        "    return path\n\n\n@pipeline\ndef needs(path: str, C: float = 1.0)"
        " -> None:\n    echo(path)\n"
    )
    bundle = package_pipeline("needs.py:needs", "dist", rung_wheel=rung_wheel)
    assert bundle.runtime_parameters == ("path",)
    assert bundle.parameters == {"C": 1.0}
    assert open_bundle("dist").runtime_parameters == ("path",)
    given = package_pipeline(
        "needs.py:needs",
        "dist",
        cli_params={"path": "x.csv"},
        rung_wheel=rung_wheel,
        force=True,
    )
    assert given.runtime_parameters == ()
    assert given.parameters == {"path": "x.csv", "C": 1.0}
    with pytest.raises(ParameterError, match=r"parameter 'C' \(from cli\)"):
        package_pipeline(
            "needs.py:needs", "out", cli_params={"C": "high"}, rung_wheel=rung_wheel
        )


def test_package_rejects_an_invalid_config_file(
    project: Path, rung_wheel: Path
) -> None:
    (project / "run.yaml").write_text("parameter: {n: 1}\n")
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['parameter'\]"):
        package_pipeline("flow.py:flow", "dist", config="run.yaml")


def test_package_rejects_unknown_files_and_names(project: Path) -> None:
    with pytest.raises(PipelineNotFoundError, match=r"nope\.py does not exist"):
        package_pipeline("nope.py:flow", "dist")
    with pytest.raises(PipelineNotFoundError, match="has no 'other'"):
        package_pipeline("flow.py:other", "dist")
    assert not (project / "dist").exists()


def test_package_refuses_a_folder_with_other_files_even_with_force(
    project: Path, rung_wheel: Path
) -> None:
    (project / "dist").mkdir()
    (project / "dist" / "keep.txt").write_text("mine")
    with pytest.raises(PackagingError, match="is not empty and holds no bundle"):
        package_pipeline("flow.py:flow", "dist", force=True, rung_wheel=rung_wheel)
    assert (project / "dist" / "keep.txt").read_text() == "mine"


def test_package_refuses_a_file_as_output(project: Path) -> None:
    with pytest.raises(PackagingError, match=r"helpers\.py is a file"):
        package_pipeline("flow.py:flow", "helpers.py")


def test_package_replaces_an_old_bundle_only_with_force(
    project: Path, rung_wheel: Path
) -> None:
    old = package_pipeline("flow.py:flow", "dist", rung_wheel=rung_wheel)
    with pytest.raises(PackagingError, match=r"already holds a bundle\. Pass --force"):
        package_pipeline("flow.py:flow", "dist", rung_wheel=rung_wheel)
    new = package_pipeline(
        "flow.py:flow", "dist", cli_params={"n": "9"}, force=True, rung_wheel=rung_wheel
    )
    assert new.content_hash != old.content_hash
    assert open_bundle("dist").parameters == {"n": 9, "factor": 1.0}
    assert _leftovers(project) == []


def test_package_fills_an_existing_empty_folder(
    project: Path, rung_wheel: Path
) -> None:
    (project / "dist").mkdir()
    bundle = package_pipeline("flow.py:flow", "dist", rung_wheel=rung_wheel)
    assert open_bundle("dist").content_hash == bundle.content_hash


def test_package_failure_midway_leaves_no_partial_bundle(
    project: Path, rung_wheel: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise PackagingError("lock failed")

    monkeypatch.setattr(package_module, "locked_versions", fail)
    with pytest.raises(PackagingError, match="lock failed"):
        package_pipeline("flow.py:flow", "dist", rung_wheel=rung_wheel)
    assert not (project / "dist").exists()
    assert _leftovers(project) == []


def test_package_failure_keeps_the_old_bundle(
    project: Path, rung_wheel: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = package_pipeline("flow.py:flow", "dist", rung_wheel=rung_wheel)

    def fail(*args: object, **kwargs: object) -> None:
        raise PackagingError("lock failed")

    monkeypatch.setattr(package_module, "locked_versions", fail)
    with pytest.raises(PackagingError, match="lock failed"):
        package_pipeline("flow.py:flow", "dist", force=True, rung_wheel=rung_wheel)
    assert open_bundle("dist").content_hash == old.content_hash


def test_package_pins_rung_when_it_comes_from_an_index(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rung.packaging._wheel import RungSource

    version = importlib.metadata.version("rung")
    monkeypatch.setattr(
        package_module, "rung_source", lambda: RungSource("index", None, version)
    )
    bundle = package_pipeline("flow.py:flow", "dist")
    lock = (project / "dist/requirements.lock").read_text()
    assert f"\nrung=={version}\n" in lock
    assert bundle.rung_install == f"rung=={version}"
    assert not (project / "dist/wheels").exists()
    assert "COPY wheels/" not in (project / "dist/Dockerfile").read_text()


def test_package_lists_imports_it_cannot_resolve(
    project: Path, rung_wheel: Path
) -> None:
    (project / "flow.py").write_text(
        "import not_installed_anywhere\n" + (project / "flow.py").read_text()
    )
    (project / "not_installed_anywhere.py").write_text("")
    bundle = package_pipeline("flow.py:flow", "dist", rung_wheel=rung_wheel)
    assert bundle.unresolved_imports == ()
    (project / "flow.py").write_text(
        "try:\n    import missing_module\nexcept ImportError:\n    pass\n"
        + (project / "flow.py").read_text()
    )
    other = package_pipeline(
        str(project / "flow.py") + ":flow", project / "other", rung_wheel=rung_wheel
    )
    assert other.unresolved_imports == ("missing_module",)


def test_package_makes_a_folder_others_can_read(
    project: Path, rung_wheel: Path
) -> None:
    bundle = package_pipeline("flow.py:flow", "dist", rung_wheel=rung_wheel)
    assert bundle.path.stat().st_mode & 0o755 == 0o755
