"""The ``ArtifactStore`` and ``Materializer`` protocols and the stored-artifact type.

An artifact store keeps immutable folders under keys. A materializer turns a
Python value into files in a folder and back. ``rung.artifacts.save_value`` and
``load_value`` join the two: materialize into a temp folder, hash it, put it
under its content address.
"""

from __future__ import annotations

# Imported at runtime on purpose: typing.get_type_hints (pydantic, FastAPI)
# must resolve the annotations of StoredArtifact and of the protocols.
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

__all__ = ["ArtifactStore", "EncodingMaterializer", "Materializer", "StoredArtifact"]


@dataclass(frozen=True, slots=True)
class StoredArtifact:
    """What ``save_value`` wrote: enough to find, describe and load it again.

    Attributes:
        id: SHA-256 over materializer name, type and the stored bytes.
        type: the value's type as ``module.QualName``.
        materializer: the name of the materializer that wrote it.
        uri: the key in the artifact store.
        size_bytes: the stored size.
        metadata: shape, schema, dtype, ... (materializer-specific).
        is_pickled: True when loading it unpickles (needs an explicit opt-in).
    """

    id: str
    type: str
    materializer: str
    uri: str
    size_bytes: int
    metadata: Mapping[str, Any] = field(default_factory=dict)
    is_pickled: bool = False


@runtime_checkable
class ArtifactStore(Protocol):
    """Immutable folders under string keys (``objects/ab/abcdef...``).

    Implementations: ``FsspecArtifactStore`` (local folders and any fsspec URL)
    and ``InMemoryArtifactStore``. Keys never contain ``..`` or a leading ``/``;
    a store refuses them, so no key reaches outside its root.
    """

    url: str

    def put(self, key: str, source: Path) -> bool:
        """Copy the local folder ``source`` under ``key`` atomically.

        Nothing half-written is ever visible under ``key``: readers see either
        no artifact or all of it. Returns False (and writes nothing) when the
        key already exists, since content-addressed keys never change.
        """
        ...

    def exists(self, key: str) -> bool:
        """Return True when ``key`` holds a complete artifact."""
        ...

    def open_folder(self, key: str) -> Path:
        """Return a local folder with the artifact's files, to read only.

        Local stores return the stored folder itself; remote stores download
        into a local cache first. Raises ArtifactNotFoundError.
        """
        ...

    def delete(self, key: str) -> None:
        """Remove ``key``; a missing key is not an error."""
        ...


@runtime_checkable
class Materializer(Protocol):
    """Writes values of some types to a folder and reads them back.

    ``can_save`` must not import heavy libraries: it checks the value's type by
    module and name, so ``import rung`` stays light.
    """

    name: str
    version: int
    is_pickled: bool

    def can_save(self, value: Any) -> bool:
        """Return True when this materializer can write ``value``."""
        ...

    def save(self, value: Any, folder: Path) -> dict[str, Any]:
        """Write ``value`` into the empty ``folder``; return its metadata."""
        ...

    def load(self, folder: Path, metadata: Mapping[str, Any]) -> Any:
        """Read the value back from ``folder``."""
        ...


@runtime_checkable
class EncodingMaterializer(Materializer, Protocol):
    """A materializer that can also encode a value in memory.

    ``save_value`` then hashes the bytes before writing anything, and writes
    nothing at all when the store already holds that content (a value stored
    again, run after run). ``encode`` must give exactly the files and metadata
    that ``save`` would write.
    """

    def encode(self, value: Any) -> tuple[dict[str, bytes], dict[str, Any]]:
        """Return ``({relative path: content}, metadata)`` of ``value``."""
        ...

    # Optional: ``decode(files, metadata) -> value``, the inverse of
    # ``encode``. With it, a value this process stored lately is loaded back
    # from the bytes it hashed, without reading the stored folder.
