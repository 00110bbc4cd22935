"""Tables of the campaign store, as the latest migration leaves them (for queries; the migrations create them).

Times are ISO 8601 text in UTC (``2026-03-14T10:00:00.000000+00:00``), as
canvass ≤ 0.1 wrote them; values are JSON text. ``login_failures.last_failure_at``
is a Unix time in seconds.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

campaigns = sa.Table(
    "campaigns", metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
)

documents = sa.Table(
    "documents", metadata,
    sa.Column("campaign_id", sa.BigInteger, sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("kind", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.Text, nullable=False),
    sa.Column("updated_by", sa.Text, nullable=False),
)

history = sa.Table(
    "history", metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("campaign_id", sa.BigInteger, sa.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("author", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.Text, nullable=False),
)

field_events = sa.Table(
    "field_events", metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("campaign_id", sa.BigInteger, sa.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    sa.Column("session", sa.Text, nullable=False),
    sa.Column("team", sa.Text, nullable=False),
    sa.Column("segment_id", sa.BigInteger, nullable=False),
    sa.Column("doors_knocked", sa.Integer, nullable=False),
    sa.Column("doors_opened", sa.Integer, nullable=False),
    sa.Column("outcomes", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.Text, nullable=False),
    sa.Column("author", sa.Text, nullable=False),
    sa.Column("entry_key", sa.Text, nullable=True),  # the phone's id of an entry sent from a team page (unique per campaign), else NULL
)

login_failures = sa.Table(
    "login_failures", metadata,
    sa.Column("campaign_id", sa.BigInteger, sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("client", sa.Text, primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_failure_at", sa.Float, nullable=False),
)
