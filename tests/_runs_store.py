"""A runs store on a private database, closable: for tests of the SQL backend."""

from __future__ import annotations

from typing import Any

from rung.store.sql import Database


class RunsStore:
    """``ws.runs`` of a database opened just for one test (``close()`` closes it).

    Args:
        url: the database URL.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.database = Database(url)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.database.open_store("runs"), name)

    def close(self) -> None:
        """Close the database (a later call opens it again)."""
        self.database.close()
