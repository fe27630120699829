"""A bundle on disk: its manifest, its content hash, and opening it to run."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rung.errors import PackagingError
from rung.packaging._docker import image_name

__all__ = [
    "BUNDLE_TAG",
    "MANIFEST_NAME",
    "RUN_CONFIG_NAME",
    "Bundle",
    "content_hash",
    "file_hashes",
    "open_bundle",
]

MANIFEST_NAME = "rung-bundle.json"
RUN_CONFIG_NAME = "rung-run.yaml"
BUNDLE_TAG = "rung.bundle"
FORMAT = 1
_CHUNK = 1 << 20
# Derived files that running a bundle may leave behind: never part of its content.
_CACHE_DIRS = {"__pycache__"}
_TOP_LEVEL_SKIPPED = {MANIFEST_NAME, ".rung"}


@dataclass(frozen=True, slots=True)
class Bundle:
    """A pipeline bundle written by :func:`package_pipeline`.

    Attributes:
        path: the bundle folder.
        name: the pipeline's name.
        pipeline: the pipeline inside the bundle, ``pipeline/file.py:attr``.
        parameters: the resolved parameters stored in ``rung-run.yaml``.
        content_hash: SHA-256 over every file except the manifest.
        rung_version: the Rung version that built it.
        python_version: the Python version it was built (and locked) with.
        created_at: when it was built (ISO 8601, UTC).
        rung_install: ``wheels/rung-….whl`` (bundled) or ``rung==x.y.z`` (pinned).
        unresolved_imports: imports found neither next to the pipeline nor
            installed; the bundle may fail to run when one is really needed.
        runtime_parameters: required parameters left to run time: every run
            gives them (``rung run BUNDLE -p NAME=VALUE``).

    Example:
        >>> from rung.packaging import open_bundle
        >>> bundle = open_bundle("dist")  # doctest: +SKIP
        >>> bundle.run_tags  # doctest: +SKIP
        {'rung.bundle': '5d52c03f…'}
    """

    path: Path
    name: str
    pipeline: str
    parameters: Mapping[str, Any]
    content_hash: str
    rung_version: str
    python_version: str
    created_at: str
    rung_install: str
    unresolved_imports: tuple[str, ...] = field(default=())
    runtime_parameters: tuple[str, ...] = field(default=())

    @property
    def reference(self) -> str:
        """The ``path/file.py:attr`` reference that loads the bundled pipeline."""
        file, _, attr = self.pipeline.partition(":")
        return f"{self.path / file}:{attr}"

    @property
    def config_path(self) -> Path:
        """The bundled run configuration (resolved parameters)."""
        return self.path / RUN_CONFIG_NAME

    @property
    def image_name(self) -> str:
        """A Docker image name for ``docker build -t`` (the pipeline's name)."""
        return image_name(self.name)

    @property
    def run_tags(self) -> dict[str, str]:
        """Tags a run started from this bundle records: ``rung.bundle`` = hash."""
        return {BUNDLE_TAG: self.content_hash}

    def size_bytes(self) -> int:
        """The total size of the bundle's files."""
        return sum(p.stat().st_size for p in _content_files(self.path).values())


def open_bundle(path: str | Path) -> Bundle:
    """Read a bundle's manifest and check its files against the content hash.

    Args:
        path: the bundle folder.

    Returns:
        The verified bundle.

    Raises:
        PackagingError: the folder is not a bundle, its manifest is unreadable,
            or a file was changed, added or removed since it was built.

    Example:
        >>> bundle = open_bundle("dist")  # doctest: +SKIP
        >>> client.run_pipeline(  # doctest: +SKIP
        ...     bundle.reference, config=bundle.config_path, tags=bundle.run_tags
        ... )
    """
    folder = Path(path).resolve()
    manifest = read_manifest(folder)
    actual = content_hash(folder)
    if actual != manifest["content_hash"]:
        changes = _describe_changes(manifest.get("files", {}), file_hashes(folder))
        raise PackagingError(
            f"Bundle content does not match its hash in {folder / MANIFEST_NAME} "
            f"({changes}).",
            bundle=str(folder),
            reason="stale_bundle",
        )
    return bundle_from_manifest(folder, manifest)


def read_manifest(folder: Path) -> dict[str, Any]:
    """Load ``rung-bundle.json`` from ``folder`` (no hash check).

    Raises:
        PackagingError: no manifest, not JSON, or required keys missing.
    """
    file = folder / MANIFEST_NAME
    if not file.is_file():
        raise PackagingError(
            f"{folder} is not a Rung bundle: it has no {MANIFEST_NAME}.",
            bundle=str(folder),
            reason="not_a_bundle",
        )
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PackagingError(
            f"Cannot read {file}: {exc}.", bundle=str(folder), reason="stale_bundle"
        ) from None
    required = {"format", "name", "pipeline", "content_hash"}
    missing = sorted(required - set(data)) if isinstance(data, dict) else required
    if missing:
        raise PackagingError(
            f"{file} lacks {sorted(missing)}.",
            bundle=str(folder),
            reason="stale_bundle",
        )
    if data["format"] != FORMAT:
        raise PackagingError(
            f"{file} has bundle format {data['format']!r}; this Rung reads format "
            f"{FORMAT}.",
            bundle=str(folder),
            reason="old_format",
        )
    return dict(data)


def bundle_from_manifest(folder: Path, manifest: Mapping[str, Any]) -> Bundle:
    """Build a :class:`Bundle` from a manifest's fields."""
    return Bundle(
        path=folder,
        name=str(manifest["name"]),
        pipeline=str(manifest["pipeline"]),
        parameters=dict(manifest.get("parameters", {})),
        content_hash=str(manifest["content_hash"]),
        rung_version=str(manifest.get("rung_version", "")),
        python_version=str(manifest.get("python_version", "")),
        created_at=str(manifest.get("created_at", "")),
        rung_install=str(manifest.get("rung_install", "")),
        unresolved_imports=tuple(manifest.get("unresolved_imports", ())),
        runtime_parameters=tuple(manifest.get("runtime_parameters", ())),
    )


def content_hash(root: Path) -> str:
    """SHA-256 over the bundle's files, in sorted path order.

    Each file adds ``\\0path\\0<relative path>\\0`` and then its bytes, the
    scheme of ``rung._internal.hashing.hash_tree``. That function hashes every
    file, though, and a bundle's hash must leave out the manifest (it holds
    the hash) and the caches running it creates (``__pycache__/``, ``.rung/``).
    """
    digest = hashlib.sha256()
    for rel, path in _content_files(root).items():
        digest.update(b"\0path\0" + rel.encode("utf-8") + b"\0")
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


def file_hashes(root: Path) -> dict[str, str]:
    """SHA-256 of each content file, by relative path (for change reports)."""
    hashes: dict[str, str] = {}
    for rel, path in _content_files(root).items():
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
        hashes[rel] = digest.hexdigest()
    return hashes


def _content_files(root: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for dirpath, dirs, names in os.walk(root):
        here = Path(dirpath)
        dirs[:] = [d for d in dirs if d not in _CACHE_DIRS]
        if here == root:
            dirs[:] = [d for d in dirs if d not in _TOP_LEVEL_SKIPPED]
        for name in names:
            if name.endswith(".pyc") or (here == root and name in _TOP_LEVEL_SKIPPED):
                continue
            path = here / name
            found[path.relative_to(root).as_posix()] = path
    return dict(sorted(found.items()))


def _describe_changes(recorded: Mapping[str, str], actual: Mapping[str, str]) -> str:
    changed = sorted(
        k for k in recorded.keys() & actual.keys() if recorded[k] != actual[k]
    )
    parts = [
        f"{label}: {', '.join(names[:5])}{' …' if len(names) > 5 else ''}"
        for label, names in (
            ("changed", changed),
            ("added", sorted(actual.keys() - recorded.keys())),
            ("removed", sorted(recorded.keys() - actual.keys())),
        )
        if names
    ]
    return "; ".join(parts) or "the manifest was edited"
