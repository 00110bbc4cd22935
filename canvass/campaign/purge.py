"""Erasure for data protection (RGPD/CNIL): the field log older than a date, or a whole campaign.

Deleted rows are scrubbed, not only unlinked: SQLite runs with
``secure_delete`` (freed pages are zeroed) and its write-ahead log is
checkpointed and truncated afterwards, so the text no longer sits in the files;
PostgreSQL tables are vacuumed (the server reuses the space; its own WAL
archives and backups follow their own retention).
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from canvass.campaign import schema as t
from canvass.campaign.store import Campaign, Store, UnknownCampaignError, _campaign_id

CAMPAIGN_TIME = ZoneInfo("Europe/Paris")
"""Time zone of dates given without one (a French campaign's calendar)."""


def purge(store: Store, campaign: Campaign | int, *, before: date | datetime) -> int:
    """Delete the campaign's field log entries recorded before ``before``; return how many were deleted.

    A date means midnight at its start, Paris time; a naive datetime is Paris
    time too. Entries of that day and later are kept.
    """
    cutoff = _utc_text(before)
    campaign_id = _campaign_id(campaign)
    events = t.field_events
    with store._write() as connection:
        _check(connection, campaign_id)
        deleted = connection.execute(events.delete().where(events.c.campaign_id == campaign_id, events.c.recorded_at < cutoff)).rowcount
    _scrub(store, [events])
    return int(deleted)


def purge_campaign(store: Store, campaign: Campaign | int) -> dict[str, int]:
    """Delete a whole campaign: its documents, history, field log, login counts, and the campaign itself.

    Return the number of rows deleted per table (``campaigns`` is 1).

    Raises
    ------
    UnknownCampaignError
        If the campaign does not exist (nothing is deleted).
    """
    campaign_id = _campaign_id(campaign)
    tables = (t.documents, t.history, t.field_events, t.login_failures)
    with store._write() as connection:
        _check(connection, campaign_id)
        deleted = {table.name: int(connection.execute(table.delete().where(table.c.campaign_id == campaign_id)).rowcount) for table in tables}
        deleted["campaigns"] = int(connection.execute(t.campaigns.delete().where(t.campaigns.c.id == campaign_id)).rowcount)
    _scrub(store, [*tables, t.campaigns])
    return deleted


def _check(connection: sa.Connection, campaign_id: int) -> None:
    if connection.execute(sa.select(t.campaigns.c.id).where(t.campaigns.c.id == campaign_id)).first() is None:
        raise UnknownCampaignError(f"no campaign with id {campaign_id}: nothing was deleted")


def _utc_text(moment: date | datetime) -> str:
    """``moment`` as the store writes times (ISO 8601, UTC, microseconds), for comparing with stored text."""
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time(0, 0))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CAMPAIGN_TIME)
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _scrub(store: Store, tables: list[sa.Table]) -> None:
    """Make deleted rows unreadable in the database files (see the module docstring)."""
    if store.dialect == "sqlite":
        raw = store._engine.raw_connection()  # outside any transaction, or the log could not be truncated
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
        return
    with store._storage_errors(), store._engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in tables:
            connection.exec_driver_sql(f"VACUUM {table.name}")
