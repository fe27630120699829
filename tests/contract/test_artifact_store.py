"""Contract suite for ``ArtifactStore``, run against every backend."""

from __future__ import annotations

import os
import uuid
from typing import TYPE_CHECKING

import fsspec
import pytest

from rung.artifacts import (
    ArtifactStore,
    FsspecArtifactStore,
    InMemoryArtifactStore,
    _files,
    _local,
)
from rung.errors import ArtifactError, ArtifactNotFoundError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

KEY = "objects/ab/ab12cd"
BACKENDS = ["local", "fsspec-memory", "in-memory"]


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ArtifactStore]:
    kind = request.param
    if kind == "local":
        yield FsspecArtifactStore(str(tmp_path / "store"))
    elif kind == "fsspec-memory":
        url = f"memory://rung-contract-{uuid.uuid4().hex}"
        yield FsspecArtifactStore(url, cache_dir=tmp_path / "cache")
        fs, root = fsspec.core.url_to_fs(url)
        if fs.exists(root):
            fs.rm(root, recursive=True)
    else:
        with InMemoryArtifactStore() as memory_store:
            yield memory_store


@pytest.fixture
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "source"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_bytes(b"alpha")
    (folder / "sub" / "b.bin").write_bytes(b"\x00beta")
    return folder


def read_tree(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file() and not path.name.startswith("_rung")
    }


def test_store_implements_protocol(store: ArtifactStore) -> None:
    assert isinstance(store, ArtifactStore)
    assert isinstance(store.url, str)


def test_put_makes_key_exist_with_all_files(store: ArtifactStore, source: Path) -> None:
    assert not store.exists(KEY)

    assert store.put(KEY, source) is True

    assert store.exists(KEY)
    assert read_tree(store.open_folder(KEY)) == {
        "a.txt": b"alpha",
        "sub/b.bin": b"\x00beta",
    }


def test_put_keeps_the_source_folder(store: ArtifactStore, source: Path) -> None:
    store.put(KEY, source)

    assert (source / "a.txt").read_bytes() == b"alpha"


def test_put_twice_returns_false_and_keeps_first_content(
    store: ArtifactStore, source: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "a.txt").write_bytes(b"changed")
    store.put(KEY, source)

    assert store.put(KEY, other) is False

    assert (store.open_folder(KEY) / "a.txt").read_bytes() == b"alpha"


def test_open_folder_rejects_missing_key(store: ArtifactStore) -> None:
    with pytest.raises(ArtifactNotFoundError, match="No artifact under key"):
        store.open_folder(KEY)


def test_delete_removes_key_and_ignores_missing(
    store: ArtifactStore, source: Path
) -> None:
    store.put(KEY, source)

    store.delete(KEY)
    store.delete(KEY)

    assert not store.exists(KEY)
    with pytest.raises(ArtifactNotFoundError, match="No artifact under key"):
        store.open_folder(KEY)


def test_put_after_delete_stores_again(store: ArtifactStore, source: Path) -> None:
    store.put(KEY, source)
    store.delete(KEY)

    assert store.put(KEY, source) is True
    assert store.exists(KEY)


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("", "empty"),
        ("/etc/passwd", "absolute"),
        ("objects/../../escape", r"contains '\.\.'"),
        ("..", r"contains '\.\.'"),
        ("objects\\ab", "backslash"),
        ("objects//ab", "empty part"),
        ("objects/ab/", "empty part"),
        ("tmp/abc", "reserved"),
        ("objects/.hidden", "characters outside"),
        ("objects/a b", "characters outside"),
        ("C:/windows", "characters outside"),
    ],
)
def test_every_operation_refuses_invalid_keys(
    store: ArtifactStore, source: Path, key: str, reason: str
) -> None:
    with pytest.raises(ArtifactError, match=f"Invalid artifact key.*{reason}"):
        store.put(key, source)
    with pytest.raises(ArtifactError, match=f"Invalid artifact key.*{reason}"):
        store.exists(key)
    with pytest.raises(ArtifactError, match=f"Invalid artifact key.*{reason}"):
        store.open_folder(key)
    with pytest.raises(ArtifactError, match=f"Invalid artifact key.*{reason}"):
        store.delete(key)


def test_put_refuses_key_inside_an_artifact(store: ArtifactStore, source: Path) -> None:
    store.put("objects/ab", source)

    with pytest.raises(ArtifactError, match="'objects/ab' is already an artifact"):
        store.put("objects/ab/inner", source)


def test_put_refuses_key_above_other_artifacts(
    store: ArtifactStore, source: Path
) -> None:
    store.put(KEY, source)

    with pytest.raises(ArtifactError, match="'objects/ab'"):
        store.put("objects/ab", source)
    assert not store.exists("objects/ab")
    assert store.exists(KEY)


def test_interrupted_put_leaves_nothing_visible(
    store: ArtifactStore,
    source: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = _files.list_files(source)
    vanished = [("zz-gone.txt", tmp_path / "vanished-mid-copy.txt")]
    monkeypatch.setattr(_files, "list_files", lambda folder: real + vanished)

    with pytest.raises(ArtifactError, match="vanished-mid-copy"):
        store.put(KEY, source)

    assert not store.exists(KEY)
    with pytest.raises(ArtifactNotFoundError, match="No artifact under key"):
        store.open_folder(KEY)
    monkeypatch.undo()
    assert store.put(KEY, source) is True
    assert sorted(read_tree(store.open_folder(KEY))) == ["a.txt", "sub/b.bin"]


def test_local_interrupted_put_removes_its_temp_folder(
    tmp_path: Path, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FsspecArtifactStore(str(tmp_path / "store"))
    calls: list[Path] = []

    def copy_then_fail(src: Path, dst: Path, *, fsync: bool = False) -> None:
        calls.append(dst)
        if len(calls) > 1:
            raise OSError("disk full")
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes(src.read_bytes())

    monkeypatch.setattr(_files, "copy_file", copy_then_fail)

    with pytest.raises(ArtifactError, match="disk full"):
        store.put(KEY, source)

    assert calls[0].exists() is False
    assert list((tmp_path / "store" / "tmp").iterdir()) == []
    assert not (tmp_path / "store" / "objects").exists()


def test_local_put_returns_false_when_destination_appears_concurrently(
    tmp_path: Path, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "store"
    store = FsspecArtifactStore(str(root))
    rival = FsspecArtifactStore(str(root))
    real_rename = _local._rename_making_parents

    def rival_wins(staged: Path, dest: Path) -> None:
        monkeypatch.setattr(_local, "_rename_making_parents", real_rename)
        assert rival.put(KEY, source) is True
        real_rename(staged, dest)

    monkeypatch.setattr(_local, "_rename_making_parents", rival_wins)

    assert store.put(KEY, source) is False
    assert store.exists(KEY)
    assert list((root / "tmp").iterdir()) == []


def test_local_store_refuses_symlink_out_of_root(tmp_path: Path, source: Path) -> None:
    root = tmp_path / "store"
    outside = tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "objects").symlink_to(outside, target_is_directory=True)
    store = FsspecArtifactStore(str(root))

    with pytest.raises(ArtifactError, match="resolves outside the store root"):
        store.put(KEY, source)
    with pytest.raises(ArtifactError, match="resolves outside the store root"):
        store.exists(KEY)
    assert list(outside.iterdir()) == []


def test_local_store_refuses_a_deeper_symlink_out_of_root(
    tmp_path: Path, source: Path
) -> None:
    root = tmp_path / "store"
    outside = tmp_path / "outside"
    parts = KEY.split("/")
    (root / parts[0]).mkdir(parents=True)
    outside.mkdir()
    (root / parts[0] / parts[1]).symlink_to(outside, target_is_directory=True)
    store = FsspecArtifactStore(str(root))

    with pytest.raises(ArtifactError, match="resolves outside the store root"):
        store.put(KEY, source)
    assert list(outside.iterdir()) == []


def test_local_store_allows_a_symlink_that_stays_inside(
    tmp_path: Path, source: Path
) -> None:
    root = tmp_path / "store"
    (root / "elsewhere").mkdir(parents=True)
    (root / KEY.split("/", maxsplit=1)[0]).symlink_to(
        root / "elsewhere", target_is_directory=True
    )
    store = FsspecArtifactStore(str(root))

    assert store.put(KEY, source) is True
    assert store.exists(KEY)


def test_local_store_allows_a_symlinked_root(tmp_path: Path, source: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    store = FsspecArtifactStore(str(tmp_path / "link"))

    assert store.put(KEY, source) is True
    assert (real / KEY / "a.txt").is_file()


def test_local_store_constructor_does_no_io(tmp_path: Path) -> None:
    FsspecArtifactStore(str(tmp_path / "new"), fsync=True)

    assert not (tmp_path / "new").exists()


def test_local_store_with_fsync_stores_and_marks_complete(
    tmp_path: Path, source: Path
) -> None:
    store = FsspecArtifactStore(f"file://{tmp_path / 'store'}", fsync=True)

    assert store.put(KEY, source) is True
    assert store.open_folder(KEY) == tmp_path / "store" / KEY
    assert (tmp_path / "store" / KEY / "_rung_complete").is_file()


def test_remote_store_needs_marker_and_overwrites_leftovers(
    tmp_path: Path, source: Path
) -> None:
    url = f"memory://rung-contract-{uuid.uuid4().hex}"
    store = FsspecArtifactStore(url, cache_dir=tmp_path / "cache")
    fs, root = fsspec.core.url_to_fs(url)
    fs.pipe_file(f"{root}/{KEY}/a.txt", b"half-wri")  # an interrupted upload
    try:
        assert not store.exists(KEY)

        assert store.put(KEY, source) is True

        assert read_tree(store.open_folder(KEY)) == {
            "a.txt": b"alpha",
            "sub/b.bin": b"\x00beta",
        }
    finally:
        fs.rm(root, recursive=True)


def test_remote_open_folder_downloads_once_into_cache(
    tmp_path: Path, source: Path
) -> None:
    url = f"memory://rung-contract-{uuid.uuid4().hex}"
    store = FsspecArtifactStore(url, cache_dir=tmp_path / "cache")
    fs, root = fsspec.core.url_to_fs(url)
    try:
        store.put(KEY, source)
        first = store.open_folder(KEY)
        fs.pipe_file(f"{root}/{KEY}/a.txt", b"changed remotely")

        second = store.open_folder(KEY)

        assert first == second == tmp_path / "cache" / KEY
        assert (second / "a.txt").read_bytes() == b"alpha"
        assert os.listdir(tmp_path / "cache" / "tmp") == []
    finally:
        fs.rm(root, recursive=True)


def test_in_memory_store_close_removes_opened_folders(source: Path) -> None:
    store = InMemoryArtifactStore()
    store.put(KEY, source)
    folder = store.open_folder(KEY)

    store.close()

    assert not folder.exists()
    assert store.exists(KEY)
    assert (store.open_folder(KEY) / "a.txt").read_bytes() == b"alpha"
    store.close()


def test_in_memory_store_cleans_up_when_collected(source: Path) -> None:
    store = InMemoryArtifactStore()
    store.put(KEY, source)
    folder = store.open_folder(KEY)

    del store

    assert not folder.exists()
