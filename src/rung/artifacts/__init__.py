"""Artifacts: immutable, content-addressed values in a store.

``save_value`` picks a materializer for a value, writes it to a temp folder,
hashes it and puts it in an ``ArtifactStore`` under ``objects/<id[:2]>/<id>``;
``load_value`` checks the stored bytes against the id and reads them back.
Safe formats only (JSON, NumPy, Parquet, skops with an exact list of trusted
types); pickle needs an explicit opt-in, on save and on load.
``collect_garbage`` removes what writes killed halfway left behind.

Names load lazily (PEP 562): ``import rung.artifacts`` imports neither fsspec
nor pandas, numpy, pyarrow or scikit-learn.

Example:
    >>> from rung.artifacts import InMemoryArtifactStore, load_value, save_value
    >>> with InMemoryArtifactStore() as store:
    ...     load_value(store, save_value(store, {"rows": 3}))
    {'rows': 3}
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rung.artifacts._gc import StaleTemporary, collect_garbage
    from rung.artifacts._open import open_artifact_store
    from rung.artifacts._registry import (
        allow_pickle,
        materializer_fingerprint,
        materializer_for,
        register_materializer,
        trust_types,
    )
    from rung.artifacts._values import (
        export_value,
        load_value,
        save_value,
        staging_folder,
        value_handoff,
        verify,
    )
    from rung.artifacts.base import (
        ArtifactStore,
        EncodingMaterializer,
        Materializer,
        StoredArtifact,
    )
    from rung.artifacts.fsspec_store import FsspecArtifactStore
    from rung.artifacts.memory import InMemoryArtifactStore

__all__ = [
    "ArtifactStore",
    "EncodingMaterializer",
    "FsspecArtifactStore",
    "InMemoryArtifactStore",
    "Materializer",
    "StaleTemporary",
    "StoredArtifact",
    "allow_pickle",
    "collect_garbage",
    "export_value",
    "load_value",
    "materializer_fingerprint",
    "materializer_for",
    "open_artifact_store",
    "register_materializer",
    "save_value",
    "staging_folder",
    "trust_types",
    "value_handoff",
    "verify",
]

_HOMES = {
    "ArtifactStore": "rung.artifacts.base",
    "EncodingMaterializer": "rung.artifacts.base",
    "Materializer": "rung.artifacts.base",
    "StoredArtifact": "rung.artifacts.base",
    "FsspecArtifactStore": "rung.artifacts.fsspec_store",
    "InMemoryArtifactStore": "rung.artifacts.memory",
    "StaleTemporary": "rung.artifacts._gc",
    "collect_garbage": "rung.artifacts._gc",
    "open_artifact_store": "rung.artifacts._open",
    "allow_pickle": "rung.artifacts._registry",
    "materializer_fingerprint": "rung.artifacts._registry",
    "materializer_for": "rung.artifacts._registry",
    "register_materializer": "rung.artifacts._registry",
    "trust_types": "rung.artifacts._registry",
    "export_value": "rung.artifacts._values",
    "load_value": "rung.artifacts._values",
    "save_value": "rung.artifacts._values",
    "staging_folder": "rung.artifacts._values",
    "value_handoff": "rung.artifacts._values",
    "verify": "rung.artifacts._values",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'rung.artifacts' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
