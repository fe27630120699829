"""Store infrastructure shared by every domain: backends, rules, one migration chain.

A workspace records into one *backend* (a SQL database today; a Rung server
later) that hands out one typed store per domain: ``backend.open_store("models")``.
Domains own their records, their store Protocol and their SQL; this package
owns only what they share:

- :func:`open_backend` picks a backend by URL scheme (``sqlite``,
  ``postgresql``, ``memory``, or a plugin's);
- the rules every store keeps (JSON round-trips, key checks, id prefixes);
- ``rung.store.sql``: the engine, SQLite tuning, retries, error translation
  and the single Alembic chain (imported only when a SQL backend opens).

Importing this package imports no SQLAlchemy.

Example:
    >>> from rung.store import open_backend
    >>> backend = open_backend("memory://")
    >>> backend.open_store("runs").list_runs()
    []
    >>> backend.close()
"""

from __future__ import annotations

from rung.store._backend import StoreBackend, open_backend
from rung.store._rules import (
    MAX_CANDIDATES,
    MIN_PREFIX,
    SHOWN_CANDIDATES,
    already_exists,
    check_changeable,
    check_choice,
    check_keys,
    clean_mapping,
    clean_params,
    clean_strings,
    dump_json,
    load_json,
    refuse_ambiguous,
)

__all__ = [
    "MAX_CANDIDATES",
    "MIN_PREFIX",
    "SHOWN_CANDIDATES",
    "StoreBackend",
    "already_exists",
    "check_changeable",
    "check_choice",
    "check_keys",
    "clean_mapping",
    "clean_params",
    "clean_strings",
    "dump_json",
    "load_json",
    "open_backend",
    "refuse_ambiguous",
]
