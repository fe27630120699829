"""open_artifact_store: URL scheme -> store class."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from rung.artifacts import (
    FsspecArtifactStore,
    InMemoryArtifactStore,
    _open,
    open_artifact_store,
)
from rung.artifacts.fsspec_store import local_root
from rung.errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path


class NotAStore:
    """Registered by a plugin, but missing the ArtifactStore methods."""

    def __init__(self, url: str) -> None:
        self.url = url


def test_plain_path_and_file_url_open_a_local_store(tmp_path: Path) -> None:
    plain = open_artifact_store(str(tmp_path / "a"))
    file_url = open_artifact_store(f"file://{tmp_path / 'b'}", fsync=True)

    assert isinstance(plain, FsspecArtifactStore)
    assert isinstance(file_url, FsspecArtifactStore)
    assert plain.is_local and file_url.is_local
    assert file_url.fsync is True
    assert not (tmp_path / "a").exists()


def test_memory_scheme_opens_the_in_memory_store() -> None:
    store = open_artifact_store("memory://scratch")

    assert isinstance(store, InMemoryArtifactStore)
    assert store.url == "memory://scratch"


@pytest.mark.parametrize("url", ["s3://bucket/prefix", "gcs://bucket", "S3://b"])
def test_schemes_fsspec_knows_fall_back_to_fsspec_store(url: str) -> None:
    store = open_artifact_store(url)

    assert isinstance(store, FsspecArtifactStore)
    assert not store.is_local


def test_unknown_scheme_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"Unknown artifact store scheme 'nope'.*s3"):
        open_artifact_store("nope://somewhere")


def test_fsspec_store_reports_unusable_url_on_first_use() -> None:
    store = FsspecArtifactStore("nope-protocol://bucket/x")

    with pytest.raises(ConfigError, match="Cannot open the artifact store"):
        store.exists("objects/ab/ab12")


def test_empty_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="URL is empty"):
        open_artifact_store("")


def test_entry_point_plugins_serve_their_scheme(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plugins = {
        "mine": "rung.artifacts.memory:InMemoryArtifactStore",
        "broken": "no_such_module_for_rung:Store",
        "bad": f"{__name__}:NotAStore",
    }
    monkeypatch.setattr(_open, "_plugins", lambda: plugins)

    assert isinstance(open_artifact_store("mine://x"), InMemoryArtifactStore)
    with pytest.raises(ConfigError, match="Cannot load the artifact store"):
        open_artifact_store("broken://x")
    with pytest.raises(ConfigError, match="does not implement ArtifactStore"):
        open_artifact_store("bad://x")


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("relative/dir", "file"),
        ("/abs/dir", "file"),
        ("file:///abs", "file"),
        ("s3://b/k", "s3"),
        ("simplecache::s3://b/k", "simplecache"),
    ],
)
def test_url_scheme(url: str, scheme: str) -> None:
    assert _open.url_scheme(url) == scheme


def test_local_root_parses_paths_and_file_urls() -> None:
    assert str(local_root("file:///data/rung")) == "/data/rung"
    assert str(local_root("data/rung")) == "data/rung"
    assert local_root("s3://bucket/x") is None
    assert local_root("simplecache::s3://bucket/x") is None
