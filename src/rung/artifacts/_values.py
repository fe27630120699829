"""``save_value`` and ``load_value``: materializers joined to a store.

Layout of a stored artifact folder::

    objects/ab/ab12.../
        data/               what the materializer wrote; the id hashes only this
        rung-artifact.json  manifest: type, materializer, metadata (not hashed)
        _rung_complete      written by the store, last
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import shutil
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from rung._internal.hashing import hash_files, hash_tree
from rung.artifacts import _files
from rung.artifacts._integrity import check_content, content_hash, id_header
from rung.artifacts._registry import REGISTRY, type_name
from rung.artifacts.base import StoredArtifact
from rung.errors import (
    ArtifactError,
    ArtifactNotFoundError,
    RungError,
    UnsafeArtifactError,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from rung.artifacts._integrity import ContentRef
    from rung.artifacts.base import ArtifactStore, EncodingMaterializer, Materializer

__all__ = [
    "DATA_FOLDER",
    "MANIFEST",
    "content_key",
    "export_value",
    "load_value",
    "save_value",
    "staging_folder",
    "value_handoff",
    "verify",
]

DATA_FOLDER = "data"
MANIFEST = "rung-artifact.json"
_MANIFEST_FORMAT = 1


def content_key(artifact_id: str) -> str:
    """Return the store key of a content id: ``objects/<id[:2]>/<id>``."""
    return f"objects/{artifact_id[:2]}/{artifact_id}"


def save_value(
    store: ArtifactStore,
    value: Any,
    *,
    allow_pickle: bool = False,
    materializer: str | None = None,
) -> StoredArtifact:
    """Store ``value`` under its content address; equal values are stored once.

    Args:
        store: where to put it.
        value: the value to store.
        allow_pickle: let pickle store the value when no safe materializer fits.
        materializer: the name of the materializer to use, instead of choosing.

    Returns:
        The stored artifact: id, type, materializer, key, size and metadata.

    Raises:
        MaterializerNotFoundError: no materializer fits (the message says how
            to fix it).
        ArtifactError: the materializer or the store failed.

    Example:
        >>> from rung.artifacts import InMemoryArtifactStore
        >>> with InMemoryArtifactStore() as store:
        ...     save_value(store, {"answer": 42}).materializer
        'json'
    """
    chosen = REGISTRY.select(value, allow_pickle=allow_pickle, name=materializer)
    kind = type_name(value)
    # getattr, not isinstance: a runtime protocol check costs more than the
    # save of a small value that the store already holds.
    if callable(getattr(chosen, "encode", None)):
        encoding = cast("EncodingMaterializer", chosen)
        return _save_encoded(store, encoding, kind, _encode(encoding, value))
    staging = staging_folder(store)
    try:
        data = staging / DATA_FOLDER
        data.mkdir()
        metadata = _materialize(chosen, value, data)
        artifact_id = hash_tree(data, header=id_header(chosen.name, kind))
        artifact = _described(
            chosen, kind, artifact_id, _files.folder_size(data), metadata
        )
        _write_manifest(staging / MANIFEST, artifact, chosen.version)
        store.put(artifact.uri, staging)
    finally:
        _files.remove_tree(staging)
    return artifact


def _save_encoded(
    store: ArtifactStore,
    chosen: EncodingMaterializer,
    kind: str,
    encoded: tuple[dict[str, bytes], dict[str, Any]],
) -> StoredArtifact:
    """``save_value`` for a value encoded in memory: hash first, write if new.

    The id, files and manifest are those of the folder path; content the
    store already holds (a value stored again) costs no file at all.
    """
    files, metadata = encoded
    artifact_id = hash_files(files, header=id_header(chosen.name, kind))
    artifact = _described(
        chosen, kind, artifact_id, sum(len(c) for c in files.values()), metadata
    )
    if store.exists(artifact.uri):
        _hand_off(store, artifact.id, files, metadata)
        return artifact
    staging = staging_folder(store)
    try:
        data = staging / DATA_FOLDER
        data.mkdir()
        for rel, content in files.items():
            path = data.joinpath(*rel.split("/"))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        _write_manifest(staging / MANIFEST, artifact, chosen.version)
        store.put(artifact.uri, staging)
    finally:
        _files.remove_tree(staging)
    _hand_off(store, artifact.id, files, metadata)
    return artifact


def _hand_off(
    store: ArtifactStore,
    artifact_id: str,
    files: dict[str, bytes],
    metadata: dict[str, Any],
) -> None:
    handoff = _handoff.get()
    if handoff is not None:
        handoff.remember(store, artifact_id, files, metadata)


class _Handoff:
    """The encoded files of small values stored within one scope (a run).

    The next step of a pipeline usually loads what the last one stored: for a
    materializer that can ``decode`` (JSON values), the value is decoded
    again from the bytes this process just hashed into the artifact's id,
    instead of finding, stamping, hashing and reading its folder (a fresh
    object for every load, as from the store). Bounded: values up to
    ``MAX_VALUE`` bytes, ``MAX_TOTAL`` bytes in all, least recent first out.
    """

    MAX_VALUE = 64 * 1024
    MAX_TOTAL = 8 * 1024 * 1024

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[
            tuple[int, str], tuple[dict[str, bytes], dict[str, Any], int]
        ] = OrderedDict()
        self._total = 0

    def remember(
        self,
        store: ArtifactStore,
        artifact_id: str,
        files: dict[str, bytes],
        metadata: dict[str, Any],
    ) -> None:
        size = sum(len(content) for content in files.values())
        if size > self.MAX_VALUE:
            return
        key = (id(store), artifact_id)
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._total -= old[2]
            self._entries[key] = (files, dict(metadata), size)
            self._total += size
            while self._total > self.MAX_TOTAL:
                self._total -= self._entries.popitem(last=False)[1][2]

    def recall(
        self, store: ArtifactStore, artifact_id: str
    ) -> tuple[dict[str, bytes], dict[str, Any]] | None:
        key = (id(store), artifact_id)
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[0], found[1]


_handoff: contextvars.ContextVar[_Handoff | None] = contextvars.ContextVar(
    "rung_value_handoff", default=None
)


@contextlib.contextmanager
def value_handoff() -> Iterator[None]:
    """Within this block, small values stored are loaded back from memory.

    The run engine opens one per pipeline run (steps on pool threads share
    it: they run in copies of the run's context). Outside one, every load
    reads and verifies the stored folder.

    Example:
        >>> from rung.artifacts import InMemoryArtifactStore
        >>> with InMemoryArtifactStore() as store, value_handoff():
        ...     load_value(store, save_value(store, [1, 2]))
        [1, 2]
    """
    token = _handoff.set(_Handoff())
    try:
        yield
    finally:
        _handoff.reset(token)


def _described(
    chosen: Materializer,
    kind: str,
    artifact_id: str,
    size_bytes: int,
    metadata: dict[str, Any],
) -> StoredArtifact:
    """The record of a value stored under ``artifact_id`` by ``chosen``."""
    return StoredArtifact(
        id=artifact_id,
        type=kind,
        materializer=chosen.name,
        uri=content_key(artifact_id),
        size_bytes=size_bytes,
        metadata=metadata,
        is_pickled=chosen.is_pickled,
    )


def _encode(
    chosen: EncodingMaterializer, value: Any
) -> tuple[dict[str, bytes], dict[str, Any]]:
    try:
        return chosen.encode(value)
    except RungError:
        raise
    except Exception as exc:
        raise ArtifactError(
            f"Materializer {chosen.name!r} failed to store a value of type "
            f"{type_name(value)!r}: {exc}"
        ) from exc


def load_value(
    store: ArtifactStore, artifact: StoredArtifact, *, allow_pickle: bool = False
) -> Any:
    """Load a stored artifact back into a Python value.

    Args:
        store: the store that holds it.
        artifact: what ``save_value`` returned (or the same fields, recorded).
        allow_pickle: allow unpickling, which runs code from the file.

    The stored files are hashed and compared with the artifact id first (once
    per process while the files stay unchanged), so content changed after it
    was written is refused instead of loaded.

    Raises:
        UnsafeArtifactError: the artifact is pickled and pickle was not allowed
            (neither by ``allow_pickle`` nor ``rung.artifacts.allow_pickle``).
        ArtifactNotFoundError: its content is missing from the store.
        ArtifactIntegrityError: its content does not match its id.
        ArtifactError: its materializer is unknown or failed.

    Example:
        >>> from rung.artifacts import InMemoryArtifactStore
        >>> with InMemoryArtifactStore() as store:
        ...     load_value(store, save_value(store, [1, 2]))
        [1, 2]
    """
    chosen = REGISTRY.get(artifact.materializer)
    pickled = chosen.is_pickled or artifact.is_pickled
    if pickled and not REGISTRY.may_pickle([artifact.type], allow_pickle):
        raise UnsafeArtifactError(
            f"Artifact {artifact.id} ({artifact.type}) was stored with pickle; "
            "loading it runs code from the file. Pass allow_pickle=True if you "
            "trust its source."
        )
    decode = getattr(chosen, "decode", None)
    handoff = _handoff.get()
    recent = None
    if handoff is not None and callable(decode):
        recent = handoff.recall(store, artifact.id)
    if recent is None:
        folder = _open(store, artifact)
        check_content(store, artifact, folder / DATA_FOLDER)
        metadata = artifact.metadata or _read_manifest(folder).get("metadata", {})
    try:
        if recent is not None:  # the bytes this process hashed into the id
            return decode(*recent)  # type: ignore[misc]
        return chosen.load(folder / DATA_FOLDER, metadata)
    except RungError:
        raise
    except Exception as exc:
        raise ArtifactError(
            f"Materializer {chosen.name!r} failed to load artifact {artifact.id} "
            f"({artifact.type}) from {store.url}: {exc}"
        ) from exc


def verify(store: ArtifactStore, artifact: ContentRef) -> bool:
    """Re-hash the stored content and compare it with the artifact id.

    Always hashes (unlike ``load_value``, which remembers a passed check). For
    remote stores this checks the local cached copy that ``open_folder``
    returns (downloaded from the store once).

    Args:
        store: the store that holds it.
        artifact: a ``StoredArtifact`` or a metadata record of it.

    Returns:
        True when the content matches its id.

    Raises:
        ArtifactNotFoundError: the content is missing from the store.

    Example:
        >>> from rung.artifacts import InMemoryArtifactStore
        >>> with InMemoryArtifactStore() as store:
        ...     verify(store, save_value(store, [1, 2]))
        True
    """
    return content_hash(_open(store, artifact) / DATA_FOLDER, artifact) == artifact.id


def export_value(store: ArtifactStore, artifact: StoredArtifact, dest: Path) -> Path:
    """Copy the artifact's stored files (not Rung's bookkeeping) to ``dest``.

    Args:
        store: the store that holds it.
        artifact: the artifact to export.
        dest: a folder that does not exist yet or is empty.

    Returns:
        ``dest``.

    Raises:
        ArtifactError: ``dest`` exists and is not an empty folder.
        ArtifactNotFoundError: the content is missing from the store.
        ArtifactIntegrityError: its content does not match its id.
    """
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ArtifactError(
            f"Cannot export artifact {artifact.id} to {str(dest)!r}: it exists and "
            "is not an empty folder. Choose a new or empty folder."
        )
    folder = _open(store, artifact) / DATA_FOLDER
    check_content(store, artifact, folder)
    shutil.copytree(folder, dest, copy_function=shutil.copyfile, dirs_exist_ok=True)
    return dest


def staging_folder(store: ArtifactStore, *, prefix: str = "rung-save-") -> Path:
    """A new empty local folder to prepare ``store.put(key, folder)`` in.

    The store's own when it offers one (a local store then renames it into
    place instead of copying it), else a temp folder named ``prefix...``.
    The caller removes the folder if it still exists after the put.

    Example:
        >>> import shutil
        >>> from rung.artifacts import InMemoryArtifactStore
        >>> with InMemoryArtifactStore() as store:
        ...     folder = staging_folder(store)
        ...     folder.is_dir()
        True
        >>> shutil.rmtree(folder)
    """
    make = getattr(store, "staging_folder", None)
    if callable(make):
        folder: Path = make()
        return folder
    return Path(tempfile.mkdtemp(prefix=prefix))


def _materialize(chosen: Materializer, value: Any, folder: Path) -> dict[str, Any]:
    try:
        return chosen.save(value, folder)
    except RungError:
        raise
    except Exception as exc:
        raise ArtifactError(
            f"Materializer {chosen.name!r} failed to store a value of type "
            f"{type_name(value)!r}: {exc}"
        ) from exc


def _write_manifest(path: Path, artifact: StoredArtifact, version: int) -> None:
    manifest = {
        "format": _MANIFEST_FORMAT,
        "id": artifact.id,
        "type": artifact.type,
        "materializer": {"name": artifact.materializer, "version": version},
        "size_bytes": artifact.size_bytes,
        "is_pickled": artifact.is_pickled,
        "metadata": artifact.metadata,
    }
    try:
        text = json.dumps(manifest, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ArtifactError(
            f"Materializer {artifact.materializer!r} returned metadata that is not "
            f"JSON-able: {exc}. Return plain str/int/float/bool/list/dict values."
        ) from exc
    path.write_text(text, encoding="utf-8")


def _read_manifest(folder: Path) -> Mapping[str, Any]:
    try:
        manifest: Mapping[str, Any] = json.loads(
            (folder / MANIFEST).read_text(encoding="utf-8")
        )
    except (OSError, ValueError):
        return {}
    return manifest


def _open(store: ArtifactStore, artifact: ContentRef) -> Path:
    try:
        return store.open_folder(artifact.uri)
    except ArtifactNotFoundError as exc:
        raise ArtifactNotFoundError(
            f"The content of artifact {artifact.id} ({artifact.type}) is missing "
            f"from the store at {store.url} (key {artifact.uri!r}). It may have "
            "been deleted or garbage-collected; re-run the step that made it."
        ) from exc
