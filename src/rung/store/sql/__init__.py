"""SQL infrastructure: one engine per database, the shared schema, one migration chain.

Only this package and the domains' ``_sql.py`` / ``_schema.py`` modules import
SQLAlchemy. Each domain declares its tables on :data:`schema` (one
``MetaData``, so foreign keys may cross domains) and implements its store over
a :class:`Database`.
"""

from __future__ import annotations

from rung.store.sql._direct import DirectConnection, DirectResult, SqlConnection
from rung.store.sql._engine import STORE_GROUP, Database, load_schema
from rung.store.sql._migrate import HEAD_REVISION, MIGRATIONS_DIR
from rung.store.sql._rows import id_candidates, insert_ignore, upsert
from rung.store.sql._schema import BIG_ID, schema

__all__ = [
    "BIG_ID",
    "HEAD_REVISION",
    "MIGRATIONS_DIR",
    "STORE_GROUP",
    "Database",
    "DirectConnection",
    "DirectResult",
    "SqlConnection",
    "id_candidates",
    "insert_ignore",
    "load_schema",
    "schema",
    "upsert",
]
