"""Wrong-password counts per campaign and client (login throttling); an index to trim the history per document."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("campaign_id", ID, sa.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
        sa.Column("client", sa.Text, nullable=False),
        sa.Column("failures", sa.Integer, sa.CheckConstraint("failures >= 0"), nullable=False),
        sa.Column("last_failure_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "client"),
    )
    op.create_index("history_by_document", "history", ["campaign_id", "kind", "key", "version"])
    op.execute(sa.text("INSERT INTO schema_version (version, applied_at) VALUES (3, CURRENT_TIMESTAMP)"))


def downgrade() -> None:
    raise NotImplementedError("campaign databases are not downgraded: restore a backup made before the upgrade")
