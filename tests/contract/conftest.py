"""The ``store`` fixture shared by the metadata contract suites."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.contract._stores import BACKENDS, opened, pg_schema_url

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from rung.metadata import RunStore


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunStore]:
    """A fresh, empty store of each backend, closed after the test."""
    if request.param == "postgresql":
        with pg_schema_url() as url:
            yield from opened(url)
    elif request.param == "sqlite":
        yield from opened(f"sqlite:///{tmp_path / 'metadata.db'}")
    else:
        yield from opened("memory://")
