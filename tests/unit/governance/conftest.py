"""Fixtures for governance: a catalog with Canadian health claims, policies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest

from rung.catalog import _read, add_read_check, register_dataset
from rung.governance import apply_policies

if TYPE_CHECKING:
    from rung.workspace import Workspace

POLICIES = """\
policies:
  - name: ca-health-stays-in-ca
    description: Health data from Canada is processed in Canada only.
    match: {tags: [health], region: CA}
    allow_regions: [CA]
  - name: pii-hashed-before-egress
    match: {tags: [pii]}
    egress: drop_or_hash
"""


def claims_frame() -> pd.DataFrame:
    """Three health claims: id, email (pii), diagnosis, amount."""
    return pd.DataFrame(
        {
            "id": [1, 2, 3],
            "email": ["a@x.ca", "b@y.ca", None],
            "diagnosis": ["flu", "cold", "flu"],
            "amount": [10.0, 20.0, 30.0],
        }
    )


@pytest.fixture(autouse=True)
def _read_check_registered() -> Iterator[None]:
    """Governance's read check is on (as after any run), and nothing leaks."""
    checks = _read._checks.entries()
    add_read_check("rung.governance:check_read")
    yield
    _read._checks.replace(checks)


@pytest.fixture
def claims_csv(tmp_path: Path) -> Path:
    """``claims.csv`` holding :func:`claims_frame`."""
    path = tmp_path / "data" / "claims.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    claims_frame().to_csv(path, index=False)
    return path


@pytest.fixture
def catalog(workspace: Workspace, claims_csv: Path) -> Workspace:
    """The workspace with ``claims`` (health, CA; email is pii) registered."""
    register_dataset(
        workspace,
        "claims",
        str(claims_csv),
        tags=["health"],
        region="CA",
        column_tags={"email": ["pii"]},
    )
    return workspace


@pytest.fixture
def governed(catalog: Workspace) -> Workspace:
    """The catalog workspace with the CA-health and pii-egress policies applied."""
    apply_policies(catalog, POLICIES)
    return catalog
