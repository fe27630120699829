"""How a bundle installs Rung: which source, and wheels given or read."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from rung.errors import PackagingError
from rung.packaging._wheel import (
    RungSource,
    add_rung_wheel,
    source_from_direct_url,
    wheel_requirements,
)


def test_source_from_direct_url_tells_project_wheel_and_index() -> None:
    editable = json.dumps({"url": "file:///src/rung", "dir_info": {"editable": True}})
    wheel = json.dumps({"url": "file:///w/rung-1.0-py3-none-any.whl"})
    remote = json.dumps({"url": "https://example.org/rung.tar.gz"})
    assert source_from_direct_url(editable, "1.0") == RungSource(
        "project", Path("/src/rung"), "1.0"
    )
    assert source_from_direct_url(wheel, "1.0").kind == "wheel"
    assert source_from_direct_url(remote, "1.0").kind == "index"
    assert source_from_direct_url(None, "1.0") == RungSource("index", None, "1.0")


def test_add_rung_wheel_copies_a_given_wheel(tmp_path: Path, rung_wheel: Path) -> None:
    source = RungSource("project", tmp_path, "1.0")
    copied = add_rung_wheel(source, tmp_path / "wheels", rung_wheel)
    assert copied == tmp_path / "wheels" / rung_wheel.name
    assert copied.read_bytes() == rung_wheel.read_bytes()


def test_add_rung_wheel_pins_rung_from_an_index(tmp_path: Path) -> None:
    source = RungSource("index", None, "1.0")
    assert add_rung_wheel(source, tmp_path / "wheels", None) is None
    assert not (tmp_path / "wheels").exists()


def test_add_rung_wheel_refuses_missing_wheels_and_projects(tmp_path: Path) -> None:
    with pytest.raises(PackagingError, match=r"does not exist or is not a rung-\*"):
        add_rung_wheel(
            RungSource("index", None, "1.0"), tmp_path / "w", tmp_path / "x.whl"
        )
    gone = RungSource("wheel", tmp_path / "rung-1.0-py3-none-any.whl", "1.0")
    with pytest.raises(PackagingError, match="does not exist"):
        add_rung_wheel(gone, tmp_path / "w", None)
    with pytest.raises(PackagingError, match=r"has no pyproject\.toml"):
        add_rung_wheel(RungSource("project", tmp_path, "1.0"), tmp_path / "w", None)


def test_wheel_requirements_reads_requires_dist(tmp_path: Path) -> None:
    wheel = tmp_path / "rung-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(
            "rung-1.0.dist-info/METADATA",
            "Name: rung\nRequires-Dist: a>=1\nRequires-Dist: b; extra == 'x'\n\nbody",
        )
    assert wheel_requirements(wheel) == ["a>=1", "b; extra == 'x'"]
    (tmp_path / "bad.whl").write_text("not a zip")
    with pytest.raises(PackagingError, match=r"bad\.whl is not a readable wheel"):
        wheel_requirements(tmp_path / "bad.whl")
