"""End to end: `streamlit run app.py` headless, driven in real headless Chromium.

Logs in, plans the demo commune, sees the overview map, exports and downloads a walk sheet.
"""

import os
import shutil
import socket
import subprocess
import sys
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


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app served by `streamlit run` on a free port, on a data folder holding the built demo."""
    data = tmp_path_factory.mktemp("data")
    write_demo(data / "demo")
    save_territory(build_territory(data / "demo", [DEMO_COMMUNE]), data / "demo" / "territory.gpkg")
    port = _free_port()
    env = {**os.environ, "CANVASS_DATA": str(data), "CANVASS_PASSWORD": PASSWORD, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    env.pop("DATABASE_URL", None)
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
    yield url, data
    process.terminate()
    process.wait(timeout=20)


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
