"""Alembic environment for Rung's metadata schema.

Rung migrates in code (``rung.store.sql._migrate``) and hands Alembic an
open connection, already inside a transaction and holding the migration lock,
in ``config.attributes["connection"]``. Developers can also run Alembic by
hand: ``alembic -x url=sqlite:///.rung/metadata.db upgrade head`` with a
config whose ``script_location`` is this folder.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from rung.store.sql._engine import load_schema


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=load_schema(),
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url")
    url = url or context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("Give the database URL: alembic -x url=<url> ...")
    return url


def _main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    if context.is_offline_mode():
        context.configure(url=_url(), target_metadata=load_schema(), literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = sa.create_engine(_url())
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


_main()
