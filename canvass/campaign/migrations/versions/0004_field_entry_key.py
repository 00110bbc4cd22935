"""Field entries sent from a phone carry the id the phone gave them: a resend of the same entry is stored once."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("field_events", sa.Column("entry_key", sa.Text, nullable=True))
    # NULL keys (entries typed in the app, CSV imports) never collide: both SQLite and PostgreSQL treat NULLs as distinct here.
    op.create_index("field_events_entry_key", "field_events", ["campaign_id", "entry_key"], unique=True)
    op.execute(sa.text("INSERT INTO schema_version (version, applied_at) VALUES (4, CURRENT_TIMESTAMP)"))


def downgrade() -> None:
    raise NotImplementedError("campaign databases are not downgraded: restore a backup made before the upgrade")
