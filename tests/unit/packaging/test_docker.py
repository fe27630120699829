"""The bundle's Dockerfile: its structure, and hadolint when it is installed."""

from __future__ import annotations

import fnmatch
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rung.packaging._docker import BUNDLE_DIR, dockerfile, dockerignore, image_name

WHEEL = "wheels/rung-0.1.0-py3-none-any.whl"
VARIANTS = {
    "wheel": dockerfile(
        name="flow",
        base_image="python:3.11-slim",
        lock="requirements.lock",
        rung_wheel=WHEEL,
    ),
    "pinned": dockerfile(
        name="flow",
        base_image="python:3.11-slim",
        lock="requirements.lock",
        rung_wheel=None,
    ),
}


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments out."""
    joined = text.replace("\\\n", " ")
    pairs = []
    for line in joined.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, rest = stripped.partition(" ")
            pairs.append((keyword.upper(), " ".join(rest.split())))
    return pairs


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_dockerfile_builds_one_non_root_image_with_rung_as_entry_point(
    variant: str,
) -> None:
    steps = _instructions(VARIANTS[variant])
    keywords = [k for k, _ in steps]
    assert steps[0] == ("FROM", "python:3.11-slim")
    assert keywords.count("FROM") == 1
    args = dict(steps)
    assert json.loads(args["ENTRYPOINT"]) == ["rung"]
    assert json.loads(args["CMD"]) == ["run", BUNDLE_DIR]
    user = [a for k, a in steps if k == "USER"][-1]
    assert user.split(":")[0] not in ("root", "0")
    env = args["ENV"]
    assert "PYTHONDONTWRITEBYTECODE=1" in env
    assert "PIP_NO_CACHE_DIR=1" in env
    for _, run in (s for s in steps if s[0] == "RUN" and "pip install" in s[1]):
        assert run.count("pip install") == run.count("pip install --no-cache-dir")
    # Dependencies are installed before the bundle is copied (layer cache).
    assert keywords.index("RUN", keywords.index("WORKDIR")) < keywords.index("USER")
    copies = [a for k, a in steps if k == "COPY"]
    assert copies[-1] == ". ./"
    assert ("wheels/ ./wheels/" in copies) == (variant == "wheel")
    assert (f"--no-deps {WHEEL}" in VARIANTS[variant]) == (variant == "wheel")


def test_dockerignore_keeps_every_bundle_file() -> None:
    patterns = [
        line for line in dockerignore().splitlines() if line and not line[0] == "#"
    ]
    bundle_files = [
        "Dockerfile",
        ".dockerignore",
        "rung-bundle.json",
        "rung-run.yaml",
        "requirements.lock",
        WHEEL,
        "pipeline/flow.py",
        "pipeline/tools/__init__.py",
    ]
    for name in bundle_files:
        assert not any(fnmatch.fnmatch(name, p) for p in patterns), name
    assert any(fnmatch.fnmatch("pipeline/__pycache__", p) for p in patterns)


def _hadolint() -> str | None:
    beside_python = Path(sys.executable).parent / "hadolint"
    return shutil.which("hadolint") or (
        str(beside_python) if beside_python.is_file() else None
    )


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_dockerfile_passes_hadolint(variant: str, tmp_path: Path) -> None:
    binary = _hadolint()
    if binary is None:
        pytest.skip("hadolint is not installed (pip install -e '.[dev]' adds it)")
    file = tmp_path / "Dockerfile"
    file.write_text(VARIANTS[variant])
    done = subprocess.run(
        [binary, "--no-color", str(file)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("training", "training"),
        ("Churn_Model v2", "churn_model-v2"),
        ("__", "pipeline"),
    ],
)
def test_image_name_is_a_valid_docker_name(name: str, expected: str) -> None:
    assert image_name(name) == expected
