"""The client: one Python facade over a workspace, used by the CLI and by users.

Runs, artifacts and pipelines, and each domain's operations as methods
(``list_models``, ``promote_model``, ``refresh_dataset``, ``audit_log``,
``serve_deployment``, ``run_monitor``, ``create_trigger``, ``retune``,
``compare_challenger``, ...) on the client's workspace.

Example:
    >>> import rung
    >>> client = rung.Client(rung.open_workspace())  # doctest: +SKIP
    >>> [r.name for r in client.list_runs(limit=5)]  # doctest: +SKIP
    >>> client.promote_model("churn", 3, "production")  # doctest: +SKIP
"""

from __future__ import annotations

from rung.client._classification import (
    InheritedClassification,
    classify_model_version,
)
from rung.client._client import ArtifactLineage, Client, LineageNode

__all__ = [
    "ArtifactLineage",
    "Client",
    "InheritedClassification",
    "LineageNode",
    "classify_model_version",
]
