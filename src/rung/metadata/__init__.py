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
from rung.metadata.monitoring import (
    ALERT_SEVERITIES,
    ALERT_STATUSES,
    CHECK_STATUSES,
    MONITOR_CHECKS,
    AlertChanges,
    AlertRecord,
    CheckValueRecord,
    EvaluationRecord,
    EvaluationRecords,
    MonitoringRecords,
    MonitorRecord,
    MonitorRecords,
)
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
from rung.metadata.serving import (
    BATCH_KINDS,
    DEPLOYMENT_STATUSES,
    DeploymentRecord,
    DeploymentRecords,
    PredictionBatchRecord,
    PredictionBatchRecords,
    ServingRecords,
)

if TYPE_CHECKING:
    from rung.metadata.sql import SqlMetadataStore

__all__ = [
    "ALERT_SEVERITIES",
    "ALERT_STATUSES",
    "APPROVAL_DECISIONS",
    "BATCH_KINDS",
    "CHECK_STATUSES",
    "DEPLOYMENT_STATUSES",
    "MODEL_VERSION_STATES",
    "MONITOR_CHECKS",
    "REGISTRY_ACTIONS",
    "RUN_STATUSES",
    "STEP_STATUSES",
    "VERDICTS",
    "AlertChanges",
    "AlertRecord",
    "AliasRecord",
    "ApprovalRecord",
    "ArtifactRecord",
    "ArtifactRecords",
    "AuditNote",
    "CatalogRecords",
    "CheckValueRecord",
    "ColumnRecord",
    "DatasetReadRecord",
    "DatasetRecord",
    "DatasetRecords",
    "DatasetVersionRecord",
    "DatasetVersionRecords",
    "DeploymentRecord",
    "DeploymentRecords",
    "EnvironmentNotFoundError",
    "EvaluationRecord",
    "EvaluationRecords",
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
    "MonitorRecord",
    "MonitorRecords",
    "MonitoringRecords",
    "PipelineSummary",
    "PolicyDecisionRecord",
    "PolicySetRecord",
    "PredictionBatchRecord",
    "PredictionBatchRecords",
    "RegistryEventRecord",
    "ReviewRecords",
    "RoleRecord",
    "RunRecord",
    "RunRecords",
    "RunStatus",
    "ServingRecords",
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
