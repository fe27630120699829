"""Where a run comes from: host, process, git commit, installed packages."""

from __future__ import annotations

import functools
import os
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from rung._internal.hashing import hash_json

__all__ = [
    "CodeVersion",
    "code_version",
    "host_name",
    "installed_packages",
    "known_provenance",
]

_GIT_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class CodeVersion:
    """The git state of the folder a run's code came from."""

    commit: str | None
    dirty: bool | None


@functools.cache
def host_name() -> str:
    """Return this machine's host name."""
    return socket.gethostname()


def code_version(folder: Path) -> CodeVersion:
    """Return the git commit and dirty flag of ``folder``, or Nones outside git."""
    if not _may_be_in_git(folder):
        return CodeVersion(None, None)  # what git would say, without starting it
    # One git process for both answers (starting one costs about a
    # millisecond): the branch header names the commit, any other line is
    # a change to a tracked file.
    status = _git(
        folder,
        "status",
        "--porcelain=v2",
        "--branch",
        "--no-ahead-behind",
        "--untracked-files=no",
    )
    if status is None:  # e.g. a bare repository: a commit, but no work tree
        commit = _git(folder, "rev-parse", "HEAD")
        return CodeVersion(commit, None)
    lines = status.splitlines()
    commit = next(
        (line.split()[2] for line in lines if line.startswith("# branch.oid ")), None
    )
    if commit is None or commit == "(initial)":
        return CodeVersion(None, None)
    return CodeVersion(commit, any(not line.startswith("#") for line in lines))


@functools.cache
def installed_packages() -> tuple[str, dict[str, str]]:
    """Return (hash, {distribution: version}) for this interpreter; cached."""
    import importlib.metadata  # scans every installed distribution: only here

    packages: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        name = dist.name
        if name:
            packages[name.lower()] = dist.version
    ordered = dict(sorted(packages.items()))
    return hash_json(ordered), ordered


def known_provenance(
    folder: Path,
) -> tuple[CodeVersion, str, dict[str, str]] | None:
    """``code_version`` and ``installed_packages`` when both are at hand:
    the packages were read already and no git repository can hold ``folder``
    (a few ``stat`` calls). None when git must be asked or the packages read.

    Example:
        >>> known = known_provenance(Path("/"))
        >>> known is None or known[0] == CodeVersion(None, None)
        True
    """
    if installed_packages.cache_info().currsize == 0 or _may_be_in_git(folder):
        return None
    env_hash, packages = installed_packages()
    return CodeVersion(None, None), env_hash, packages


# Variables that let git find a repository elsewhere than above the folder.
_GIT_LOCATORS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR")


def _may_be_in_git(folder: Path) -> bool:
    """False only when git surely finds no repository for ``folder``.

    Looks where git's discovery looks, the folder and each parent, for a
    ``.git`` entry (a folder, or a file for worktrees and submodules) or a bare
    repository (``HEAD``, ``objects/`` and ``refs/``). A few ``stat`` calls
    instead of starting git, for runs outside any repository.
    """
    if any(os.environ.get(name) for name in _GIT_LOCATORS):
        return True
    try:
        current = folder.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop
        return True
    for place in (current, *current.parents):
        if os.path.lexists(place / ".git"):
            return True
        if (
            os.path.isfile(place / "HEAD")
            and os.path.isdir(place / "objects")
            and os.path.isdir(place / "refs")
        ):
            return True
    return False


def _git(folder: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT,
            check=False,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None
