"""Field results from the phone: idempotent entries in the store, the field API over HTTP, and the offline form in Chromium."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from canvass.campaign.store import open_store
from canvass.errors import InputDataError
from canvass.serve.app import AUTHOR, MAX_ENTRIES

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]


# -- the store --------------------------------------------------------------------------------------------------


def test_a_resent_entry_is_stored_once(url):
    with open_store(url) as store:
        campaign = store.create_campaign("Terrain", "pw", author="alice")
        counts = dict(session="s1", team="Équipe 1", segment_id=42, doors_knocked=12, doors_opened=5, outcomes={"soutien": 2, "absent": 7})
        first = store.log_field(campaign, **counts, author=AUTHOR, entry_key="a1b2c3d4e5f6a7b8")
        again = store.log_field(campaign, **{**counts, "doors_knocked": 99, "doors_opened": 1}, author=AUTHOR, entry_key="a1b2c3d4e5f6a7b8")
        other = store.log_field(campaign, **counts, author=AUTHOR, entry_key="ffffffffffffffff")
        plain = [store.log_field(campaign, **counts, author="app") for _ in range(2)]  # no key: every entry counts
        assert again == first and other != first and len(set(plain)) == 2
        log = store.field_log(campaign)
        assert len(log) == 4 and log.loc[log["event_id"] == first, "doors_knocked"].item() == 12, "the first copy is kept"
        second = store.create_campaign("Autre", "pw", author="alice")
        assert store.log_field(second, **counts, author=AUTHOR, entry_key="a1b2c3d4e5f6a7b8") != first, "keys are per campaign"
        for bad in ("court", "x" * 65, "pas d'espace", "a1b2c3d4;DROP"):
            with pytest.raises(InputDataError, match="entry id"):
                store.log_field(campaign, **counts, author=AUTHOR, entry_key=bad)
        assert len(store.field_log(campaign)) == 4


def test_a_version_3_database_gains_the_key_column(tmp_path):
    path = tmp_path / "ancienne.sqlite"
    with open_store(path, upgrade_to=3) as old:
        campaign = old.create_campaign("Ancienne", "pw", author="alice")
        old.log_field(campaign, session="s", team="A", segment_id=1, doors_knocked=3, doors_opened=1, author="alice")
    with open_store(path) as store:
        assert store.schema_version == 4
        store.log_field(campaign, session="s", team="A", segment_id=2, doors_knocked=3, doors_opened=1, author=AUTHOR, entry_key="k" * 16)
        store.log_field(campaign, session="s", team="A", segment_id=2, doors_knocked=3, doors_opened=1, author=AUTHOR, entry_key="k" * 16)
        assert list(store.field_log(campaign)["segment_id"]) == [1, 2]
        with store._read() as connection:
            keys = connection.execute(sa.text("SELECT entry_key FROM field_events ORDER BY id")).scalars().all()
        assert keys == [None, "k" * 16]


# -- the API over HTTP ---------------------------------------------------------------------------------------------


def _request(url: str, payload=None, *, method: str | None = None, raw: bytes | None = None) -> tuple[int, dict, dict]:
    data = raw if raw is not None else (json.dumps(payload).encode() if payload is not None else None)
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
            return response.status, dict(response.headers), json.loads(body) if body[:1] == b"{" else {}
    except urllib.error.HTTPError as error:
        body = error.read()
        return error.code, dict(error.headers), json.loads(body) if body[:1] == b"{" else {}


def _entries(served, team: str) -> int:
    log = served["store"].field_log(served["campaign"])
    return int((log["team"] == team).sum())


def test_the_api_stores_a_teams_entries_once(served):
    item = next(iter(served["bundle"].links.values()))
    api = f"{served['base']}/api/terrain/{item['token']}"
    unit = item["units"][0]
    entry = {"id": "0123456789abcdef", "unit": unit, "knocked": 10, "opened": 4, "outcomes": {"soutien": 1, "indecis": 2, "absent": 6}}
    status, headers, reply = _request(api, {"entries": [entry]})
    assert status == 200 and reply == {"accepted": [entry["id"]], "rejected": []}
    assert headers["access-control-allow-origin"] == "*"
    assert _request(api, {"entries": [entry, entry]})[2]["accepted"] == [entry["id"], entry["id"]]
    log = served["store"].field_log(served["campaign"])
    mine = log[log["team"] == item["team"]]
    assert len(mine) == 1 and mine["doors_knocked"].item() == 10 and mine["soutien"].item() == 1 and mine["absent"].item() == 6
    assert mine["segment_id"].item() == unit and mine["session"].item() == "samedi 14 mars" and mine["author"].item() == AUTHOR

    other_team = [i for i in served["bundle"].links.values() if i["team"] != item["team"]][0]
    foreign = sorted(set(other_team["units"]) - set(item["units"]))[0]
    bad = [{"id": "1111111111111111", "unit": foreign, "knocked": 1, "opened": 0},
           {"id": "2222222222222222", "unit": unit, "knocked": 1, "opened": 3},
           {"id": "3333333333333333", "unit": unit, "knocked": -1, "opened": 0},
           {"id": "4444444444444444", "unit": unit, "knocked": 2, "opened": 0, "outcomes": {"nom": 1}},
           {"id": "court", "unit": unit, "knocked": 2, "opened": 1}]
    status, _, reply = _request(api, {"entries": bad})
    assert status == 200 and reply["accepted"] == [] and [r["id"] for r in reply["rejected"]] == [b["id"] for b in bad]
    assert "parcours" in reply["rejected"][0]["error"]
    assert _entries(served, item["team"]) == 1 and _entries(served, other_team["team"]) == 0


def test_the_api_refuses_unknown_tokens_and_bad_requests(served):
    item = next(iter(served["bundle"].links.values()))
    entry = {"id": "5555555555555555", "unit": item["units"][0], "knocked": 1, "opened": 1}
    for token in ("x" * 16, item["token"][:-1] + ("A" if item["token"][-1] != "A" else "B"), "../links"):
        assert _request(f"{served['base']}/api/terrain/{token}", {"entries": [entry]})[0] == 404
    api = f"{served['base']}/api/terrain/{item['token']}"
    assert _request(api, raw=b"{not json")[0] == 400
    assert _request(api, {"entries": [entry] * (MAX_ENTRIES + 1)})[0] == 400
    assert _request(api, raw=b"{" + b" " * 300_000 + b"}")[0] == 413
    assert _request(api, method="OPTIONS")[0] == 204
    assert _request(api, method="GET")[0] == 405
    log = served["store"].field_log(served["campaign"])
    assert "5555555555555555" not in set(log["event_id"].astype(str)) and len(log[log["doors_knocked"] == 1]) == 0


def test_the_app_serves_only_team_pages(served):
    base, bundle = served["base"], served["bundle"]
    tokens = [item["token"] for item in bundle.links.values()]
    for name in ("links.json", "organisateur.html", "carnet.pdf", "manifest.json", "organisateur/links.json", "current/organisateur/links.json",
                 "..%2Forganisateur%2Flinks.json", "x" * 16 + ".html", "index.htm"):
        status, _, _ = _request(f"{base}/{name}")
        assert status == 404, name
    with urllib.request.urlopen(f"{base}/", timeout=10) as response:
        assert not any(token.encode() in response.read() for token in tokens)
    for item in bundle.links.values():
        with urllib.request.urlopen(item["link"], timeout=10) as response:
            page = response.read().decode()
            assert response.headers["Referrer-Policy"] == "no-referrer" and response.headers["Content-Type"].startswith("text/html")
        assert item["team"] in page and f"api/terrain/{item['token']}" in page
        assert not any(token in page for token in tokens if token != item["token"])
        with urllib.request.urlopen(f"{base}/{item['token']}.pdf", timeout=10) as response:
            assert response.read().startswith(b"%PDF")


# -- the form in a real browser, offline then online ---------------------------------------------------------------


def test_counts_typed_offline_arrive_once_when_back_online(served):
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    item = list(served["bundle"].links.values())[1]
    unit = item["units"][-1]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="fr-FR")
        try:
            page = context.new_page()
            errors = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(item["link"])
            page.wait_for_function("window.canvassMap !== undefined && window.canvassTerrain !== undefined", timeout=15_000)
            assert page.locator("#canvass-panel #canvass-terrain").count() == 1, "the form sits under the list of streets"
            context.set_offline(True)
            form = page.locator("#canvass-terrain-form")
            form.locator("select[name=unit]").select_option(str(unit))
            for name, value in (("knocked", "14"), ("opened", "6"), ("soutien", "2"), ("indecis", "1"), ("opposant", "1"), ("absent", "8")):
                form.locator(f"input[name={name}]").fill(value)
            form.locator("button[type=submit]").tap()
            page.wait_for_function("window.canvassTerrain.waiting() === 1")
            assert "en attente" in page.locator("#canvass-terrain-status").inner_text()
            page.evaluate("window.canvassTerrain.flush()")
            page.wait_for_timeout(500)
            assert page.evaluate("window.canvassTerrain.waiting()") == 1 and _entries(served, item["team"]) == 0
            # the phone closes the page; the page opens again where the field API is still out of reach: the entry waits
            page.close()
            context.set_offline(False)
            context.route("**/api/terrain/**", lambda route: route.abort("internetdisconnected"))
            page = context.new_page()
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(item["link"])
            page.wait_for_function("window.canvassTerrain !== undefined", timeout=15_000)
            page.wait_for_timeout(500)
            assert page.evaluate("window.canvassTerrain.waiting()") == 1 and _entries(served, item["team"]) == 0
            queued = page.evaluate(f"JSON.parse(localStorage.getItem('canvass-terrain-{item['token']}')).queue[0]")
            context.unroute("**/api/terrain/**")
            context.set_offline(True)
            context.set_offline(False)  # the network comes back: the page sends on the browser's "online" event
            page.wait_for_function("window.canvassTerrain.waiting() === 0", timeout=15_000)
            assert "envoyé" in page.locator("#canvass-terrain-status").inner_text()
            page.locator("#canvass-terrain").scroll_into_view_if_needed()
            page.screenshot(path=str(_artifacts() / "team_page_field_form.png"))
            # the phone lost the server's reply and sends the same entry again: it still counts once
            status, _, reply = _request(f"{served['base']}/api/terrain/{item['token']}", {"entries": [queued]})
            assert status == 200 and reply["accepted"] == [queued["id"]]
            assert errors == []
        finally:
            context.close()
            browser.close()
    log = served["store"].field_log(served["campaign"])
    mine = log[log["team"] == item["team"]]
    assert len(mine) == 1
    row = mine.iloc[0]
    assert (row["segment_id"], row["doors_knocked"], row["doors_opened"], row["soutien"], row["indecis"], row["opposant"], row["absent"]) == \
        (unit, 14, 6, 2, 1, 1, 8)


def _artifacts() -> Path:
    folder = Path(__file__).resolve().parents[2] / "artifacts"
    folder.mkdir(exist_ok=True)
    return folder
