"""Loading checks the stored bytes against the artifact id (SHA-256)."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from rung._internal.hashing import hash_tree
from rung.artifacts import _integrity, export_value, load_value, save_value, verify
from rung.errors import ArtifactIntegrityError

if TYPE_CHECKING:
    from pathlib import Path

    from rung.artifacts import ArtifactStore, FsspecArtifactStore, StoredArtifact

X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]])


def stored_file(store: ArtifactStore, artifact: StoredArtifact, name: str) -> Path:
    return store.open_folder(artifact.uri) / "data" / name


def test_load_refuses_model_file_swapped_for_another_valid_model(
    local_store: FsspecArtifactStore,
) -> None:
    honest = save_value(local_store, LogisticRegression().fit(X, [0, 0, 1, 1]))
    other = save_value(local_store, LogisticRegression().fit(X, [1, 1, 0, 0]))
    shutil.copyfile(
        stored_file(local_store, other, "model.skops"),
        stored_file(local_store, honest, "model.skops"),
    )

    with pytest.raises(
        ArtifactIntegrityError,
        match=rf"Artifact {honest.id[:12]} .*{honest.uri}.* does not match its id.*"
        r"re-run the step that produced it",
    ):
        load_value(local_store, honest)
    assert load_value(local_store, other).predict(X[:1]).tolist() == [1]


def test_load_refuses_tampered_content_in_every_store(store: ArtifactStore) -> None:
    artifact = save_value(store, {"threshold": 0.5})
    stored_file(store, artifact, "value.json").write_text('{"threshold": 0.0}')

    with pytest.raises(ArtifactIntegrityError, match=r"does not match its id"):
        load_value(store, artifact)
    assert verify(store, artifact) is False


def test_load_refuses_tampering_after_a_successful_load(store: ArtifactStore) -> None:
    artifact = save_value(store, [1, 2, 3])
    assert load_value(store, artifact) == [1, 2, 3]

    stored_file(store, artifact, "value.json").write_text("[1, 2, 3, 4]")

    with pytest.raises(ArtifactIntegrityError, match=artifact.id[:12]):
        load_value(store, artifact)


def test_load_refuses_an_added_file(local_store: FsspecArtifactStore) -> None:
    artifact = save_value(local_store, {"a": 1})
    stored_file(local_store, artifact, "extra.json").write_text("{}")

    with pytest.raises(ArtifactIntegrityError, match=r"does not match its id"):
        load_value(local_store, artifact)


def test_export_refuses_tampered_content(
    local_store: FsspecArtifactStore, tmp_path: Path
) -> None:
    artifact = save_value(local_store, {"a": 1})
    stored_file(local_store, artifact, "value.json").write_text('{"a": 2}')

    with pytest.raises(ArtifactIntegrityError, match=r"does not match its id"):
        export_value(local_store, artifact, tmp_path / "out")


def test_load_hashes_unchanged_content_once_per_process(
    local_store: FsspecArtifactStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    artifact = save_value(local_store, {"a": 1})
    calls: list[str] = []

    def counting(root: Path, header: str = "") -> str:
        calls.append(str(root))
        return hash_tree(root, header)

    monkeypatch.setattr(_integrity, "hash_tree", counting)

    for _ in range(3):
        assert load_value(local_store, artifact) == {"a": 1}

    assert len(calls) == 1


def test_verify_accepts_untouched_content(store: ArtifactStore) -> None:
    artifact = save_value(store, {"a": 1})

    assert verify(store, artifact) is True
