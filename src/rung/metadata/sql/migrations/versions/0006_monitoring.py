"""Monitoring: monitors, evaluations, alerts.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 00:00:00
"""

from __future__ import annotations

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the monitoring tables."""


def downgrade() -> None:
    """Drop the monitoring tables."""
