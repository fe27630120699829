"""Model registry: models, versions, aliases, gates, approvals, events.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 00:00:00

Portable types only (see 0001). Gates, metrics, tags, signatures and cards
are JSON text. ``model_versions`` has ``(model_id, version)`` as its primary
key: two registrations that pick the same number cannot both commit.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TABLES = (
    "models",
    "model_versions",
    "model_aliases",
    "model_approvals",
    "registry_roles",
    "registry_events",
)


def upgrade() -> None:
    """Create the registry tables."""
    _create_models()
    _create_versions()
    _create_aliases_and_approvals()
    _create_roles_and_events()


def downgrade() -> None:
    """Drop the registry tables (registered models and their history are lost)."""
    for table in reversed(_TABLES):
        op.drop_table(table)


def _col(name: str, type_: sa.types.TypeEngine[Any], *, null: bool) -> sa.Column[Any]:
    return sa.Column(name, type_, nullable=null)


def _pk(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*columns, name=f"pk_{table}")


def _version_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["model_id", "version"],
        ["model_versions.model_id", "model_versions.version"],
        name=f"fk_{table}_model_id_model_versions",
        ondelete="CASCADE",
    )


def _create_models() -> None:
    op.create_table(
        "models",
        _col("id", sa.String(), null=False),
        _col("project", sa.String(), null=False),
        _col("name", sa.String(), null=False),
        _col("user", sa.String(), null=False),
        _col("created_at", sa.Double(), null=False),
        _col("updated_at", sa.Double(), null=False),
        _col("description", sa.Text(), null=False),
        _col("tags", sa.Text(), null=False),
        _col("gates", sa.Text(), null=False),
        _pk("models", "id"),
        sa.UniqueConstraint("project", "name", name="uq_models_project_name"),
    )


def _create_versions() -> None:
    op.create_table(
        "model_versions",
        _col("model_id", sa.String(), null=False),
        _col("version", sa.Integer(), null=False),
        _col("artifact_id", sa.String(), null=False),
        _col("user", sa.String(), null=False),
        _col("created_at", sa.Double(), null=False),
        _col("state", sa.String(), null=False),
        _col("run_id", sa.String(), null=True),
        _col("step_run_id", sa.String(), null=True),
        _col("description", sa.Text(), null=False),
        _col("metrics", sa.Text(), null=False),
        _col("tags", sa.Text(), null=False),
        _col("signature", sa.Text(), null=True),
        _col("framework", sa.String(), null=True),
        _col("framework_version", sa.String(), null=True),
        _col("git_commit", sa.String(), null=True),
        _col("source_hash", sa.String(), null=True),
        _col("training_data", sa.Text(), null=False),
        _col("card", sa.Text(), null=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["models.id"],
            name="fk_model_versions_model_id_models",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["artifact_id"],
            ["artifacts.id"],
            name="fk_model_versions_artifact_id_artifacts",
        ),
        _pk("model_versions", "model_id", "version"),
    )
    op.create_index("ix_model_versions_artifact_id", "model_versions", ["artifact_id"])


def _create_aliases_and_approvals() -> None:
    op.create_table(
        "model_aliases",
        _col("model_id", sa.String(), null=False),
        _col("alias", sa.String(), null=False),
        _col("version", sa.Integer(), null=False),
        _col("user", sa.String(), null=False),
        _col("updated_at", sa.Double(), null=False),
        _version_fk("model_aliases"),
        _pk("model_aliases", "model_id", "alias"),
    )
    op.create_table(
        "model_approvals",
        _col("id", _BIG_ID, null=False),
        _col("model_id", sa.String(), null=False),
        _col("version", sa.Integer(), null=False),
        _col("alias", sa.String(), null=False),
        _col("user", sa.String(), null=False),
        _col("decision", sa.String(), null=False),
        _col("comment", sa.Text(), null=False),
        _col("created_at", sa.Double(), null=False),
        _version_fk("model_approvals"),
        _pk("model_approvals", "id"),
    )
    op.create_index(
        "ix_model_approvals_model_id_version",
        "model_approvals",
        ["model_id", "version"],
    )


def _create_roles_and_events() -> None:
    op.create_table(
        "registry_roles",
        _col("project", sa.String(), null=False),
        _col("user", sa.String(), null=False),
        _col("role", sa.String(), null=False),
        _col("granted_by", sa.String(), null=False),
        _col("granted_at", sa.Double(), null=False),
        _pk("registry_roles", "project", "user", "role"),
    )
    op.create_table(
        "registry_events",
        _col("id", _BIG_ID, null=False),
        _col("project", sa.String(), null=False),
        _col("action", sa.String(), null=False),
        _col("user", sa.String(), null=False),
        _col("created_at", sa.Double(), null=False),
        _col("model", sa.String(), null=True),
        _col("version", sa.Integer(), null=True),
        _col("alias", sa.String(), null=True),
        _col("from_version", sa.Integer(), null=True),
        _col("to_version", sa.Integer(), null=True),
        _col("comment", sa.Text(), null=False),
        _col("details", sa.Text(), null=False),
        _pk("registry_events", "id"),
    )
    op.create_index(
        "ix_registry_events_project_model", "registry_events", ["project", "model"]
    )
