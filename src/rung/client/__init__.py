"""The client: one Python facade over a workspace, used by the CLI and by users.

Example:
    >>> import rung
    >>> client = rung.Client(rung.open_workspace())  # doctest: +SKIP
    >>> [r.name for r in client.list_runs(limit=5)]  # doctest: +SKIP
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
