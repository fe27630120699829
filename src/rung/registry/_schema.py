"""The model registry's tables, on the shared ``rung.store.sql.schema``.

Created by migration ``0002_registry``. A model has a surrogate id so that its
versions, aliases and approvals reference one short key; ``(project, name)``
is unique. The audit log (``registry_events``) keeps names, not ids, so it
reads on its own.
"""

from __future__ import annotations

import sqlalchemy as sa

from rung.store.sql import BIG_ID as _BIG_ID
from rung.store.sql import schema

__all__ = [
    "model_aliases",
    "model_approvals",
    "model_versions",
    "models",
    "registry_events",
    "registry_roles",
]

_VERSION_KEY = ("model_versions.model_id", "model_versions.version")

models = sa.Table(
    "models",
    schema,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("project", sa.String, nullable=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("user", sa.String, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("tags", sa.Text, nullable=False),
    sa.Column("gates", sa.Text, nullable=False),
    sa.UniqueConstraint("project", "name"),
)

model_versions = sa.Table(
    "model_versions",
    schema,
    sa.Column(
        "model_id",
        sa.String,
        sa.ForeignKey("models.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column(
        "artifact_id",
        sa.String,
        sa.ForeignKey("artifacts.id"),
        nullable=False,
        index=True,
    ),
    sa.Column("user", sa.String, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("state", sa.String, nullable=False),
    sa.Column("run_id", sa.String),
    sa.Column("step_run_id", sa.String),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("metrics", sa.Text, nullable=False),
    sa.Column("tags", sa.Text, nullable=False),
    sa.Column("signature", sa.Text),
    sa.Column("framework", sa.String),
    sa.Column("framework_version", sa.String),
    sa.Column("git_commit", sa.String),
    sa.Column("source_hash", sa.String),
    sa.Column("training_data", sa.Text, nullable=False),
    sa.Column("card", sa.Text, nullable=False),
)

model_aliases = sa.Table(
    "model_aliases",
    schema,
    sa.Column("model_id", sa.String, primary_key=True),
    sa.Column("alias", sa.String, primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("user", sa.String, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
    sa.ForeignKeyConstraint(["model_id", "version"], _VERSION_KEY, ondelete="CASCADE"),
)

model_approvals = sa.Table(
    "model_approvals",
    schema,
    sa.Column("id", _BIG_ID, primary_key=True, autoincrement=True),
    sa.Column("model_id", sa.String, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("alias", sa.String, nullable=False),
    sa.Column("user", sa.String, nullable=False),
    sa.Column("decision", sa.String, nullable=False),
    sa.Column("comment", sa.Text, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.ForeignKeyConstraint(["model_id", "version"], _VERSION_KEY, ondelete="CASCADE"),
    sa.Index("ix_model_approvals_model_id_version", "model_id", "version"),
)

registry_roles = sa.Table(
    "registry_roles",
    schema,
    sa.Column("project", sa.String, primary_key=True),
    sa.Column("user", sa.String, primary_key=True),
    sa.Column("role", sa.String, primary_key=True),
    sa.Column("granted_by", sa.String, nullable=False),
    sa.Column("granted_at", sa.Double, nullable=False),
)

registry_events = sa.Table(
    "registry_events",
    schema,
    sa.Column("id", _BIG_ID, primary_key=True, autoincrement=True),
    sa.Column("project", sa.String, nullable=False),
    sa.Column("action", sa.String, nullable=False),
    sa.Column("user", sa.String, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("model", sa.String),
    sa.Column("version", sa.Integer),
    sa.Column("alias", sa.String),
    sa.Column("from_version", sa.Integer),
    sa.Column("to_version", sa.Integer),
    sa.Column("comment", sa.Text, nullable=False),
    sa.Column("details", sa.Text, nullable=False),
    sa.Index("ix_registry_events_project_model", "project", "model"),
)
