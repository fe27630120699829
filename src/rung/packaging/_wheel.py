"""How the bundle installs Rung: a wheel of a local install, or a version pin.

When Rung runs from a source checkout (``pip install -e .``) or from a local
wheel, its exact code is on no index, so the bundle carries a wheel of it.
We build that wheel with ``pip wheel --no-deps`` from a copy of the project
(its top-level files and the ``rung`` package only, so the build never writes
into the checkout), with ``SOURCE_DATE_EPOCH`` fixed: the same source gives
the same wheel bytes and therefore the same bundle hash.
"""

from __future__ import annotations

import email.parser
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from rung.errors import PackagingError

__all__ = ["RungSource", "add_rung_wheel", "rung_source", "wheel_requirements"]

_BUILD_TIMEOUT = 600.0
# 1980-01-01, the earliest time a zip file can hold.
_REPRODUCIBLE_EPOCH = "315532800"
_SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")


@dataclass(frozen=True, slots=True)
class RungSource:
    """Where the installed Rung came from.

    Attributes:
        kind: ``"project"`` (a source folder), ``"wheel"`` (a local wheel
            file) or ``"index"`` (a package index: pin the version).
        path: the folder or wheel for ``project`` and ``wheel``.
        version: the installed version.
    """

    kind: str
    path: Path | None
    version: str


def rung_source() -> RungSource:
    """Inspect the installed ``rung`` distribution (``direct_url.json``, PEP 610)."""
    dist = importlib.metadata.distribution("rung")
    return source_from_direct_url(dist.read_text("direct_url.json"), dist.version)


def source_from_direct_url(text: str | None, version: str) -> RungSource:
    """Classify a PEP 610 ``direct_url.json`` document (None: from an index)."""
    data = json.loads(text) if text else {}
    url = str(data.get("url", ""))
    if not url.startswith("file://"):
        return RungSource("index", None, version)
    path = Path(unquote(urlparse(url).path))
    if path.suffix == ".whl":
        return RungSource("wheel", path, version)
    return RungSource("project", path, version)


def add_rung_wheel(source: RungSource, wheels: Path, given: Path | None) -> Path | None:
    """Put a wheel of Rung into ``wheels`` (a given one, copied or built).

    Args:
        source: where the installed Rung came from.
        wheels: the bundle's ``wheels/`` folder (created if needed).
        given: a wheel to use as is (``--rung-wheel``).

    Returns:
        The wheel's path, or None when Rung comes from an index (pin it).

    Raises:
        PackagingError: the wheel is missing, or building it failed.
    """
    if given is None and source.kind == "index":
        return None
    wheels.mkdir(parents=True, exist_ok=True)
    if given is not None or source.kind == "wheel":
        wheel = given if given is not None else source.path
        if wheel is None or not wheel.is_file() or not wheel.name.startswith("rung-"):
            raise PackagingError(
                f"Rung wheel {wheel} does not exist or is not a rung-*.whl file. "
                "Pass the path of a wheel built from Rung (`--rung-wheel`)."
            )
        return Path(shutil.copy2(wheel, wheels / wheel.name))
    if source.path is None or not (source.path / "pyproject.toml").is_file():
        raise PackagingError(
            f"Rung is installed from {source.path}, which has no pyproject.toml, "
            "so no wheel can be built. Pass one with `--rung-wheel`."
        )
    return _build_wheel(source.path, wheels)


def wheel_requirements(wheel: Path) -> list[str]:
    """The ``Requires-Dist`` lines of a wheel's metadata.

    Raises:
        PackagingError: the file is not a wheel with a METADATA file.
    """
    try:
        with zipfile.ZipFile(wheel) as archive:
            name = next(
                n for n in archive.namelist() if n.endswith(".dist-info/METADATA")
            )
            text = archive.read(name).decode("utf-8")
    except (OSError, zipfile.BadZipFile, StopIteration, UnicodeDecodeError) as exc:
        raise PackagingError(
            f"{wheel} is not a readable wheel ({type(exc).__name__}: {exc}). "
            "Pass a wheel built from Rung."
        ) from None
    message = email.parser.Parser().parsestr(text, headersonly=True)
    return list(message.get_all("Requires-Dist") or [])


def _build_wheel(project: Path, wheels: Path) -> Path:
    with tempfile.TemporaryDirectory(prefix="rung-wheel-") as scratch:
        copy = _copy_project(project, Path(scratch) / "src")
        out = Path(scratch) / "out"
        env = {**os.environ, "SOURCE_DATE_EPOCH": _REPRODUCIBLE_EPOCH}
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet"]
        try:
            done = subprocess.run(
                [*command, "--wheel-dir", str(out), str(copy)],
                capture_output=True,
                text=True,
                timeout=_BUILD_TIMEOUT,
                check=False,
                env=env,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PackagingError(
                f"Building a wheel of Rung from {project} failed: {exc}. "
                "Pass a prebuilt wheel with `--rung-wheel`."
            ) from None
        built = sorted(out.glob("rung-*.whl"))
        if done.returncode != 0 or not built:
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-8:])
            raise PackagingError(
                f"Building a wheel of Rung from {project} failed (pip wheel exit "
                f"{done.returncode}):\n{tail}\nPass a prebuilt wheel with "
                "`--rung-wheel`."
            )
        return Path(shutil.move(built[0], wheels / built[0].name))


def _copy_project(project: Path, target: Path) -> Path:
    """Copy the build inputs: top-level files and the folder holding ``rung``."""
    target.mkdir(parents=True)
    for item in project.iterdir():
        if item.is_file():
            shutil.copy2(item, target / item.name)
    package = Path(__file__).resolve().parents[1]  # the ``rung`` package folder
    if not package.resolve().is_relative_to(project.resolve()):
        raise PackagingError(
            f"The imported rung package ({package}) is not inside its project "
            f"folder {project}. Reinstall Rung (`pip install -e {project}`) or "
            "pass a wheel with `--rung-wheel`."
        )
    rel = package.resolve().relative_to(project.resolve())
    shutil.copytree(package, target / rel, ignore=_SKIPPED)
    return target
