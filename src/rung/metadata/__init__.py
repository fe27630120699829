"""Everything Rung records about runs, steps, artifacts and metrics.

The records and the ``MetadataStore`` protocol live in ``base``; two backends
implement it: ``InMemoryMetadataStore`` (tests) and ``SqlMetadataStore``
(SQLite, PostgreSQL). ``open_metadata_store(url)`` picks one by URL scheme.
Importing this package does not import SQLAlchemy: ``SqlMetadataStore`` is
loaded on first access.

Example:
    >>> from rung.metadata import open_metadata_store
    >>> store = open_metadata_store("memory://")
    >>> store.list_runs()
    []
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rung.metadata._errors import (
    EnvironmentNotFoundError,
    InvalidRecordError,
    StepRunNotFoundError,
)
from rung.metadata._open import open_metadata_store
from rung.metadata.base import (
    RUN_STATUSES,
    STEP_STATUSES,
    ArtifactRecord,
    ArtifactRecords,
    LineageEdge,
    MetadataStore,
    MetricRecord,
    MetricRecords,
    PipelineSummary,
    RunRecord,
    RunRecords,
    RunStatus,
    StepRunRecord,
    StepRunRecords,
    StepStatus,
)
from rung.metadata.catalog import (
    CatalogRecords,
    ColumnRecord,
    DatasetReadRecord,
    DatasetRecord,
    DatasetRecords,
    DatasetVersionRecord,
    DatasetVersionRecords,
)
from rung.metadata.governance import (
    VERDICTS,
    GovernanceRecords,
    PolicyDecisionRecord,
    PolicySetRecord,
    Verdict,
)
from rung.metadata.memory import InMemoryMetadataStore
from rung.metadata.registry import (
    APPROVAL_DECISIONS,
    MODEL_VERSION_STATES,
    REGISTRY_ACTIONS,
    AliasRecord,
    ApprovalRecord,
    AuditNote,
    ModelRecord,
    ModelRecords,
    ModelStateRecords,
    ModelVersionRecord,
    ModelVersionRecords,
    RegistryEventRecord,
    ReviewRecords,
    RoleRecord,
    SignatureColumn,
)

if TYPE_CHECKING:
    from rung.metadata.sql import SqlMetadataStore

__all__ = [
    "APPROVAL_DECISIONS",
    "MODEL_VERSION_STATES",
    "REGISTRY_ACTIONS",
    "RUN_STATUSES",
    "STEP_STATUSES",
    "VERDICTS",
    "AliasRecord",
    "ApprovalRecord",
    "ArtifactRecord",
    "ArtifactRecords",
    "AuditNote",
    "CatalogRecords",
    "ColumnRecord",
    "DatasetReadRecord",
    "DatasetRecord",
    "DatasetRecords",
    "DatasetVersionRecord",
    "DatasetVersionRecords",
    "EnvironmentNotFoundError",
    "GovernanceRecords",
    "InMemoryMetadataStore",
    "InvalidRecordError",
    "LineageEdge",
    "MetadataStore",
    "MetricRecord",
    "MetricRecords",
    "ModelRecord",
    "ModelRecords",
    "ModelStateRecords",
    "ModelVersionRecord",
    "ModelVersionRecords",
    "PipelineSummary",
    "PolicyDecisionRecord",
    "PolicySetRecord",
    "RegistryEventRecord",
    "ReviewRecords",
    "RoleRecord",
    "RunRecord",
    "RunRecords",
    "RunStatus",
    "SignatureColumn",
    "SqlMetadataStore",
    "StepRunNotFoundError",
    "StepRunRecord",
    "StepRunRecords",
    "StepStatus",
    "Verdict",
    "open_metadata_store",
]


def __getattr__(name: str) -> object:
    # PEP 562: SQLAlchemy is imported only when someone asks for the SQL store.
    if name == "SqlMetadataStore":
        from rung.metadata.sql import SqlMetadataStore

        return SqlMetadataStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
