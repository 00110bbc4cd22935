"""Erasure (field log before a date, a whole campaign) and the generated processing record."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from canvass.campaign.purge import purge, purge_campaign
from canvass.campaign.registre import TO_FILL, processing_record, record_html, record_markdown
from canvass.campaign.store import UnknownCampaignError, open_store

MARK = "ÉquipeÀEffacer"


def _log(store, campaign, team: str, when: str, segment: int) -> None:
    entry = store.log_field(campaign, session=f"séance {team}", team=team, segment_id=segment, doors_knocked=10, doors_opened=4,
                            outcomes={"soutien": 1}, author="alice")
    with store._write() as connection:
        connection.execute(sa.text("UPDATE field_events SET recorded_at = :when WHERE id = :id"), {"when": when, "id": entry})


def _file_bytes(url: str) -> bytes:
    return b"".join(path.read_bytes() for path in Path(url).parent.iterdir() if path.name.startswith(Path(url).name))


def test_purge_deletes_the_field_log_before_a_date(url):
    with open_store(url) as store:
        campaign = store.create_campaign("Quimper", "pw", author="alice")
        other = store.create_campaign("Brest", "pw", author="bob")
        _log(store, campaign, MARK, "2026-01-10T09:00:00.000000+00:00", 1)
        _log(store, campaign, "Centre", "2026-02-28T22:59:59.000000+00:00", 2)  # 23:59:59 in Paris: still February
        _log(store, campaign, "Gare", "2026-02-28T23:00:00.000000+00:00", 3)  # midnight in Paris: kept
        _log(store, other, "Ailleurs", "2025-12-01T10:00:00.000000+00:00", 4)
        if not url.startswith("postgresql://"):
            assert MARK.encode() in _file_bytes(url)
        assert purge(store, campaign, before=date(2026, 3, 1)) == 2
        assert store.field_log(campaign)["team"].tolist() == ["Gare"]
        assert store.done_segments(other) == {4}  # other campaigns untouched
        assert purge(store, campaign, before=datetime(2026, 3, 2, tzinfo=timezone.utc)) == 1
        assert store.field_log(campaign).empty
        with pytest.raises(UnknownCampaignError, match="nothing was deleted"):
            purge(store, 999, before=date(2026, 1, 1))
    if not url.startswith("postgresql://"):  # the text is gone from the SQLite file and its write-ahead log
        assert MARK.encode() not in _file_bytes(url) and b"Ailleurs" in _file_bytes(url)


def test_purge_campaign_deletes_everything_of_it(url):
    with open_store(url) as store:
        campaign = store.create_campaign(MARK, "pw", author="alice")
        other = store.create_campaign("Brest", "pw", author="bob")
        for version in range(1, 4):
            store.put(campaign, "strategy", "main", {"note": f"{MARK} {version}"}, expected_version=version - 1 or None, author="alice")
        store.put(other, "strategy", "main", {"note": "garder"}, expected_version=None, author="bob")
        _log(store, campaign, "Centre", "2026-01-10T09:00:00.000000+00:00", 1)
        assert store.login(campaign, "faux", client="192.0.2.1") is False
        if not url.startswith("postgresql://"):
            assert MARK.encode() in _file_bytes(url)
        deleted = purge_campaign(store, campaign)
        assert deleted == {"documents": 1, "history": 3, "field_events": 1, "login_failures": 2, "campaigns": 1}
        assert [c.name for c in store.campaigns()] == ["Brest"]
        assert store.get(other, "strategy", "main").value == {"note": "garder"}
        with pytest.raises(UnknownCampaignError):
            store.put(campaign, "strategy", "main", {}, expected_version=None, author="alice")
        with pytest.raises(UnknownCampaignError):
            purge_campaign(store, campaign)
    if not url.startswith("postgresql://"):
        assert MARK.encode() not in _file_bytes(url) and b"garder" in _file_bytes(url)


def test_processing_record_in_markdown_and_html(url):
    with open_store(url, history_keep=5) as store:
        campaign = store.create_campaign("Quimper", "pw", author="alice")
        _log(store, campaign, "Centre", "2026-01-10T09:00:00.000000+00:00", 1)
        _log(store, campaign, "Gare", "2026-02-14T09:00:00.000000+00:00", 2)
        store.put(campaign, "teams", "main", ["Centre", "Gare"], expected_version=None, author="alice")
        sections = processing_record(store, campaign, controller="Liste « Quimper Demain »", today=date(2026, 3, 1))
    titles = [section.title for section in sections]
    assert titles == ["Responsable du traitement", "Finalités", "Base légale", "Catégories de données", "Personnes concernées",
                      "Durées de conservation", "Destinataires", "Mesures de sécurité", "État des données à la date du registre"]
    text = record_markdown(sections)
    assert text.startswith("# Registre des traitements") and "## Finalités" in text
    assert "Organisme : Liste « Quimper Demain »" in text and "Registre établi le 01/03/2026" in text
    assert "Aucune donnée individuelle d’électeur" in text and "argon2id" in text
    assert "les 5 dernières versions de chaque document" in text and "après 5 mots de passe erronés, blocage de 5 minutes" in text
    assert "Relevés de terrain : 2 ligne(s), du 10/01/2026 au 14/02/2026." in text
    assert f"Contact pour l’exercice des droits : {TO_FILL}" in text
    page = record_html(sections)
    assert page.startswith("<!DOCTYPE html>") and "<h2>Mesures de sécurité</h2>" in page
    assert "Liste « Quimper Demain »" in page and "<li>Organisme" in page
    assert "Quimper <Demain>" not in record_html(processing_record(controller="Quimper <Demain>"))  # escaped
    assert "État des données" not in record_markdown(processing_record())  # without a store: the general record only
