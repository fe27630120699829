"""Packaging: a pipeline as a self-contained bundle folder, and running one.

``package_pipeline`` writes the pipeline's source and local modules, its
resolved configuration, a lock of exact package versions, a wheel of Rung when
it is installed from source, a Dockerfile and a manifest with the bundle's
content hash. ``open_bundle`` checks that hash before a bundle runs.

Example:
    >>> from rung.packaging import open_bundle, package_pipeline
    >>> bundle = package_pipeline("train.py:training", "dist")  # doctest: +SKIP
    >>> open_bundle("dist").content_hash == bundle.content_hash  # doctest: +SKIP
    True
"""

from __future__ import annotations

from rung.packaging._bundle import BUNDLE_TAG, Bundle, open_bundle
from rung.packaging._package import package_pipeline

__all__ = ["BUNDLE_TAG", "Bundle", "open_bundle", "package_pipeline"]
