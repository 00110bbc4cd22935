"""The campaign store, each test run on SQLite and on a real, throwaway PostgreSQL server."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from canvass.campaign.store import (
    LATEST_VERSION,
    OUTCOMES,
    ConflictError,
    UnknownCampaignError,
    open_store,
)
from canvass.errors import CanvassError, InputDataError
from canvass.plan.teams import Team

@pytest.fixture
def store(url):
    with open_store(url) as opened:
        yield opened


@pytest.fixture
def campaign(store):
    return store.create_campaign("Municipales Quimper 2026", "mot de passe", author="alice")


# -- campaigns, documents, history -----------------------------------------------------------------


def test_campaign_survives_a_restart(url):
    team = Team("Centre", 4, (171000.5, 6789000.25), 120.0)
    with open_store(url) as store:
        campaign = store.create_campaign("Quimper", "s3cret!", author="alice")
        store.put(campaign, "territory", "main", {"folder": "data/quimper", "communes": ["29232"]}, expected_version=None, author="alice")
        store.put(campaign, "strategy", "main", {"weight_abstention": np.float64(0.5), "top": np.int64(3)}, expected_version=None, author="alice")
        store.put(campaign, "teams", "main", [asdict(team)], expected_version=None, author="alice")
        store.log_field(campaign, session="samedi 1", team="Centre", segment_id=7, doors_knocked=20, doors_opened=6,
                        outcomes={"soutien": 2, "indécis": 3, "opposant": 1, "absent": 14}, author="alice")
    with open_store(url) as store:
        assert store.schema_version == LATEST_VERSION
        [again] = store.campaigns()
        assert again == campaign
        assert store.check_password(again, "s3cret!") and not store.check_password(again, "s3cret")
        assert store.get(again, "territory", "main").value == {"folder": "data/quimper", "communes": ["29232"]}
        assert store.get(again, "strategy", "main").value == {"weight_abstention": 0.5, "top": 3}
        teams = store.get(again, "teams", "main")
        assert teams.version == 1 and teams.updated_by == "alice"
        assert Team(**{**teams.value[0], "start_xy": tuple(teams.value[0]["start_xy"])}) == team
        log = store.field_log(again)
        assert log[["team", "segment_id", "doors_knocked", "doors_opened", *OUTCOMES]].iloc[0].tolist() == ["Centre", 7, 20, 6, 2, 3, 1, 14, 0]
        assert store.get(again, "plan", "main") is None


def test_passwords_are_salted_hashes(store, campaign):
    other = store.create_campaign("Autre campagne", "mot de passe", author="bob")
    assert store.check_password(campaign, "mot de passe") and not store.check_password(campaign, "Mot de passe")
    with store._read() as connection:
        hashes = connection.execute(sa.text("SELECT password_hash FROM campaigns ORDER BY id")).scalars().all()
    assert hashes[0] != hashes[1] and all("mot de passe" not in value and value.startswith("$argon2id$") for value in hashes)
    assert store.find_campaign("Autre campagne") == other and store.find_campaign("nope") is None
    with pytest.raises(ConflictError, match="already exists"):
        store.create_campaign("Autre campagne", "x", author="carol")
    with pytest.raises(UnknownCampaignError):
        store.check_password(999, "x")
    store.set_password(other, "nouveau", author="bob")
    assert store.check_password(other, "nouveau") and not store.check_password(other, "mot de passe")


def test_second_editor_gets_a_conflict_naming_the_first(url):
    with open_store(url) as first, open_store(url) as second:
        campaign = first.create_campaign("Brest", "pw", author="alice")
        first.put(campaign, "teams", "main", [{"name": "A"}], expected_version=None, author="alice")
        seen_by_alice = first.get(campaign, "teams", "main")
        seen_by_bob = second.get(campaign, "teams", "main")
        assert seen_by_alice.version == seen_by_bob.version == 1
        assert second.put(campaign, "teams", "main", [{"name": "A"}, {"name": "B"}], expected_version=seen_by_bob.version, author="bob") == 2
        with pytest.raises(ConflictError) as caught:
            first.put(campaign, "teams", "main", [{"name": "C"}], expected_version=seen_by_alice.version, author="alice")
        error = caught.value
        assert "changed by bob" in str(error) and "after you loaded version 1" in str(error) and "not saved" in str(error)
        assert (error.updated_by, error.current_version, error.expected_version) == ("bob", 2, 1)
        assert first.get(campaign, "teams", "main").value == [{"name": "A"}, {"name": "B"}]
        # creating what someone else already created is a conflict too
        with pytest.raises(ConflictError, match="already saved by bob"):
            second.put(campaign, "teams", "main", [], expected_version=None, author="bob")
        # alice reloads and saves on top of bob's version
        assert first.put(campaign, "teams", "main", [{"name": "C"}], expected_version=2, author="alice") == 3
        history = second.history(campaign, kind="teams")
        assert [(entry.author, entry.version) for entry in history] == [("alice", 3), ("bob", 2), ("alice", 1)]
        assert history[1].value == [{"name": "A"}, {"name": "B"}]
        assert second.history(campaign, "strategy") == [] and len(second.history(campaign, limit=1)) == 1


def test_concurrent_increments_lose_no_update(url):
    with open_store(url) as store:
        campaign = store.create_campaign("Compteur", "pw", author="setup")
        store.put(campaign, "field", "counter", {"n": 0}, expected_version=None, author="setup")
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            with open_store(url) as mine:
                for _ in range(8):
                    while True:
                        document = mine.get(campaign, "field", "counter")
                        try:
                            mine.put(campaign, "field", "counter", {"n": document.value["n"] + 1}, expected_version=document.version, author=name)
                            break
                        except ConflictError:
                            continue
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(f"orga{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    with open_store(url) as store:
        document = store.get(campaign, "field", "counter")
        assert document.value == {"n": 32} and document.version == 33
        # the history keeps the last 20 versions of the document, newest first
        assert [entry.version for entry in store.history(campaign, "field", limit=100)] == list(range(33, 13, -1))


def test_bad_values_and_kinds_are_refused(store, campaign):
    with pytest.raises(ValueError, match="unknown document kind"):
        store.put(campaign, "teams_", "main", [], expected_version=None, author="alice")
    with pytest.raises(ValueError, match="NaN"):
        store.put(campaign, "strategy", "main", {"w": float("nan")}, expected_version=None, author="alice")
    with pytest.raises(TypeError, match="cannot save a object"):
        store.put(campaign, "strategy", "main", {"w": object()}, expected_version=None, author="alice")
    with pytest.raises(ValueError, match="author"):
        store.put(campaign, "strategy", "main", {}, expected_version=None, author=" ")
    with pytest.raises(UnknownCampaignError):
        store.put(12345, "strategy", "main", {}, expected_version=None, author="alice")
    assert store.get(campaign, "strategy", "main") is None and store.history(campaign) == []


# -- schema migrations -----------------------------------------------------------------------------


def test_old_database_is_upgraded(url):
    with open_store(url, upgrade_to=1) as old:
        assert old.schema_version == 1
        campaign = old.create_campaign("Ancienne", "pw", author="alice")
        old.put(campaign, "strategy", "main", {"w": 1}, expected_version=None, author="alice")
        with pytest.raises(sa.exc.DBAPIError, match="field_events"):  # version 1 has no field log yet
            old.log_field(campaign, session="s", team="A", segment_id=1, doors_knocked=1, doors_opened=0, author="alice")
    with open_store(url) as store:
        assert store.schema_version == LATEST_VERSION > 1
        with store._read() as connection:
            versions = connection.execute(sa.text("SELECT version FROM schema_version ORDER BY version")).scalars().all()
        assert versions == list(range(1, LATEST_VERSION + 1))
        assert store.get(campaign, "strategy", "main").value == {"w": 1}
        assert store.check_password(campaign, "pw")
        store.log_field(campaign, session="s", team="A", segment_id=1, doors_knocked=1, doors_opened=0, author="alice")
        assert store.done_segments(campaign) == {1}
    with open_store(url) as again:  # opening an up-to-date database changes nothing
        assert again.schema_version == LATEST_VERSION and again.done_segments(campaign) == {1}


def test_database_from_a_newer_canvass_is_refused(url):
    with open_store(url) as store:
        with store._write() as connection:
            connection.execute(sa.text("INSERT INTO schema_version (version, applied_at) VALUES (:v, '2030-01-01T00:00:00+00:00')"),
                               {"v": LATEST_VERSION + 5})
    with pytest.raises(CanvassError, match="newer than this canvass"):
        open_store(url)


def test_unsupported_url_is_refused():
    with pytest.raises(CanvassError, match="unsupported database URL 'mysql://me:\\*\\*\\*@host/db'"):
        open_store("mysql://me:secret@host/db")


# -- the field log ---------------------------------------------------------------------------------

GOOD_CSV = """équipe;segment_id;portes_frappées;portes_ouvertes;soutien;indécis;opposant;absent
Centre;12;20;8;3;2;1;12
Centre;13;15;5;2;;1;10
Gare;40;30;10;4;3;3;20
"""


def _write(tmp_path: Path, text: str, name: str = "terrain.csv") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_import_good_field_sheet(store, campaign, tmp_path):
    path = _write(tmp_path, GOOD_CSV)
    assert store.import_field_csv(campaign, path, session="samedi 1", author="alice", teams=["Centre", "Gare"], segments=range(100)) == 3
    log = store.field_log(campaign)
    assert log["team"].tolist() == ["Centre", "Centre", "Gare"]
    assert log["doors_knocked"].tolist() == [20, 15, 30] and log["doors_opened"].tolist() == [8, 5, 10]
    assert log["indecis"].tolist() == [2, 0, 3] and log["refus"].tolist() == [0, 0, 0]
    assert (log["session"] == "samedi 1").all() and (log["author"] == "alice").all()
    assert str(log["recorded_at"].dt.tz) == "UTC"
    assert store.done_segments(campaign) == {12, 13, 40}
    # the same sheet imported twice would count twice: refused, unless it replaces the session
    with pytest.raises(InputDataError, match="session 'samedi 1' already has 3 field entries; nothing was imported"):
        store.import_field_csv(campaign, path, session="samedi 1", author="alice")
    corrected = _write(tmp_path, "team,segment_id,doors_knocked,doors_opened\nCentre,12,22,9\n", "corrige.csv")
    assert store.import_field_csv(campaign, corrected, session="samedi 1", author="bob", replace=True) == 1
    assert store.field_log(campaign)[["segment_id", "doors_knocked", "author"]].values.tolist() == [[12, 22, "bob"]]
    assert store.done_segments(campaign) == {12}


@pytest.mark.parametrize(
    ("text", "messages"),
    [
        (
            "equipe,segment_id,portes_frappees,portes_ouvertes\nCentre,12,20,8\nCentre,13,10,12\n",
            ["1 line(s) cannot be imported; nothing was imported", "line 3: column portes_ouvertes: 12 doors opened but only 10 knocked"],
        ),
        (
            "equipe,segment_id,portes_frappees,portes_ouvertes,absent\nCentre,12,-1,0,0\nGare,14,5,1,-2\n",
            ["2 line(s) cannot be imported", "line 2: column portes_frappees: '-1' is negative", "line 3: column absent: '-2' is negative"],
        ),
        (
            "groupe,segment_id,portes_frappees,portes_ouvertes\nCentre,12,20,8\n",
            ["missing columns: equipe", "unknown columns: groupe", "nothing was imported", "header: groupe, segment_id"],
        ),
        (
            "equipe,segment_id,portes_frappees,portes_ouvertes,commentaire\nCentre,12,20,8,M. Dupont soutient\n",
            ["unknown columns: commentaire", "no names or comments"],
        ),
        (
            "equipe,segment_id,portes_frappees,portes_ouvertes\nCentre,12,20,8\n,12.5,dix,\n",
            ["line 3: column equipe: no team", "column segment_id: '12.5' is not a whole number",
             "column portes_frappees: 'dix' is not a whole number", "column portes_ouvertes: empty"],
        ),
        (
            "equipe,segment_id,portes_frappees,portes_ouvertes\nCentre,12,20,8\nCentrre,13,5,1\n",
            ["line 3: column equipe: team 'Centrre' is not one of the session's teams (Centre, Gare)"],
        ),
    ],
    ids=["opened-more-than-knocked", "negative", "unknown-team-column", "free-text-column", "not-numbers", "unknown-team"],
)
def test_bad_field_sheet_imports_nothing(store, campaign, tmp_path, text, messages):
    store.log_field(campaign, session="avant", team="Gare", segment_id=99, doors_knocked=3, doors_opened=1, author="alice")
    path = _write(tmp_path, text)
    with pytest.raises(InputDataError) as caught:
        store.import_field_csv(campaign, path, session="samedi 1", author="alice", teams=["Centre", "Gare"])
    for message in messages:
        assert message in str(caught.value)
    assert str(path) in str(caught.value)
    assert store.field_log(campaign)["session"].tolist() == ["avant"]
    assert store.done_segments(campaign) == {99}


def test_log_field_checks_counts(store, campaign):
    with pytest.raises(InputDataError, match="8 doors opened but only 5 knocked"):
        store.log_field(campaign, session="s", team="A", segment_id=1, doors_knocked=5, doors_opened=8, author="alice")
    with pytest.raises(InputDataError, match="'-3' is negative|-3 is negative"):
        store.log_field(campaign, session="s", team="A", segment_id=1, doors_knocked=-3, doors_opened=0, author="alice")
    with pytest.raises(InputDataError, match="unknown outcome 'Jean Dupont'"):
        store.log_field(campaign, session="s", team="A", segment_id=1, doors_knocked=5, doors_opened=1, outcomes={"Jean Dupont": 1}, author="alice")
    assert store.field_log(campaign).empty and list(store.field_log(campaign).columns)[:4] == ["event_id", "session", "team", "segment_id"]
    first = store.log_field(campaign, session="s1", team="A", segment_id=1, doors_knocked=5, doors_opened=1, outcomes={"support": 1}, author="alice")
    second = store.log_field(campaign, session="s2", team="B", segment_id=2, doors_knocked=0, doors_opened=0, author="bob")
    assert second > first
    assert store.done_segments(campaign) == {1, 2} and store.done_segments(campaign, session="s2") == {2}
    assert store.field_log(campaign, session="s1")["soutien"].tolist() == [1]


# -- a writer killed in the middle of a save --------------------------------------------------------

_KILLED_WRITER = """
import sys, time
import sqlalchemy as sa
from canvass.campaign.store import open_store
store = open_store(sys.argv[1])
campaign = int(sys.argv[2])
store.put(campaign, "strategy", "A", {"saved": True}, expected_version=None, author="writer")
store.log_field(campaign, session="s", team="T", segment_id=1, doors_knocked=4, doors_opened=2, author="writer")
with store._write() as connection:
    store._put(connection, campaign, "strategy", "B", '{"saved": false}', None, "writer")
    store._put(connection, campaign, "strategy", "A", '{"saved": "overwritten"}', 1, "writer")
    connection.execute(sa.text("INSERT INTO field_events (campaign_id, session, team, segment_id, doors_knocked, doors_opened, outcomes, "
                               "recorded_at, author) VALUES (:c, 's', 'T', 2, 1, 0, '{}', '2026-01-01T00:00:00+00:00', 'writer')"), {"c": campaign})
    print("in the middle", flush=True)
    time.sleep(120)
"""


def test_writer_killed_mid_save_loses_nothing_saved_before(url):
    with open_store(url) as store:
        campaign = store.create_campaign("Crash", "pw", author="alice")
    child = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, url, str(campaign.id)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        assert line.strip() == "in the middle", child.stderr.read()
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    if not url.startswith("postgresql://"):
        with sqlite3.connect(url) as raw:
            assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with open_store(url) as store:
        if store.dialect == "postgresql":
            with psycopg_connect(url) as admin:  # a lock left by the dead writer would show as a transaction still open
                assert admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND xact_start IS NOT NULL "
                                     "AND pid <> pg_backend_pid()").fetchone()[0] == 0
        a = store.get(campaign, "strategy", "A")
        assert (a.value, a.version, a.updated_by) == ({"saved": True}, 1, "writer")
        assert store.get(campaign, "strategy", "B") is None
        assert [(entry.key, entry.version) for entry in store.history(campaign)] == [("A", 1)]
        assert store.done_segments(campaign) == {1}
        # the database still takes writes where the dead writer left off
        assert store.put(campaign, "strategy", "B", {"saved": "after"}, expected_version=None, author="alice") == 1
        assert store.put(campaign, "strategy", "A", {"saved": "again"}, expected_version=1, author="alice") == 2


def psycopg_connect(url: str):
    import psycopg

    return psycopg.connect(url, autocommit=True)


def test_postgresql_connection_dropped_by_the_server_is_reopened(postgres_database):
    """PostgreSQL only: a SQLite file has no server connection to lose."""
    url = postgres_database
    with open_store(url) as store:
        campaign = store.create_campaign("Reconnexion", "pw", author="alice")
        store.put(campaign, "strategy", "main", {"w": 1}, expected_version=None, author="alice")
        for action in ("read", "write"):
            with store._read() as connection:
                before = connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
            with psycopg_connect(url) as admin:  # what a server restart or an idle timeout does
                admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
                while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (before,)).fetchone():
                    time.sleep(0.02)
            if action == "read":
                assert store.get(campaign, "strategy", "main").value == {"w": 1}
            else:
                assert store.put(campaign, "strategy", "main", {"w": 2}, expected_version=1, author="alice") == 2
            with store._read() as connection:
                assert connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one() != before
