"""A bundle installs into a fresh virtual environment and runs there.

No Docker engine runs here, so this does what the image does, minus the
network: a new venv gets Rung from the bundle's own wheel (``--no-deps
--no-index``); the third-party packages come from this environment's
site-packages through a ``.pth`` file instead of ``pip install -r
requirements.lock`` (which would download ~40 packages). The test then checks
that every pin of the lock is exactly what that venv imports, so the lock is
the environment the run used, and that ``rung`` runs from the venv, not the
source checkout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import rung

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DEMO = Path(rung.__file__).parent / "demo" / "training.py"

CHECK_LOCK = """
import importlib.metadata, sys
wrong = []
for line in open(sys.argv[1]):
    if line.strip() and not line.startswith("#"):
        name, version = line.strip().split("==")
        try:
            found = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found = None
        if found != version:
            wrong.append(f"{name}: locked {version}, found {found}")
import rung
print(rung.__file__)
print("\\n".join(wrong))
"""


def _run(*args: str | Path, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"{args}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture
def clean_env() -> dict[str, str]:
    """This process's environment without Rung settings or PYTHONPATH."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("RUNG_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")
    }


def test_demo_bundle_installs_into_a_fresh_venv_and_records_its_hash(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    bundle = tmp_path / "bundle"
    built = _run(
        *(sys.executable, "-m", "rung", "package", f"{DEMO}:training"),
        *("-o", bundle, "-p", "C=0.3", "--json"),
        cwd=tmp_path,
        env=clean_env,
    )
    manifest = json.loads((bundle / "rung-bundle.json").read_text())
    assert json.loads(built)["content_hash"] == manifest["content_hash"]
    wheels = sorted((bundle / "wheels").glob("rung-*.whl"))
    assert len(wheels) == 1

    venv = tmp_path / "venv"
    python = venv / "bin" / "python"
    _run(
        sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path, env=clean_env
    )
    _run(
        *(sys.executable, "-m", "pip", "--python", python, "install", "--quiet"),
        *("--no-deps", "--no-index", "--no-cache-dir", wheels[0]),
        cwd=tmp_path,
        env=clean_env,
    )
    site = _run(
        python,
        "-c",
        "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        cwd=tmp_path,
        env=clean_env,
    ).strip()
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "_current_env.pth").write_text("\n".join(sorted(ours)) + "\n")

    lines = _run(
        python,
        "-c",
        CHECK_LOCK,
        bundle / "requirements.lock",
        cwd=tmp_path,
        env=clean_env,
    )
    found = lines.splitlines()
    assert found[0].startswith(str(venv)), "rung must come from the bundle's wheel"
    assert [line for line in found[1:] if line] == []

    work = tmp_path / "work"
    work.mkdir()
    rung_cmd = venv / "bin" / "rung"
    out = _run(rung_cmd, "run", bundle, "--json", cwd=work, env=clean_env)
    run = json.loads(out)["run"]
    assert run["status"] == "completed"
    assert run["params"]["C"] == 0.3
    assert run["tags"]["rung.bundle"] == manifest["content_hash"]
    assert (work / ".rung").is_dir()
    _run(rung_cmd, "package", "verify", bundle, cwd=work, env=clean_env)
