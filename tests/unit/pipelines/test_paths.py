"""Caching follows the content of files and folders a step is given by path."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from rung import pipeline, step
from rung.pipelines._paths import PathFingerprints, path_fingerprints

if TYPE_CHECKING:
    from rung.workspace import Workspace


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A home folder of its own (the fingerprint memo lives in its cache)."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.chdir(tmp_path)
    yield folder


@step
def count_lines(path: str) -> int:
    return len(Path(path).read_text().splitlines())


@step
def count_files(folder: str) -> int:
    return sum(1 for p in Path(folder).iterdir() if p.is_file())


@step
def total_size(files: list[str]) -> int:
    return sum(Path(f).stat().st_size for f in files)


@pipeline
def lines(path: str = "data.csv") -> None:
    count_lines(path)


@pipeline
def files(folder: str = "inbox") -> None:
    count_files(folder)


@pipeline
def sizes(first: str = "a.txt") -> None:
    total_size([first, "b.txt"])


def _statuses(run: object) -> set[str]:
    return {s.status for s in run.steps.values()}  # type: ignore[attr-defined]


def _age(path: Path, seconds: float = 60.0) -> None:
    """Make the file look written a while ago (not 'racy' for the memo)."""
    stat = path.stat()
    past = stat.st_mtime_ns - int(seconds * 1e9)
    os.utime(path, ns=(past, past))


def test_a_file_changed_in_place_misses_the_cache(workspace: Workspace) -> None:
    data = Path("data.csv")
    data.write_text("a\nb\n")
    assert lines().output("count_lines") == 2
    assert _statuses(lines()) == {"cached"}
    data.write_text("a\nb\nc\n")
    changed = lines()
    assert _statuses(changed) == {"completed"}
    assert changed.output("count_lines") == 3
    assert _statuses(lines()) == {"cached"}


def test_same_content_with_a_new_mtime_stays_cached(workspace: Workspace) -> None:
    data = Path("data.csv")
    data.write_text("a\nb\n")
    lines()
    _age(data, 30)
    assert _statuses(lines()) == {"cached"}


def test_a_folder_misses_the_cache_when_a_visible_file_is_added(
    workspace: Workspace,
) -> None:
    inbox = Path("inbox")
    inbox.mkdir()
    (inbox / "one.csv").write_text("1")
    assert files().output("count_files") == 1
    (inbox / ".DS_Store").write_text("x")
    assert _statuses(files()) == {"cached"}
    (inbox / "two.csv").write_text("2")
    again = files()
    assert _statuses(again) == {"completed"}
    assert again.output("count_files") == 3


def test_paths_inside_a_list_argument_are_fingerprinted(workspace: Workspace) -> None:
    Path("a.txt").write_text("aa")
    Path("b.txt").write_text("bb")
    assert sizes().output("total_size") == 4
    Path("b.txt").write_text("bbbb")
    changed = sizes()
    assert _statuses(changed) == {"completed"}
    assert changed.output("total_size") == 6


def test_strings_that_are_not_local_paths_add_nothing(
    workspace: Workspace,
) -> None:
    Path("data.csv").write_text("a\n")
    params = {"name": "churn", "n": 3, "url": "file://data.csv", "empty": ""}
    assert path_fingerprints(workspace, params) == {}
    found = path_fingerprints(workspace, {"inputs": {"train": ["x", "data.csv"]}})
    assert list(found) == ["path:inputs.train[1]"]


def test_the_memo_skips_files_whose_size_and_mtime_are_unchanged(
    tmp_path: Path,
) -> None:
    data = tmp_path / "big.bin"
    data.write_bytes(b"x" * 1000)
    _age(data)
    memo = tmp_path / "memo.json"
    first = PathFingerprints(memo).fingerprint(data)
    assert memo.is_file()
    stat = data.stat()
    data.write_bytes(b"y" * 1000)  # same size; put the old mtime back
    os.utime(data, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    # A new process (a new memo object) trusts the recorded size and mtime.
    assert PathFingerprints(memo).fingerprint(data) == first
    _age(data, 120)
    assert PathFingerprints(memo).fingerprint(data) != first


def test_a_freshly_written_file_is_hashed_again_each_time(tmp_path: Path) -> None:
    data = tmp_path / "fresh.txt"
    data.write_text("one")
    memo = tmp_path / "memo.json"
    first = PathFingerprints(memo).fingerprint(data)
    stat = data.stat()
    data.write_text("two")  # within the same clock tick, the mtime may not move
    os.utime(data, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert PathFingerprints(memo).fingerprint(data) != first


def test_an_unreadable_memo_only_costs_hashing_again(tmp_path: Path) -> None:
    data = tmp_path / "data.txt"
    data.write_text("same")
    _age(data)
    memo = tmp_path / "memo.json"
    memo.write_text("{not json")
    assert PathFingerprints(memo).fingerprint(data).startswith("file:")
    assert str(data) in memo.read_text()
