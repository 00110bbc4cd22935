"""End to end: `streamlit run app.py` headless, driven in real headless Chromium.

Logs in, plans the demo commune, sees the overview map, exports and downloads a walk sheet.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from canvass.demo import DEMO_COMMUNE, write_demo
from canvass.territory.build import build_territory
from canvass.territory.io import save_territory

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"]
PASSWORD = "e2e-porte-a-porte"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(data: Path):
    """`streamlit run app.py` on a free port over the data folder ``data``; yields its address, stops it after."""
    port = _free_port()
    env = {**os.environ, "CANVASS_DATA": str(data), "CANVASS_PASSWORD": PASSWORD, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    env.pop("DATABASE_URL", None)
    env.pop("CANVASS_PUBLIC_URL", None)  # team links take the browser's address
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"streamlit did not start:\n{process.stdout.read().decode(errors='replace')}")
        time.sleep(0.3)
    yield url
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app on a data folder holding the built demo."""
    data = tmp_path_factory.mktemp("data")
    write_demo(data / "demo")
    save_territory(build_territory(data / "demo", [DEMO_COMMUNE]), data / "demo" / "territory.gpkg")
    for url in _serve(data):
        yield url, data


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory):
    """The app on an empty data folder: the organiser imports the territory from a folder of the server."""
    data = tmp_path_factory.mktemp("vide")
    for url in _serve(data):
        yield url, data


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: apt-get install chromium (scripts/test.sh does it as root)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def test_login_plan_map_and_sheet(server, browser, tmp_path):
    url, data = server
    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page.goto(url)
    page.get_by_label("Votre prénom (pour l’historique)").fill("Dominique")
    page.get_by_label("Mot de passe de la campagne").fill(PASSWORD)
    page.get_by_role("button", name="Entrer").click()
    expect(page.get_by_text("Étapes")).to_be_visible(timeout=60_000)
    assert page.get_by_text("Deploy").count() == 0  # .streamlit/config.toml: minimal toolbar, no English chrome
    # Meeting places can be picked on a map drawn by the app's own deck.gl (no basemap, no network).
    page.get_by_text("Équipes", exact=True).click()
    expect(page.locator("[data-testid='stDeckGlJsonChart'] canvas").first).to_be_visible(timeout=60_000)
    page.get_by_text("Plan", exact=True).click()
    page.get_by_role("button", name="Lancer le calcul").click()
    expect(page.get_by_text("Part de marche")).to_be_visible(timeout=120_000)
    # The overview map renders inside its iframe, from inlined Leaflet.
    frame = page.frame_locator("iframe").first
    expect(frame.locator(".leaflet-container")).to_be_visible(timeout=30_000)
    assert frame.locator("path.leaflet-interactive").count() > 10
    artifacts = Path(__file__).resolve().parents[1] / "artifacts"
    artifacts.mkdir(exist_ok=True)
    page.screenshot(path=str(artifacts / "app_plan.png"), full_page=False)
    page.get_by_text("Partager", exact=True).click()
    page.get_by_role("button", name="Préparer les cartes et les feuilles").click()
    button = page.get_by_role("button", name="Feuille (PDF)").first
    expect(button).to_be_visible(timeout=120_000)
    with page.expect_download() as download:
        button.click()
    saved = tmp_path / "feuille.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF") and saved.stat().st_size > 20_000
    # A volunteer's link is the team's static page, served by the app without running its script; it fills the phone's screen.
    link = page.locator("code").first.inner_text()
    assert link.startswith(f"{url}/app/static/partage/") and link.endswith(".html")
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    phone.goto(link)
    expect(phone.locator(".leaflet-container")).to_be_visible(timeout=60_000)
    assert phone.locator(".leaflet-container").bounding_box()["height"] >= 400
    assert phone.locator("path.leaflet-interactive").count() > 0
    phone.close()
    # The organiser stays logged in across a reload (a signed, expiring session cookie).
    page.reload()
    expect(page.get_by_text("Étapes")).to_be_visible(timeout=60_000)
    assert page.get_by_label("Mot de passe de la campagne").count() == 0
    page.close()


def test_wrong_password_in_the_browser_shows_nothing(server, browser):
    url, _ = server
    page = browser.new_page()
    page.goto(url)
    page.get_by_label("Mot de passe de la campagne").fill("pas le bon")
    page.get_by_role("button", name="Entrer").click()
    expect(page.get_by_text("Mot de passe incorrect.")).to_be_visible(timeout=30_000)
    assert page.get_by_text("Étapes").count() == 0 and page.get_by_text("Bureaux de vote").count() == 0
    page.close()


ARTIFACTS = ROOT / "artifacts"
SLOW = 90_000
"""Milliseconds a page may take to show a step on a busy machine (Paris 16e maps are large)."""


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"paris_{name}.png"), full_page=False)


def _go(page, name: str) -> None:
    page.get_by_test_id("stSidebar").get_by_text(name, exact=True).click()
    expect(page.get_by_role("heading", name=name)).to_be_visible(timeout=SLOW)
    expect(page.locator("[data-stale='true']")).to_have_count(0, timeout=SLOW)  # the former page's elements are gone


def _shortest_search(page) -> None:
    slider = page.get_by_test_id("stSlider").filter(has_text="Durée du calcul (secondes)").get_by_role("slider")
    slider.focus()
    slider.press("Home")
    expect(slider).to_have_value("5", timeout=SLOW)


def _plan_walks(data: Path):
    from canvass.plan.io import load_plan

    return load_plan(data / "plans" / "plan_demo.gpkg")[2]


def test_paris_16e_from_import_to_the_field_and_a_new_plan(empty_server, browser):
    """Paris 16e in Chromium: import, priorities (camp « centre »), teams, plan, share, a volunteer's phone, the field, a new plan."""
    from tests.helpers import real

    url, data = empty_server
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(SLOW)
    page.goto(url)
    page.get_by_label("Votre prénom (pour l’historique)").fill("Dominique")
    page.get_by_label("Mot de passe de la campagne").fill(PASSWORD)
    page.get_by_role("button", name="Entrer").click()
    expect(page.get_by_text("Étapes")).to_be_visible(timeout=SLOW)

    # Territoire: the commune's files, from a folder of the server.
    page.get_by_text("Dossier sur le serveur", exact=True).click()
    page.get_by_label("Dossier sur le serveur (fichiers de la commune : bureaux, résultats, IRIS, rues…)").fill(str(real("paris-16e")))
    page.get_by_label("Code(s) INSEE, séparés par des virgules").fill("75116")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Importer").click()
    expect(page.get_by_text("Territoire de ")).to_be_visible(timeout=240_000)
    bureaux = page.get_by_test_id("stMetric").filter(has_text="Bureaux de vote")
    expect(bureaux).to_contain_text("68", timeout=SLOW)
    expect(page.get_by_text("17 bureaux sur 68 n’ont aucune rue", exact=False)).to_be_visible(timeout=SLOW)
    _shot(page, "1_territoire")

    # Priorités: the centre, which has candidates in every election here.
    _go(page, "Priorités")
    camp = page.get_by_role("textbox", name="Notre camp (famille, nuances ou noms ; ELECTION=… pour un scrutin)")
    camp.fill("centre")
    camp.press("Enter")
    expect(page.get_by_text("Bureaux par priorité")).to_be_visible(timeout=SLOW)
    expect(page.get_by_test_id("stDeckGlJsonChart").locator("canvas").first).to_be_visible(timeout=SLOW)
    assert page.get_by_test_id("stAlertContentError").count() == 0
    _shot(page, "2_priorites")

    _go(page, "Équipes")
    expect(page.get_by_test_id("stDeckGlJsonChart").locator("canvas").first).to_be_visible(timeout=SLOW)
    _shot(page, "3_equipes")

    # Plan: the shortest search.
    _go(page, "Plan")
    _shortest_search(page)
    page.get_by_role("button", name="Lancer le calcul").click()
    expect(page.get_by_text("Part de marche")).to_be_visible(timeout=180_000)
    frame = page.frame_locator("iframe").first
    expect(frame.locator(".leaflet-container")).to_be_visible(timeout=SLOW)
    assert frame.locator("path.leaflet-interactive").count() > 10
    _shot(page, "4_plan")
    first = _plan_walks(data)
    assert len(first) > 0

    # Partager: the team pages, published as static files; one opened on a phone.
    _go(page, "Partager")
    page.get_by_role("button", name="Préparer les cartes et les feuilles").click()
    expect(page.get_by_role("button", name="Feuille (PDF)").first).to_be_visible(timeout=240_000)
    _shot(page, "5_partager")
    link = page.locator("code").first.inner_text()
    assert link.startswith(f"{url}/app/static/partage/") and link.endswith(".html")
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    phone.goto(link)
    expect(phone.locator(".leaflet-container")).to_be_visible(timeout=60_000)
    assert phone.locator(".leaflet-container").bounding_box()["height"] >= 400
    assert phone.locator("path.leaflet-interactive").count() > 0
    _shot(phone, "6_benevole_telephone")
    phone.close()

    # Terrain: the field sheet of the first team's first two steps, uploaded through the page as a CSV.
    # (Typing into the table's cells is covered by the AppTest walk: the grid is a canvas whose cells a browser test can only hit by pixels.)
    _go(page, "Terrain")
    steps = first[first["team"] == first["team"].iloc[0]].sort_values("order").head(2)
    sheet = Path(tempfile.mkdtemp()) / "terrain.csv"
    sheet.write_text("equipe;segment_id;portes_frappees;portes_ouvertes\n"
                     + "".join(f"{team};{unit};{knocked};{opened}\n" for team, unit, (knocked, opened)
                               in zip(steps["team"], steps["segment_id"], ((10, 4), (7, 2)))), encoding="utf-8")
    page.locator("input[type=file]").last.set_input_files(str(sheet))
    page.get_by_role("button", name="Importer le CSV").click()
    expect(page.get_by_text("Import terminé", exact=False).first).to_be_visible(timeout=SLOW)
    _shot(page, "8_terrain_enregistre")
    from canvass.campaign.store import open_store

    with open_store(data / "campagne.sqlite") as store:
        log = store.field_log(store.find_campaign("demo"))
    assert sorted(log["doors_knocked"]) == [7, 10] and sorted(log["doors_opened"]) == [2, 4]
    recorded = set(log["segment_id"].astype("int64"))

    # A new plan leaves the recorded steps out.
    before = (data / "plans" / "plan_demo.gpkg").stat().st_mtime
    _go(page, "Plan")
    _shortest_search(page)
    page.get_by_role("button", name="Lancer le calcul").click()
    deadline = time.monotonic() + 180
    while (data / "plans" / "plan_demo.gpkg").stat().st_mtime == before and time.monotonic() < deadline:
        time.sleep(1)
    expect(page.get_by_role("button", name="Lancer le calcul")).to_be_enabled(timeout=60_000)
    expect(page.frame_locator("iframe").first.locator(".leaflet-container")).to_be_visible(timeout=SLOW)
    _shot(page, "9_nouveau_plan")
    again = _plan_walks(data)
    assert len(again) > 0 and recorded <= set(first["segment_id"].astype("int64"))
    assert not recorded & set(again["segment_id"].astype("int64"))
    page.close()
