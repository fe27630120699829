"""The feature names a stored model was fitted on, without loading the model.

The signature leaves the label column out by keeping only the model's
features. Loading a scikit-learn model costs milliseconds; its skops file
already lists ``feature_names_in_`` as plain JSON in ``schema.json``, which
is read here (JSON only: nothing is executed). When that fails, the model is
loaded through the artifact layer (safe formats only).
"""

from __future__ import annotations

import json
import zipfile
from collections import deque
from typing import TYPE_CHECKING, Any

from rung.errors import RungError
from rung.registry._signature import feature_names
from rung.workspace import ArtifactRead

if TYPE_CHECKING:
    from rung.metadata import ArtifactRecord
    from rung.workspace import Workspace

__all__ = ["stored_feature_names"]

_SKOPS = "sklearn.skops"
_ATTRIBUTE = "feature_names_in_"
_MAX_NODES = 100_000


def stored_feature_names(ws: Workspace, record: ArtifactRecord) -> list[str] | None:
    """The model's feature names, or None when they cannot be known safely."""
    recorded = record.metadata.get("feature_names")
    if isinstance(recorded, list) and all(isinstance(n, str) for n in recorded):
        return list(recorded)
    if record.materializer != _SKOPS or record.is_pickled:
        return None
    try:
        found = _from_skops_schema(ws, record)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, RungError):
        found = None
    if found is not None:
        return found
    try:
        # Only the names leave this function, never the model.
        return feature_names(ws.load_artifact(record, read=ArtifactRead("inspect")))
    except RungError:
        return None


def _from_skops_schema(ws: Workspace, record: ArtifactRecord) -> list[str] | None:
    folder = ws.artifacts.open_folder(record.uri)
    for path in sorted(folder.rglob("*.skops")):
        with zipfile.ZipFile(path) as archive:
            schema = json.loads(archive.read("schema.json"))
        return _shallowest(schema)
    return None


def _shallowest(schema: Any) -> list[str] | None:
    """Breadth-first: the outermost estimator's names (a Pipeline's first step)."""
    queue: deque[Any] = deque([schema])
    seen = 0
    while queue and seen < _MAX_NODES:
        node = queue.popleft()
        seen += 1
        if isinstance(node, dict):
            if _ATTRIBUTE in node:
                return _strings(node[_ATTRIBUTE])
            queue.extend(node.values())
        elif isinstance(node, list):
            queue.extend(node)
    return None


def _strings(node: Any) -> list[str] | None:
    """Decode skops' JSON form of an object array of str."""
    items = node.get("content") if isinstance(node, dict) else None
    if not isinstance(items, list):
        return None
    names = []
    for item in items:
        if not isinstance(item, dict) or item.get("__class__") != "str":
            return None
        names.append(str(json.loads(item["content"])))
    return names
