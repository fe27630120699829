"""What Rung records about runs, step runs, artifacts, metrics and environments.

The records live in ``records``, the ``RunStore`` protocol and its small parts
in ``store``, the tables and queries in ``_schema`` and ``_sql``. A workspace
hands out its store as ``ws.runs``. Importing this package does not import
SQLAlchemy.

Example:
    >>> from rung.workspace import Workspace
    >>> with Workspace.from_urls("memory://", "memory://") as ws:
    ...     ws.runs.list_runs()
    []
"""

from __future__ import annotations

from rung.metadata.records import (
    RUN_STATUSES,
    STEP_STATUSES,
    ArtifactRecord,
    LineageEdge,
    MetricBatch,
    MetricRecord,
    PipelineSummary,
    RunRecord,
    RunStatus,
    StepFinish,
    StepRunRecord,
    StepStatus,
)
from rung.metadata.store import (
    ArtifactRecords,
    MetricRecords,
    RunRecords,
    RunStore,
    StepRunRecords,
)

__all__ = [
    "RUN_STATUSES",
    "STEP_STATUSES",
    "ArtifactRecord",
    "ArtifactRecords",
    "LineageEdge",
    "MetricBatch",
    "MetricRecord",
    "MetricRecords",
    "PipelineSummary",
    "RunRecord",
    "RunRecords",
    "RunStatus",
    "RunStore",
    "StepFinish",
    "StepRunRecord",
    "StepRunRecords",
    "StepStatus",
]
