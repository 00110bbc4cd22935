"""The field log: aggregated counts per session, team and street segment (schema version 2 of canvass ≤ 0.1)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "field_events",
        sa.Column("id", ID, sa.Identity(), primary_key=True),
        sa.Column("campaign_id", ID, sa.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
        sa.Column("session", sa.Text, nullable=False),
        sa.Column("team", sa.Text, nullable=False),
        sa.Column("segment_id", ID, nullable=False),
        sa.Column("doors_knocked", sa.Integer, sa.CheckConstraint("doors_knocked >= 0"), nullable=False),
        sa.Column("doors_opened", sa.Integer, sa.CheckConstraint("doors_opened >= 0 AND doors_opened <= doors_knocked"), nullable=False),
        sa.Column("outcomes", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.Text, nullable=False),
        sa.Column("author", sa.Text, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("field_events_by_campaign", "field_events", ["campaign_id", "session", "segment_id"])
    op.execute(sa.text("INSERT INTO schema_version (version, applied_at) VALUES (2, CURRENT_TIMESTAMP)"))


def downgrade() -> None:
    raise NotImplementedError("campaign databases are not downgraded: restore a backup made before the upgrade")
