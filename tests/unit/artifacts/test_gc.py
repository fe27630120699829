"""Stale temporaries of killed writes: removed on store open and by collect_garbage."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from typing import TYPE_CHECKING

import pytest

from rung.artifacts import (
    FsspecArtifactStore,
    InMemoryArtifactStore,
    collect_garbage,
    save_value,
)
from rung.errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path

HOUR = 3600.0


def age(folder: Path, seconds: float) -> None:
    """Set the times of ``folder`` and everything in it ``seconds`` in the past."""
    then = time.time() - seconds
    for path in [*folder.rglob("*"), folder]:
        os.utime(path, (then, then))


def abandoned_write(root: Path, *, seconds_ago: float) -> Path:
    """A staging folder with half an artifact in it, as a killed writer leaves it."""
    folder = FsspecArtifactStore(str(root), temp_max_age=None).staging_folder()
    (folder / "data").mkdir()
    (folder / "data" / "model.skops").write_bytes(b"half a model")
    age(folder, seconds_ago)
    return folder


def test_killed_write_leaves_a_temp_folder_that_gc_removes(tmp_path: Path) -> None:
    root = tmp_path / "store"
    script = textwrap.dedent(
        f"""
        import os, signal
        from rung.artifacts import (
            FsspecArtifactStore, register_materializer, save_value
        )

        class Dies:
            name, version, is_pickled = "test.dies", 1, False
            def can_save(self, value): return True
            def save(self, value, folder):
                (folder / "part.bin").write_bytes(b"x" * 1000)
                os.kill(os.getpid(), signal.SIGKILL)
            def load(self, folder, metadata): return None

        register_materializer(Dies())
        save_value(FsspecArtifactStore({str(root)!r}), object())
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", script], env=env, check=False)
    assert done.returncode != 0
    (left,) = (root / "tmp").iterdir()
    store = FsspecArtifactStore(str(root), temp_max_age=None)

    assert collect_garbage(store) == []  # a writer may still be busy
    age(left, 2 * HOUR)
    found = collect_garbage(store)

    assert [item.path for item in found] == [str(left)]
    assert found[0].size_bytes == 1000
    assert not left.exists()


def test_gc_removes_stale_temporaries_and_keeps_a_concurrent_writer(
    tmp_path: Path,
) -> None:
    store = FsspecArtifactStore(str(tmp_path / "store"), temp_max_age=None)
    stale = abandoned_write(tmp_path / "store", seconds_ago=2 * HOUR)
    writer = abandoned_write(tmp_path / "store", seconds_ago=0)

    found = collect_garbage(store, older_than=HOUR)

    assert [item.path for item in found] == [str(stale)]
    assert found[0].age_seconds >= 2 * HOUR - 60
    assert not stale.exists()
    assert (writer / "data" / "model.skops").is_file()


def test_gc_keeps_a_slow_writer_still_adding_bytes(tmp_path: Path) -> None:
    store = FsspecArtifactStore(str(tmp_path / "store"), temp_max_age=None)
    slow = abandoned_write(tmp_path / "store", seconds_ago=2 * HOUR)
    (slow / "data" / "model.skops").write_bytes(b"more bytes, just now")
    os.utime(slow, (time.time() - 2 * HOUR,) * 2)

    assert collect_garbage(store, older_than=HOUR) == []
    assert slow.exists()


def test_gc_dry_run_lists_without_removing(tmp_path: Path) -> None:
    store = FsspecArtifactStore(str(tmp_path / "store"), temp_max_age=None)
    stale = abandoned_write(tmp_path / "store", seconds_ago=2 * HOUR)

    found = collect_garbage(store, dry_run=True)

    assert [item.path for item in found] == [str(stale)]
    assert stale.exists()


def test_gc_keeps_entries_the_store_did_not_name(tmp_path: Path) -> None:
    store = FsspecArtifactStore(str(tmp_path / "store"), temp_max_age=None)
    notes = tmp_path / "store" / "tmp" / "notes"
    notes.mkdir(parents=True)
    age(notes, 2 * HOUR)

    assert collect_garbage(store) == []
    assert notes.exists()


def test_gc_keeps_stored_artifacts(tmp_path: Path) -> None:
    store = FsspecArtifactStore(str(tmp_path / "store"), temp_max_age=None)
    artifact = save_value(store, {"a": 1})
    age(tmp_path / "store", 2 * HOUR)

    assert collect_garbage(store, older_than=0) == []
    assert store.exists(artifact.uri)


def test_gc_on_a_store_without_temporaries_finds_nothing(tmp_path: Path) -> None:
    assert collect_garbage(FsspecArtifactStore(str(tmp_path / "new"))) == []
    with InMemoryArtifactStore() as memory:
        assert collect_garbage(memory) == []


def test_gc_refuses_a_negative_age(tmp_path: Path) -> None:
    store = FsspecArtifactStore(str(tmp_path / "store"))

    with pytest.raises(ConfigError, match=r"older_than must be zero or more.*-1"):
        collect_garbage(store, older_than=-1)


def test_opening_a_store_sweeps_stale_temporaries_once(tmp_path: Path) -> None:
    root = tmp_path / "store"
    stale = abandoned_write(root, seconds_ago=2 * HOUR)
    writer = abandoned_write(root, seconds_ago=0)

    FsspecArtifactStore(str(root)).exists("objects/ab/ab12")

    assert not stale.exists()
    assert writer.exists()
    later = abandoned_write(root, seconds_ago=2 * HOUR)
    FsspecArtifactStore(str(root)).exists("objects/ab/ab12")
    assert later.exists()  # once per process and root: collect_garbage does the rest


def test_opening_a_store_can_keep_temporaries(tmp_path: Path) -> None:
    root = tmp_path / "store"
    stale = abandoned_write(root, seconds_ago=2 * HOUR)

    FsspecArtifactStore(str(root), temp_max_age=None).exists("objects/ab/ab12")

    assert stale.exists()


def test_opening_a_remote_store_sweeps_its_download_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    stale = cache / "tmp" / ("a" * 32)
    (stale / "data").mkdir(parents=True)
    (stale / "data" / "value.json").write_text("{}")
    age(stale, 2 * HOUR)
    store = FsspecArtifactStore(f"memory://gc-{tmp_path.name}", cache_dir=cache)

    assert [item.path for item in collect_garbage(store, dry_run=True)] == [str(stale)]
    store.exists("objects/ab/ab12")

    assert not stale.exists()
