"""The workspace: one database of records plus one artifact store.

Everything Rung records goes through a :class:`Workspace`. It joins the two
stores without letting them know about each other: an artifact's bytes go to
the artifact store, its record to the database. The database hands out one
typed store per domain, all sharing its connections:

================  ===================================================
``ws.runs``       runs, step runs, artifacts, lineage, metrics
``ws.models``     the model registry
``ws.datasets``   the data catalog
``ws.policies``   governance policy sets and decisions
``ws.deployments`` serving deployments and prediction-log batches
``ws.monitors``   monitors, evaluations and alerts
================  ===================================================

Which class serves which store is wired in ``pyproject.toml`` (entry-point
group ``rung.sql_stores``), never named here. State that belongs to one
workspace (buffers, caches, heartbeats) hangs off it with :meth:`attach`.

Every read of an artifact's value passes the artifact read checks first
(entry-point group ``rung.artifact_read_checks``; governance plugs its
residency policies in there): :meth:`Workspace.load_artifact` runs them, and
paths that hand out bytes without loading them (an export) call
:meth:`Workspace.check_artifact_read`. An :class:`ArtifactRead` says through
which path and for whom.

Example:
    >>> from rung.workspace import Workspace
    >>> ws = Workspace.from_urls("memory://", "memory://", project="demo")
    >>> record = ws.put_artifact({"accuracy": 0.93})
    >>> ws.load_artifact(record.id)
    {'accuracy': 0.93}
    >>> ws.runs.list_runs()
    []
    >>> ws.close()
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

from rung._internal.hooks import HookList
from rung._internal.timeutil import now
from rung.errors import ArtifactNotFoundError

if TYPE_CHECKING:
    from rung.artifacts import ArtifactStore, StoredArtifact
    from rung.automation.store import TriggerStore
    from rung.catalog.store import DatasetStore
    from rung.governance.store import PolicyStore
    from rung.metadata import ArtifactRecord, RunStore
    from rung.monitoring.store import MonitorStore
    from rung.registry.store import ModelStore
    from rung.serving.store import DeploymentStore
    from rung.store import StoreBackend

__all__ = [
    "ArtifactRead",
    "ArtifactReadCheck",
    "Workspace",
    "WorkspaceOptions",
    "artifact_read_checks",
]

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class ArtifactRead:
    """How an artifact is read: through which path, by whom, to where.

    Attributes:
        path: the read path: ``load_artifact`` (``rung.load_artifact``,
            ``Client.load_artifact``, ``Workspace.load_artifact``),
            ``load_model``, ``export``, ``serve``, ``predict``. Internal reads
            another check already judges say so: ``step_input`` (a step's
            inputs: the step input checks), ``dataset`` (a dataset snapshot:
            the catalog's read checks) and ``inspect`` (Rung reads metadata,
            e.g. a model's feature names, and hands no value out).
        region: where the data goes when the caller knows it (a serving
            endpoint's region). None: where the reader runs, that is the
            current step's ``region`` label, else the workspace's region.
        reader: who reads, for messages and the audit (``endpoint
            'churn-production'``). None: the current step, else this session.
        kind: the kind of destination, as policies' ``applies_to`` names it:
            ``step`` (processed in this process) or ``endpoint``.
        subject: what is read, for messages (``model churn/3``). None: the
            artifact's id.

    Example:
        >>> read = ArtifactRead("export")
        >>> ws.check_artifact_read(record, read)  # doctest: +SKIP
    """

    path: str = "load_artifact"
    region: str | None = None
    reader: str | None = None
    kind: str = "step"
    subject: str | None = None


ArtifactReadCheck = Callable[["Workspace", "ArtifactRecord", ArtifactRead], None]
"""``check(workspace, artifact, read)``; raise a RungError to refuse the read."""

artifact_read_checks: HookList[ArtifactReadCheck] = HookList(
    "rung.artifact_read_checks"
)
"""The checks every artifact read passes (wired in ``pyproject.toml``)."""


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
    """A database of records and an artifact store, plus who is recording.

    Args:
        backend: where records go (see :func:`rung.store.open_backend`).
        artifacts: where artifact bytes go.
        project: project name stamped on every run.
        user: user name stamped on every run.
        options: orchestration and flushing knobs.
    """

    def __init__(
        self,
        backend: StoreBackend,
        artifacts: ArtifactStore,
        *,
        project: str = "default",
        user: str = "unknown",
        options: WorkspaceOptions | None = None,
    ) -> None:
        self.backend = backend
        self.artifacts = artifacts
        self.project = project
        self.user = user
        self.options = options or WorkspaceOptions()
        self._close_hooks: list[Callable[[], None]] = []
        self._attached: dict[str, Any] = {}
        self._lock = threading.RLock()
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
        """Build a workspace from a database URL and an artifact URL (no I/O yet).

        ``memory://`` for both gives a private workspace that lives in memory
        (SQLite in memory and a dict of bytes), for tests and notebooks.
        """
        from rung.artifacts import open_artifact_store
        from rung.store import open_backend

        return cls(
            open_backend(metadata_url),
            open_artifact_store(artifact_url),
            project=project,
            user=user,
            options=options,
        )

    # -- typed stores, one per domain ------------------------------------------------

    @property
    def runs(self) -> RunStore:
        """Runs, step runs, artifacts, lineage, metrics and environments."""
        return cast("RunStore", self.backend.open_store("runs"))

    @property
    def models(self) -> ModelStore:
        """The model registry: versions, aliases, approvals, audit."""
        return cast("ModelStore", self.backend.open_store("models"))

    @property
    def datasets(self) -> DatasetStore:
        """The data catalog: datasets, versions, reads."""
        return cast("DatasetStore", self.backend.open_store("datasets"))

    @property
    def policies(self) -> PolicyStore:
        """Governance: policy set versions and the decision audit."""
        return cast("PolicyStore", self.backend.open_store("policies"))

    @property
    def deployments(self) -> DeploymentStore:
        """Serving: deployments and the prediction-log batch index."""
        return cast("DeploymentStore", self.backend.open_store("deployments"))

    @property
    def monitors(self) -> MonitorStore:
        """Monitoring: monitors, evaluations, check values and alerts."""
        return cast("MonitorStore", self.backend.open_store("monitors"))

    @property
    def triggers(self) -> TriggerStore:
        """Automation: triggers, the dispatch ledger and the agent lease."""
        return cast("TriggerStore", self.backend.open_store("triggers"))

    def store(self, name: str) -> Any:
        """Return the store registered as ``name`` (for stores added by plugins)."""
        return self.backend.open_store(name)

    # -- state that belongs to this workspace ------------------------------------------

    def attach(self, key: str, factory: Callable[[], _T]) -> _T:
        """Return the object attached under ``key``, creating it once.

        Domains keep per-workspace state here (metric buffers, caches,
        heartbeats) instead of in module globals, so two workspaces in one
        process never share it. An attached object with a ``close()`` method
        is closed when the workspace closes, after the close hooks.

        Example:
            >>> ws = Workspace.from_urls("memory://", "memory://")
            >>> cache = ws.attach("example.cache", dict)
            >>> cache is ws.attach("example.cache", dict)
            True
        """
        with self._lock:
            found = self._attached.get(key)
            if found is None:
                found = factory()
                self._attached[key] = found
            return cast("_T", found)

    def store_value(
        self,
        value: Any,
        *,
        allow_pickle: bool = False,
        materializer: str | None = None,
    ) -> ArtifactRecord:
        """Write ``value``'s bytes to the artifact store; return its record.

        The record is not yet in the database: callers add it in the
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
        """Store ``value`` and index it in ``ws.runs``; return its record."""
        record = self.store_value(
            value, allow_pickle=allow_pickle, materializer=materializer
        )
        self.runs.add_artifacts([record])
        return record

    def load_artifact(
        self,
        artifact: str | ArtifactRecord,
        *,
        allow_pickle: bool = False,
        read: ArtifactRead | None = None,
    ) -> Any:
        """Load an artifact's value by id, id prefix or record.

        The artifact read checks run first (see :meth:`check_artifact_read`).

        Args:
            artifact: an id, a unique id prefix or a record.
            allow_pickle: allow pickled content (it runs code from the file).
            read: the read path and reader (default: ``load_artifact`` by the
                current step or session).

        Raises:
            ArtifactNotFoundError: unknown id, or content gone from the store.
            UnsafeArtifactError: pickled content and ``allow_pickle`` is False.
            RungError: a read check refused the read (e.g. PolicyViolationError).
        """
        from rung.artifacts import load_value

        record = (
            self.runs.get_artifact(artifact) if isinstance(artifact, str) else artifact
        )
        self.check_artifact_read(record, read)
        return load_value(self.artifacts, _to_stored(record), allow_pickle=allow_pickle)

    def check_artifact_read(
        self, record: ArtifactRecord, read: ArtifactRead | None = None
    ) -> None:
        """Run every artifact read check on a read of ``record``.

        Paths that hand out an artifact's bytes without loading them (an
        export) call this themselves; :meth:`load_artifact` always does.

        Raises:
            RungError: a check refused the read.

        Example:
            >>> ws.check_artifact_read(record, ArtifactRead("export"))  # doctest: +SKIP
        """
        how = read or ArtifactRead()
        for check in artifact_read_checks.resolved():
            check(self, record, how)

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
        for attached in reversed(list(self._attached.values())):
            closer = getattr(attached, "close", None)
            if callable(closer):
                closer()
        self.backend.close()
        closer = getattr(self.artifacts, "close", None)
        if callable(closer):
            closer()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"Workspace(project={self.project!r}, backend={self.backend.url!r}, "
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
