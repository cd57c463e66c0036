"""Alembic environment: runs on the connection openscf hands it (see store.db.migrate)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from openscf.store.tables import metadata

config = context.config
connection = config.attributes.get("connection")

if connection is None:
    # Command-line use: `alembic -x url=sqlite:///openscf.db upgrade head`.
    url = context.get_x_argument(as_dictionary=True).get("url", "sqlite:///openscf.db")
    with create_engine(url).begin() as connection:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
