"""Alembic environment of the campaign store: runs on the connection :func:`canvass.campaign.store.open_store` passes in.

New migrations: ``alembic -c canvass/campaign/migrations/alembic.ini revision -m "..."``,
then write the step by hand (no autogenerate: each step is frozen once released).
Each step also records its number in the legacy ``schema_version`` table, so that
canvass ≤ 0.1 refuses a database it does not know instead of writing into it.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("the campaign store migrations run from canvass.campaign.store.open_store, which passes the connection")
context.configure(connection=connection, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
