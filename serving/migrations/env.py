"""Alembic environment for the operational store, run programmatically by
`serving.db.migrate` (there is no alembic.ini): the caller passes an open connection in
`config.attributes["connection"]`."""

from __future__ import annotations

from alembic import context

from serving.db.models import Base

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTERs go through batches
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
