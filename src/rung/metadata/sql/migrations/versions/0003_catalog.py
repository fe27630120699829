"""Data catalog: datasets, versions, schema, dataset reads.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 00:00:00
"""

from __future__ import annotations

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the catalog tables."""


def downgrade() -> None:
    """Drop the catalog tables."""
