"""Campaigns, versioned documents, history of saves (schema version 1 of canvass ≤ 0.1)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
"""Row ids: BIGINT identity on PostgreSQL, INTEGER PRIMARY KEY AUTOINCREMENT on SQLite (as canvass ≤ 0.1 made them)."""


def upgrade() -> None:
    op.create_table(
        "schema_version",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("applied_at", sa.Text, nullable=False),
    )
    op.create_table(
        "campaigns",
        sa.Column("id", ID, sa.Identity(), primary_key=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "documents",
        sa.Column("campaign_id", ID, sa.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, sa.CheckConstraint("version >= 1"), nullable=False),
        sa.Column("updated_at", sa.Text, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "kind", "key"),
    )
    op.create_table(
        "history",
        sa.Column("id", ID, sa.Identity(), primary_key=True),
        sa.Column("campaign_id", ID, sa.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("author", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.Text, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("history_by_campaign", "history", ["campaign_id", "kind", "id"])
    op.execute(sa.text("INSERT INTO schema_version (version, applied_at) VALUES (1, CURRENT_TIMESTAMP)"))


def downgrade() -> None:
    raise NotImplementedError("campaign databases are not downgraded: restore a backup made before the upgrade")
