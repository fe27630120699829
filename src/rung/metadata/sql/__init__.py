"""The SQL metadata backend: SQLAlchemy Core on SQLite or PostgreSQL.

Importing this package imports SQLAlchemy; ``rung.metadata`` loads it lazily.
"""

from __future__ import annotations

from rung.metadata.sql.store import SqlMetadataStore

__all__ = ["SqlMetadataStore"]
