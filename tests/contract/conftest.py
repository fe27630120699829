"""The ``store`` fixture shared by the metadata contract suites."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.contract._stores import BACKENDS, backend_url, opened

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from rung.metadata import RunStore


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunStore]:
    """A fresh, empty store of each backend, closed after the test."""
    with backend_url(request.param, tmp_path) as url:
        yield from opened(url)
