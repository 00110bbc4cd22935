"""Campaign databases written by canvass ≤ 0.1 (hand-written migrations, ``schema_version`` table) open with the Alembic store.

The dumps in ``data/`` were made by that store (see their first lines): the
same rows on SQLite and on PostgreSQL, at schema versions 1 and 2.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from canvass.campaign.store import LATEST_VERSION, open_store

DATA = Path(__file__).with_name("data")


def _load_dump(url: str, version: int) -> None:
    if url.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute((DATA / f"legacy_v{version}.postgresql.sql").read_text(encoding="utf-8"))
    else:
        Path(url).parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(url) as connection:
            connection.executescript((DATA / f"legacy_v{version}.sqlite.sql").read_text(encoding="utf-8"))


@pytest.mark.parametrize("version", [1, 2])
def test_database_of_the_old_store_opens_and_is_upgraded(url, version):
    _load_dump(url, version)
    with open_store(url) as store:
        assert store.schema_version == LATEST_VERSION
        with store._read() as connection:
            legacy_versions = connection.execute(sa.text("SELECT version FROM schema_version ORDER BY version")).scalars().all()
            old_hash = connection.execute(sa.text("SELECT password_hash FROM campaigns")).scalar_one()
        assert legacy_versions == list(range(1, LATEST_VERSION + 1))  # canvass 0.1 would now refuse this database as newer
        campaign = store.find_campaign("Ancienne campagne")
        assert campaign.created_by == "alice" and campaign.created_at.tzinfo is not None
        strategy = store.get(campaign, "strategy", "main")
        assert (strategy.value, strategy.version, strategy.updated_by) == ({"w": 0.7, "camp": ["gauche"]}, 2, "bob")
        assert [(entry.kind, entry.version, entry.author) for entry in store.history(campaign)] == [
            ("teams", 1, "alice"), ("strategy", 2, "bob"), ("strategy", 1, "alice")]
        assert store.done_segments(campaign) == ({12, 40} if version == 2 else set())
        # the old scrypt hash still opens the campaign, and the first login replaces it by an argon2id hash
        assert old_hash.startswith("scrypt$")
        assert not store.login(campaign, "mauvais", client="10.0.0.1")
        assert store.login(campaign, "ancien mot de passe", client="10.0.0.2")
        with store._read() as connection:
            assert connection.execute(sa.text("SELECT password_hash FROM campaigns")).scalar_one().startswith("$argon2id$")
        assert store.check_password(campaign, "ancien mot de passe")
        # new rows continue the old id sequences, and saves go on from the old versions
        entry = store.log_field(campaign, session="dimanche", team="Gare", segment_id=41, doors_knocked=5, doors_opened=2, author="carol")
        assert entry == (3 if version == 2 else 1)
        assert store.put(campaign, "strategy", "main", {"w": 0.9}, expected_version=2, author="carol") == 3
        other = store.create_campaign("Nouvelle", "pw", author="carol")
        assert other.id == campaign.id + 1
    with open_store(url) as again:  # opening it a second time changes nothing
        assert again.schema_version == LATEST_VERSION
        assert again.get(campaign, "strategy", "main").version == 3
