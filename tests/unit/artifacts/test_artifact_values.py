"""save_value, load_value, verify and export_value on top of a store."""

from __future__ import annotations

import contextvars
import dataclasses
import json
import shutil
import threading
from typing import TYPE_CHECKING, Any

import pytest

from rung._internal.hashing import hash_files, hash_tree
from rung.artifacts import (
    InMemoryArtifactStore,
    export_value,
    load_value,
    materializer_for,
    register_materializer,
    save_value,
    value_handoff,
    verify,
)
from rung.errors import (
    ArtifactError,
    ArtifactNotFoundError,
    MaterializerNotFoundError,
    UnsafeArtifactError,
)

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from rung.artifacts import ArtifactStore, FsspecArtifactStore, StoredArtifact


class Shout(str):
    """A str subclass, so only a custom materializer stores it."""

    __slots__ = ()


class ShoutMaterializer:
    """Stores ``Shout`` values as upper-case text."""

    name = "test.shout"
    version = 2
    is_pickled = False

    def can_save(self, value: Any) -> bool:
        return isinstance(value, Shout)

    def save(self, value: Any, folder: Path) -> dict[str, Any]:
        (folder / "text.txt").write_text(value.upper())
        return {"length": len(value)}

    def load(self, folder: Path, metadata: Mapping[str, Any]) -> Any:
        return Shout((folder / "text.txt").read_text())


class BrokenMaterializer(ShoutMaterializer):
    """Fails while saving, after writing a file."""

    name = "test.broken"

    def save(self, value: Any, folder: Path) -> dict[str, Any]:
        (folder / "half.txt").write_text("half")
        raise RuntimeError("boom")


class BadMetadataMaterializer(ShoutMaterializer):
    """Returns metadata that JSON cannot encode."""

    name = "test.bad-metadata"

    def save(self, value: Any, folder: Path) -> dict[str, Any]:
        super().save(value, folder)
        return {"when": object()}


class TreeMaterializer(ShoutMaterializer):
    """Encodes in memory, into nested files whose names sort differently as
    strings and as paths ("a-c" < "a/b" as text, "a" < "a-c" part by part)."""

    name = "test.tree"

    def encode(self, value: Any) -> tuple[dict[str, bytes], dict[str, Any]]:
        if value == "fail":
            raise RuntimeError("cannot encode")
        files = {"a-c": value.encode(), "a/b": value.upper().encode(), "z": b""}
        return files, {"length": len(value)}

    def save(self, value: Any, folder: Path) -> dict[str, Any]:
        files, metadata = self.encode(value)
        for rel, content in files.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_bytes(content)
        return metadata

    def load(self, folder: Path, metadata: Mapping[str, Any]) -> Any:
        return Shout((folder / "a-c").read_text())


def test_encoded_values_get_the_id_of_their_stored_folder(
    local_store: FsspecArtifactStore, tmp_path: Path
) -> None:
    register_materializer(TreeMaterializer())

    artifact = save_value(local_store, Shout("hi"), materializer="test.tree")

    folder = tmp_path / "store" / artifact.uri
    header = f"test.tree\n{artifact.type}\n"
    assert artifact.id == hash_tree(folder / "data", header=header)
    assert artifact.size_bytes == 4
    assert load_value(local_store, artifact) == "hi"
    assert verify(local_store, artifact)
    manifest = json.loads((folder / "rung-artifact.json").read_text())
    assert manifest["metadata"] == {"length": 2}


def test_encoded_value_stored_again_writes_nothing(
    local_store: FsspecArtifactStore, tmp_path: Path
) -> None:
    register_materializer(TreeMaterializer())
    first = save_value(local_store, Shout("hi"), materializer="test.tree")
    stamp = (tmp_path / "store" / first.uri / "rung-artifact.json").stat().st_mtime_ns

    again = save_value(local_store, Shout("hi"), materializer="test.tree")

    assert again == first
    manifest = tmp_path / "store" / first.uri / "rung-artifact.json"
    assert manifest.stat().st_mtime_ns == stamp
    assert list((tmp_path / "store" / "tmp").iterdir()) == []


def test_encoded_value_is_written_again_when_its_content_is_gone(
    local_store: FsspecArtifactStore,
) -> None:
    register_materializer(TreeMaterializer())
    artifact = save_value(local_store, Shout("hi"), materializer="test.tree")
    local_store.delete(artifact.uri)

    assert save_value(local_store, Shout("hi"), materializer="test.tree") == artifact
    assert load_value(local_store, artifact) == "hi"


def test_failing_encode_is_reported_and_leaves_nothing_behind(
    local_store: FsspecArtifactStore, tmp_path: Path
) -> None:
    register_materializer(TreeMaterializer())

    with pytest.raises(ArtifactError, match=r"'test\.tree' failed to store.*encode"):
        save_value(local_store, Shout("fail"), materializer="test.tree")

    assert not (tmp_path / "store" / "objects").exists() or not any(
        (tmp_path / "store" / "objects").rglob("*")
    )


def test_hash_files_matches_hash_tree(tmp_path: Path) -> None:
    files = {"a-c": b"1", "a/b": b"2", "a/b2/c": b"3", "Z": b""}
    for rel, content in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(content)

    assert hash_files(files, header="h") == hash_tree(tmp_path, header="h")
    assert hash_files(files) != hash_files({**files, "Z": b"x"})


def test_save_returns_content_addressed_artifact(
    local_store: FsspecArtifactStore, tmp_path: Path
) -> None:
    artifact = save_value(local_store, 42)

    folder = tmp_path / "store" / artifact.uri
    assert artifact.uri == f"objects/{artifact.id[:2]}/{artifact.id}"
    assert artifact.id == hash_tree(folder / "data", header="json\nbuiltins.int\n")
    assert artifact.type == "builtins.int"
    assert artifact.size_bytes == 2
    assert artifact.is_pickled is False


def test_save_writes_manifest_outside_the_hash(
    local_store: FsspecArtifactStore, tmp_path: Path
) -> None:
    artifact = save_value(local_store, {"a": 1})

    manifest = json.loads(
        (tmp_path / "store" / artifact.uri / "rung-artifact.json").read_text()
    )
    assert manifest["id"] == artifact.id
    assert manifest["type"] == "builtins.dict"
    assert manifest["materializer"] == {"name": "json", "version": 1}
    assert manifest["metadata"] == {"python_type": "dict", "length": 1}
    assert manifest["is_pickled"] is False


def test_identical_values_are_stored_once(
    local_store: FsspecArtifactStore, tmp_path: Path
) -> None:
    first = save_value(local_store, [1, 2, 3])
    second = save_value(local_store, [1, 2, 3])

    assert first == second
    assert len(list((tmp_path / "store" / "objects").rglob("rung-artifact.json"))) == 1
    assert list((tmp_path / "store" / "tmp").iterdir()) == []


def test_equal_bytes_of_different_types_get_different_ids(
    local_store: FsspecArtifactStore,
) -> None:
    register_materializer(ShoutMaterializer())

    plain = save_value(local_store, "HI", materializer="json")
    shout = save_value(local_store, Shout("hi"))

    assert plain.id != shout.id


def test_load_returns_the_saved_value(store: ArtifactStore) -> None:
    artifact = save_value(store, {"rows": [1, 2]})

    assert load_value(store, artifact) == {"rows": [1, 2]}


def test_load_uses_manifest_when_record_has_no_metadata(store: ArtifactStore) -> None:
    artifact = save_value(store, [1])

    assert load_value(store, dataclasses.replace(artifact, metadata={})) == [1]


def test_load_reports_missing_content_with_id_and_url(
    local_store: FsspecArtifactStore,
) -> None:
    artifact = save_value(local_store, 7)
    local_store.delete(artifact.uri)

    with pytest.raises(
        ArtifactNotFoundError,
        match=f"content of artifact {artifact.id}.*missing from the store at .*store",
    ):
        load_value(local_store, artifact)


def test_load_refuses_unknown_materializer(local_store: FsspecArtifactStore) -> None:
    artifact = dataclasses.replace(save_value(local_store, 7), materializer="nope")

    with pytest.raises(ArtifactError, match="No materializer is called 'nope'"):
        load_value(local_store, artifact)


def test_load_refuses_record_flagged_as_pickled(
    local_store: FsspecArtifactStore,
) -> None:
    artifact = dataclasses.replace(save_value(local_store, 7), is_pickled=True)

    with pytest.raises(UnsafeArtifactError, match="was stored with pickle"):
        load_value(local_store, artifact)


def test_custom_materializer_is_tried_before_builtins(store: ArtifactStore) -> None:
    register_materializer(ShoutMaterializer())

    artifact = save_value(store, Shout("hey"))

    assert artifact.materializer == "test.shout"
    assert artifact.metadata == {"length": 3}
    assert load_value(store, artifact) == "HEY"


def test_register_refuses_taken_names_and_non_materializers() -> None:
    with pytest.raises(ArtifactError, match=r"named 'json'.*taken"):
        register_materializer(type("Fake", (ShoutMaterializer,), {"name": "json"})())
    with pytest.raises(ArtifactError, match="is not a materializer"):
        register_materializer(object())  # type: ignore[arg-type]


def test_explicit_materializer_name_is_checked() -> None:
    with pytest.raises(MaterializerNotFoundError, match="'numpy' cannot store"):
        materializer_for(1, name="numpy")
    with pytest.raises(UnsafeArtifactError, match="Pass allow_pickle=True"):
        materializer_for(1, name="pickle")
    with pytest.raises(ArtifactError, match="No materializer is called 'csv'"):
        materializer_for(1, name="csv")
    assert materializer_for(1, name="pickle", allow_pickle=True).is_pickled


def test_failing_materializer_leaves_nothing_behind(
    local_store: FsspecArtifactStore, tmp_path: Path
) -> None:
    register_materializer(BrokenMaterializer())

    with pytest.raises(ArtifactError, match=r"'test\.broken' failed to store.*boom"):
        save_value(local_store, Shout("x"), materializer="test.broken")

    assert list((tmp_path / "store" / "tmp").iterdir()) == []


def test_non_json_metadata_is_refused(local_store: FsspecArtifactStore) -> None:
    register_materializer(BadMetadataMaterializer())

    with pytest.raises(ArtifactError, match="metadata that is not JSON-able"):
        save_value(local_store, Shout("x"), materializer="test.bad-metadata")


def test_verify_detects_changed_content(
    local_store: FsspecArtifactStore, tmp_path: Path
) -> None:
    artifact = save_value(local_store, {"a": 1})
    assert verify(local_store, artifact)

    (tmp_path / "store" / artifact.uri / "data" / "value.json").write_text('{"a":2}')

    assert not verify(local_store, artifact)


def test_verify_reports_missing_content() -> None:
    with InMemoryArtifactStore() as store:
        artifact = save_value(store, 1)
        store.delete(artifact.uri)

        with pytest.raises(ArtifactNotFoundError, match="is missing from the store"):
            verify(store, artifact)


def test_export_copies_only_the_value_files(
    store: ArtifactStore, tmp_path: Path
) -> None:
    artifact = save_value(store, [1, 2])

    dest = export_value(store, artifact, tmp_path / "export")

    assert sorted(p.name for p in dest.iterdir()) == ["value.json"]
    assert (dest / "value.json").read_text() == "[1,2]"


def test_export_refuses_a_non_empty_destination(
    local_store: FsspecArtifactStore, tmp_path: Path
) -> None:
    artifact = save_value(local_store, 1)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("mine")

    with pytest.raises(ArtifactError, match="is not an empty folder"):
        export_value(local_store, artifact, tmp_path / "busy")


def test_value_handoff_loads_values_stored_in_it_from_memory(
    local_store: FsspecArtifactStore,
) -> None:
    with value_handoff():
        small = save_value(local_store, {"rows": [1, 2, 3]})
        big = save_value(local_store, ["x" * 1000] * 100)  # over 64 KiB
        shutil.rmtree(local_store.open_folder(small.uri))
        shutil.rmtree(local_store.open_folder(big.uri))

        first = load_value(local_store, small)
        first["rows"].append(4)  # a fresh object per load, as from the store
        second = load_value(local_store, small)
        with pytest.raises(ArtifactNotFoundError):
            load_value(local_store, big)

    assert second == {"rows": [1, 2, 3]}
    with pytest.raises(ArtifactNotFoundError):  # outside it: the store answers
        load_value(local_store, small)


def test_value_handoff_is_shared_by_copies_of_its_context(
    local_store: FsspecArtifactStore,
) -> None:
    with value_handoff():
        context = contextvars.copy_context()
        stored: list[StoredArtifact] = []
        worker = threading.Thread(
            target=context.run,
            args=(lambda: stored.append(save_value(local_store, [7])),),
        )
        worker.start()
        worker.join()
        shutil.rmtree(local_store.open_folder(stored[0].uri))

        assert load_value(local_store, stored[0]) == [7]
