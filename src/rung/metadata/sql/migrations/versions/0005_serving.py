"""Serving: deployments, prediction batches, feedback.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 00:00:00
"""

from __future__ import annotations

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the serving tables."""


def downgrade() -> None:
    """Drop the serving tables."""
