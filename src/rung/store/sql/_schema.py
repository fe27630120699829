"""The one ``MetaData`` every domain's tables are declared on.

The schema is created and changed only by the Alembic scripts in
``migrations/``; the domains' tables describe the head revision for queries,
and a test checks that both agree. Types are portable between SQLite and
PostgreSQL: times are POSIX seconds in DOUBLE columns, mappings are JSON text.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["BIG_ID", "NAMING_CONVENTION", "schema"]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

schema = sa.MetaData(naming_convention=NAMING_CONVENTION)
"""Every Rung table, whatever its domain."""

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
"""An autoincrementing id: SQLite only aliases the rowid for INTEGER PRIMARY KEY."""
