"""The workspace: one metadata store plus one artifact store.

Everything Rung records goes through a :class:`Workspace`. It joins the two
stores without letting them know about each other: an artifact's bytes go to
the artifact store, its record to the metadata store.

Example:
    >>> from rung.workspace import Workspace
    >>> ws = Workspace.from_urls("memory://", "memory://", project="demo")
    >>> record = ws.put_artifact({"accuracy": 0.93})
    >>> ws.load_artifact(record.id)
    {'accuracy': 0.93}
    >>> ws.close()
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rung._internal.timeutil import now
from rung.errors import ArtifactNotFoundError

if TYPE_CHECKING:
    from rung.artifacts import ArtifactStore, StoredArtifact
    from rung.metadata import ArtifactRecord, MetadataStore

__all__ = ["Workspace", "WorkspaceOptions"]


@dataclass(frozen=True, slots=True)
class WorkspaceOptions:
    """Behaviour knobs that travel with a workspace (see ``rung.settings``)."""

    orchestrator: str = "local"
    max_workers: int = 4
    flush_interval: float = 1.0
    heartbeat_interval: float = 5.0
    stale_after: float = 60.0
    openlineage_url: str | None = None
    # Where steps run, for residency policies (``RUNG_REGION``); None: unknown.
    region: str | None = None


class Workspace:
    """A metadata store and an artifact store, plus who and what is recording.

    Args:
        metadata: where records go.
        artifacts: where artifact bytes go.
        project: project name stamped on every run.
        user: user name stamped on every run.
        options: orchestration and flushing knobs.
    """

    def __init__(
        self,
        metadata: MetadataStore,
        artifacts: ArtifactStore,
        *,
        project: str = "default",
        user: str = "unknown",
        options: WorkspaceOptions | None = None,
    ) -> None:
        self.metadata = metadata
        self.artifacts = artifacts
        self.project = project
        self.user = user
        self.options = options or WorkspaceOptions()
        self._close_hooks: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._closed = False

    @classmethod
    def from_urls(
        cls,
        metadata_url: str,
        artifact_url: str,
        *,
        project: str = "default",
        user: str = "unknown",
        options: WorkspaceOptions | None = None,
    ) -> Workspace:
        """Build a workspace from a metadata URL and an artifact URL (no I/O yet)."""
        from rung.artifacts import open_artifact_store
        from rung.metadata import open_metadata_store

        return cls(
            open_metadata_store(metadata_url),
            open_artifact_store(artifact_url),
            project=project,
            user=user,
            options=options,
        )

    def store_value(
        self,
        value: Any,
        *,
        allow_pickle: bool = False,
        materializer: str | None = None,
    ) -> ArtifactRecord:
        """Write ``value``'s bytes to the artifact store; return its record.

        The record is not yet in the metadata store: callers add it in the
        same transaction as the lineage that points at it.
        """
        from rung.artifacts import save_value

        stored = save_value(
            self.artifacts, value, allow_pickle=allow_pickle, materializer=materializer
        )
        return _to_record(stored)

    def put_artifact(
        self,
        value: Any,
        *,
        allow_pickle: bool = False,
        materializer: str | None = None,
    ) -> ArtifactRecord:
        """Store ``value`` and index it in the metadata store; return its record."""
        record = self.store_value(
            value, allow_pickle=allow_pickle, materializer=materializer
        )
        self.metadata.add_artifacts([record])
        return record

    def load_artifact(
        self, artifact: str | ArtifactRecord, *, allow_pickle: bool = False
    ) -> Any:
        """Load an artifact's value by id, id prefix or record.

        Raises:
            ArtifactNotFoundError: unknown id, or content gone from the store.
            UnsafeArtifactError: pickled content and ``allow_pickle`` is False.
        """
        from rung.artifacts import load_value

        record = (
            self.metadata.get_artifact(artifact)
            if isinstance(artifact, str)
            else artifact
        )
        return load_value(self.artifacts, _to_stored(record), allow_pickle=allow_pickle)

    def has_content(self, record: ArtifactRecord) -> bool:
        """Return True when the artifact's bytes are still in the artifact store."""
        return self.artifacts.exists(record.uri)

    def require_content(self, record: ArtifactRecord) -> None:
        """Raise ArtifactNotFoundError when the artifact's bytes are gone."""
        if not self.has_content(record):
            raise ArtifactNotFoundError(
                f"Artifact {record.id[:12]} is indexed but its content is missing "
                f"from {self.artifacts.url} (key {record.uri}). Re-run the step "
                "that produced it, or restore the artifact folder."
            )

    def on_close(self, hook: Callable[[], None]) -> None:
        """Register ``hook`` to run (once) when the workspace closes."""
        with self._lock:
            self._close_hooks.append(hook)

    def close(self) -> None:
        """Run close hooks (flush buffers) and release the stores. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            hooks, self._close_hooks = self._close_hooks, []
        for hook in hooks:
            hook()
        self.metadata.close()
        closer = getattr(self.artifacts, "close", None)
        if callable(closer):
            closer()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"Workspace(project={self.project!r}, metadata={self.metadata.url!r}, "
            f"artifacts={self.artifacts.url!r})"
        )


def _to_record(stored: StoredArtifact) -> ArtifactRecord:
    from rung.metadata import ArtifactRecord

    return ArtifactRecord(
        id=stored.id,
        type=stored.type,
        materializer=stored.materializer,
        uri=stored.uri,
        size_bytes=stored.size_bytes,
        created_at=now(),
        metadata=dict(stored.metadata),
        is_pickled=stored.is_pickled,
    )


def _to_stored(record: ArtifactRecord) -> StoredArtifact:
    from rung.artifacts import StoredArtifact

    return StoredArtifact(
        id=record.id,
        type=record.type,
        materializer=record.materializer,
        uri=record.uri,
        size_bytes=record.size_bytes,
        metadata=dict(record.metadata),
        is_pickled=record.is_pickled,
    )
