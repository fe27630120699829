"""Where a run's code comes from: git commit and dirty flag, in and out of git."""

from __future__ import annotations

import shutil
import subprocess
from typing import TYPE_CHECKING

import pytest

from rung.tracking import (
    CodeVersion,
    code_version,
    installed_packages,
    known_provenance,
)

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def _git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def _outside_git(tmp_path: Path) -> Path:
    # tmp_path's parents may lie inside a repository on a developer machine:
    # git then finds it, and so must code_version.
    inside = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, check=False
    )
    if inside.returncode == 0:
        pytest.skip("the temporary folder is inside a git repository here")
    return tmp_path


def test_folder_outside_any_repository_has_no_version(tmp_path: Path) -> None:
    folder = _outside_git(tmp_path) / "code" / "deep"
    folder.mkdir(parents=True)
    assert (code_version(folder).commit, code_version(folder).dirty) == (None, None)
    assert code_version(tmp_path / "missing").commit is None


def test_repository_commit_and_dirty_flag(tmp_path: Path) -> None:
    repo = _outside_git(tmp_path) / "repo"
    (repo / "pkg").mkdir(parents=True)
    _git(repo, "init", "-q")
    (repo / "pkg" / "flow.py").write_text("x = 1\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "first")
    head = _git(repo, "rev-parse", "HEAD")

    clean = code_version(repo / "pkg")  # a subfolder: git looks upwards
    (repo / "pkg" / "flow.py").write_text("x = 2\n")
    dirty = code_version(repo / "pkg")

    assert (clean.commit, clean.dirty) == (head, False)
    assert (dirty.commit, dirty.dirty) == (head, True)


def test_worktree_with_a_git_file_is_found(tmp_path: Path) -> None:
    repo = _outside_git(tmp_path) / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "commit", "-q", "--allow-empty", "-m", "first")
    _git(repo, "worktree", "add", "-q", str(tmp_path / "other"))

    assert (tmp_path / "other" / ".git").is_file()
    assert code_version(tmp_path / "other").commit == _git(repo, "rev-parse", "HEAD")


def test_bare_repository_is_found(tmp_path: Path) -> None:
    source = _outside_git(tmp_path) / "source"
    source.mkdir()
    _git(source, "init", "-q")
    _git(source, "commit", "-q", "--allow-empty", "-m", "first")
    _git(tmp_path, "clone", "-q", "--bare", str(source), "bare.git")

    found = code_version(tmp_path / "bare.git")
    assert found.commit == _git(source, "rev-parse", "HEAD")


def test_repository_without_commits_has_no_version(tmp_path: Path) -> None:
    repo = _outside_git(tmp_path) / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "flow.py").write_text("x = 1\n")
    _git(repo, "add", ".")

    assert (code_version(repo).commit, code_version(repo).dirty) == (None, None)


def test_staged_change_and_untracked_file_count_as_shown(tmp_path: Path) -> None:
    repo = _outside_git(tmp_path) / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "flow.py").write_text("x = 1\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "first")

    (repo / "notes.txt").write_text("untracked files leave the code clean\n")
    untracked = code_version(repo)
    (repo / "flow.py").write_text("x = 2\n")
    _git(repo, "add", "flow.py")
    staged = code_version(repo)

    assert untracked.dirty is False
    assert staged.dirty is True


def test_known_provenance_outside_git_needs_neither_git_nor_a_scan(
    tmp_path: Path,
) -> None:
    folder = _outside_git(tmp_path) / "code"
    folder.mkdir()
    env_hash, packages = installed_packages()  # read once, as a first run does

    known = known_provenance(folder)

    assert known == (CodeVersion(None, None), env_hash, packages)
    assert known is not None and "pytest" in known[2]


def test_known_provenance_defers_to_git_as_soon_as_a_repository_appears(
    tmp_path: Path,
) -> None:
    repo = _outside_git(tmp_path) / "repo"
    repo.mkdir()
    installed_packages()
    assert known_provenance(repo) is not None

    _git(repo, "init", "-q")  # nothing is remembered: the next run asks git
    _git(repo, "commit", "-q", "--allow-empty", "-m", "first")

    assert known_provenance(repo) is None
    assert code_version(repo).commit == _git(repo, "rev-parse", "HEAD")
