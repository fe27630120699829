"""Fixtures for the artifact tests: stores and an isolated materializer registry."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from rung.artifacts import FsspecArtifactStore, InMemoryArtifactStore
from rung.artifacts._registry import REGISTRY

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from rung.artifacts import ArtifactStore


@pytest.fixture(autouse=True)
def isolated_registry() -> Iterator[None]:
    """Undo register_materializer, allow_pickle and trust_types after each test."""
    custom = list(REGISTRY.custom)
    pickle_types = set(REGISTRY.pickle_types)
    trusted = set(REGISTRY.trusted_types)
    yield
    REGISTRY.custom[:] = custom
    REGISTRY.pickle_types.clear()
    REGISTRY.pickle_types.update(pickle_types)
    REGISTRY.trusted_types.clear()
    REGISTRY.trusted_types.update(trusted)


@pytest.fixture
def local_store(tmp_path: Path) -> FsspecArtifactStore:
    """A local folder store under the test's tmp_path."""
    return FsspecArtifactStore(str(tmp_path / "store"))


@pytest.fixture(params=["local", "in-memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ArtifactStore]:
    """A local store, then an in-memory one."""
    if request.param == "local":
        yield FsspecArtifactStore(str(tmp_path / "store"))
    else:
        with InMemoryArtifactStore() as memory_store:
            yield memory_store
