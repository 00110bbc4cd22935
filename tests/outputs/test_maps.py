"""Web maps in a real headless Chromium with the network off: they draw, they respond to taps, they run no data."""

from __future__ import annotations

import dataclasses
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from canvass.outputs.maps import HIGHLIGHT_COLOUR, OSM_TILES, overview_map, team_map, write_map

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
XSS = "<script>alert(1)</script>"
XSS_TEAM = '<img src=x onerror="alert(2)">Équipe piégée'
PHONE = {"width": 390, "height": 844}
MAX_BYTES = 2_000_000


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo commune planned once through the library: territory, scores, teams, plan, walks."""
    from canvass.demo import DEMO_COMMUNE, write_demo
    from canvass.plan.io import walks_frame
    from canvass.plan.problem import build_problem
    from canvass.plan.solve import plan_walks
    from canvass.plan.teams import read_teams
    from canvass.scores.camps import Camp
    from canvass.scores.score import score_territory
    from canvass.scores.strategies import ScoreParams
    from canvass.territory.build import build_territory

    folder = tmp_path_factory.mktemp("demo")
    write_demo(folder)
    territory = build_territory(folder, [DEMO_COMMUNE])
    scores = score_territory(territory, ScoreParams(strategy="mobilisation", camp=Camp(("gauche",))))
    teams = read_teams(folder / "equipes.csv", addresses=territory.addresses)
    plan = plan_walks(build_problem(territory.segments, scores.segments, teams), time_limit_s=3)
    walks = walks_frame(plan, territory.segments)
    assert len(walks), "the demo plan has no step"
    return {"territory": territory, "scores": scores, "teams": teams, "plan": plan, "walks": walks, "folder": folder}


@pytest.fixture(scope="module")
def maps(demo, tmp_path_factory):
    """Team 1's map, team 1's map with a hostile street and team name, and the overview, saved as files."""
    folder = tmp_path_factory.mktemp("maps")
    teams, walks, plan = demo["teams"], demo["walks"], demo["plan"]
    team = teams[0]
    steps = walks[walks["team"] == team.name]
    normal = write_map(team_map(steps, team, 0, territory=demo["territory"], walk=plan.walks[0]), folder / "equipe1.html")

    hostile_steps = steps.copy()
    hostile_steps.loc[hostile_steps.index[1], ["street_name", "label"]] = XSS  # the label is what the map shows
    hostile_steps["team"] = XSS_TEAM
    hostile_team = dataclasses.replace(team, name=XSS_TEAM)
    hostile = write_map(team_map(hostile_steps, hostile_team, 0, territory=demo["territory"]), folder / "piege.html")

    bureaux = demo["scores"].bureaux.copy()
    bureaux.loc[bureaux.index[0], "suppressed"] = True
    done = set(demo["territory"].segments["segment_id"].iloc[:25])
    all_walks = walks.copy()
    all_walks.loc[all_walks.index[0], ["street_name", "label"]] = XSS
    overview = write_map(overview_map(plan, teams, all_walks, demo["territory"], bureaux, done_segments=done), folder / "ensemble.html")
    return {"normal": normal, "hostile": hostile, "overview": overview, "steps": steps, "secret_bureau": bureaux.index[0]}


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium; a missing browser is a failure, never a skip."""
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install it (apt-get install chromium) to test the maps in a real browser")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


class Visit:
    """A page opened from ``file://`` with the network off, recording errors, dialogs and attempted requests."""

    def __init__(self, browser, path: Path):
        self.context = browser.new_context(offline=True, viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="fr-FR")
        self.page = self.context.new_page()
        self.errors, self.dialogs, self.requests = [], [], []
        self.page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("dialog", self._dialog)
        self.page.route("**/*", self._route)
        self.page.goto(path.as_uri())
        self.page.wait_for_function("window.canvassMap !== undefined", timeout=10_000)
        self.page.wait_for_timeout(300)

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _route(self, route):
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            self.requests.append(url)
            route.abort()

    def assert_clean(self):
        assert self.errors == [], f"console errors: {self.errors}"
        assert self.dialogs == [], f"a dialog opened (script from the data ran?): {self.dialogs}"
        assert self.requests == [], f"the page tried to reach the network: {self.requests}"

    def close(self):
        self.context.close()


def test_team_map_draws_the_walk_offline(browser, maps):
    visit = Visit(browser, maps["normal"])
    try:
        page, orders = visit.page, [int(o) for o in maps["steps"]["order"]]
        assert page.evaluate("Object.keys(window.canvassStreets).map(Number).sort((a, b) => a - b)") == sorted(orders)
        # Route polylines are the only interactive SVG paths (surrounding streets are not interactive).
        assert page.locator("svg path.leaflet-interactive").count() == len(orders)
        assert page.locator(".canvass-num").count() == len(orders)
        assert sorted(int(t) for t in page.locator(".canvass-num span").all_inner_texts()) == sorted(orders)
        assert page.locator("li[data-order]").count() == len(orders)
        assert page.locator("svg textPath").count() == len(orders), "every street carries direction arrows"
        assert page.locator(".canvass-start").count() == 1
        assert page.locator("path:not(.leaflet-interactive)").count() > len(orders), "surrounding streets drawn in grey"
        assert page.locator(".leaflet-control-locate a").get_attribute("title") == "Où suis-je ?"
        assert page.locator(".leaflet-control-zoom-fullscreen").get_attribute("title") == "Plein écran"
        assert "OpenStreetMap" in page.locator(".leaflet-control-attribution").inner_text()
        assert page.locator(".leaflet-control-attribution a[href^='http']").count() == 0
        assert page.locator(".leaflet-tile").count() == 0, "tiles are off by default"
        header = page.locator("#canvass-header").inner_text()
        assert maps["steps"]["team"].iloc[0] in header and "portes" in header and "km" in header
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "team_map_phone.png"))
        visit.assert_clean()
    finally:
        visit.close()


def test_tapping_a_row_highlights_its_street(browser, maps):
    visit = Visit(browser, maps["normal"])
    try:
        page = visit.page
        order = int(maps["steps"]["order"].iloc[min(2, len(maps["steps"]) - 1)])
        before = page.evaluate(f"window.canvassStreets[{order}].options.weight")
        zoom_before = page.evaluate("window.canvassMap.getZoom()")
        page.locator(f'li[data-order="{order}"]').tap()
        page.wait_for_timeout(400)
        after = page.evaluate(f"window.canvassStreets[{order}].options.weight")
        assert after > before
        assert page.evaluate(f"window.canvassStreets[{order}].options.color") == HIGHLIGHT_COLOUR
        assert page.evaluate(f"window.canvassStreets[{order}]._path.getAttribute('stroke-width')") == str(after)
        assert "selected" in page.locator(f'li[data-order="{order}"]').get_attribute("class")
        assert page.evaluate("window.canvassMap.getZoom()") >= zoom_before, "the map zooms onto the street"
        assert page.evaluate(f"window.canvassMap.getBounds().contains(window.canvassStreets[{order}].getBounds().getCenter())")
        other = int(maps["steps"]["order"].iloc[0])
        page.locator(f'li[data-order="{other}"]').tap()
        page.wait_for_timeout(300)
        assert page.evaluate(f"window.canvassStreets[{order}].options.weight") == before, "the previous street goes back to normal"
        assert page.evaluate(f"window.canvassStreets[{other}].options.weight") == after
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "team_map_phone_selected.png"))
        visit.assert_clean()
    finally:
        visit.close()


def test_names_from_the_data_show_as_text_and_never_run(browser, maps):
    html = maps["hostile"].read_text(encoding="utf-8")
    assert XSS not in html and "<img src=x" not in html
    visit = Visit(browser, maps["hostile"])
    try:
        page = visit.page
        order = int(maps["steps"]["order"].iloc[1])
        assert XSS in page.locator(f'li[data-order="{order}"] .rue').inner_text()
        assert page.locator("#canvass-team").inner_text() == XSS_TEAM
        assert XSS_TEAM in page.title()
        page.evaluate(f"window.canvassStreets[{order}].openTooltip()")
        assert XSS in page.locator(".leaflet-tooltip").last.inner_text()
        page.evaluate(f"window.canvassStreets[{order}].openPopup()")
        assert XSS in page.locator(".leaflet-popup-content").inner_text()
        page.locator(f'li[data-order="{order}"]').tap()
        page.wait_for_timeout(200)
        assert page.locator("img").count() == 0
        visit.assert_clean()
    finally:
        visit.close()


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


@pytest.mark.parametrize("which", ["normal", "overview"])
def test_maps_reference_no_outside_resource(maps, which):
    html = maps[which].read_text(encoding="utf-8")
    parser = _Links()
    parser.feed(html)
    assert parser.urls == [], f"elements load files: {parser.urls}"
    assert not re.search(r"<(script|link|img|iframe)[^>]*\s(src|href)=", html, re.IGNORECASE)
    # Inside the inlined scripts, the only URLs in src/href are Leaflet's own credit link (replaced at run time).
    inline = set(re.findall(r"""(?:src|href)\s*=\s*\\?["']?(https?://[^"'\\ >]+)""", html))
    assert inline <= {"https://leafletjs.com"}, inline
    assert html.count(OSM_TILES) == 1, "the optional tile layer is the one URL template"
    assert "© les contributeurs d’OpenStreetMap (ODbL)" in html


def test_maps_credit_the_fetched_sources(demo):
    """A territory fetched by canvass fetch carries its sources' credits onto every map, as text."""
    territory = dataclasses.replace(demo["territory"], meta=demo["territory"].meta | {
        "sources": {"attribution": ["© les contributeurs d'OpenStreetMap", "Ministère de l'Intérieur", "<b>Ville</b> de Paris (ODbL)"]}})
    team = demo["teams"][0]
    steps = demo["walks"][demo["walks"]["team"] == team.name]
    for html in (team_map(steps, team, 0, territory=territory), overview_map(demo["plan"], demo["teams"], demo["walks"], territory)):
        credits = json.loads(re.search(r'"osm":("[^"]*")', html).group(1))
        assert credits == "Rues © les contributeurs d’OpenStreetMap (ODbL) · Ministère de l&#x27;Intérieur · &lt;b&gt;Ville&lt;/b&gt; de Paris (ODbL)"


def test_team_map_is_small(maps, demo):
    size = maps["normal"].stat().st_size
    walk = demo["plan"].walks[0]
    assert walk.budget_minutes >= 120
    assert size < MAX_BYTES, f"{size:,} bytes"
    print(f"team map: {size / 1e6:.2f} MB for {len(walk.steps)} streets, {walk.minutes:.0f} min")


def test_overview_map(browser, maps, demo):
    html = maps["overview"].read_text(encoding="utf-8")
    assert XSS not in html
    visit = Visit(browser, maps["overview"])
    try:
        page = visit.page
        labels = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
        joined = "\n".join(labels)
        for name in ("Priorités", "Déjà faits", "Lieux de rendez-vous", "Fond de carte OpenStreetMap (en ligne)", *(t.name for t in demo["teams"])):
            assert name in joined, f"{name!r} missing from the layer switcher: {labels}"
        for index, walk in enumerate(demo["plan"].walks):
            assert page.evaluate(f"window.canvassTeams['team{index}'].getLayers().length") == len(walk.steps)
        page.evaluate("window.canvassTeams['team0'].getLayers()[0].openTooltip()")
        assert XSS in page.locator(".leaflet-tooltip").last.inner_text(), "street names show as text in tooltips"
        assert "Priorité" in page.locator(".canvass-legend").inner_text()
        assert "secret" in page.locator(".canvass-legend").inner_text()
        popups = page.evaluate("""() => {
            const out = [];
            window.canvassMap.eachLayer(l => { if (l.feature && l.getPopup()) out.push(l.getPopup().getContent()); });
            return out; }""")
        assert len(popups) == len(demo["territory"].bureaux)
        secret = [p for p in popups if "secret" in p]
        assert len(secret) == 1
        for label in ("Score", "Rang", "Inscrits", "Abstention", "Part du camp"):
            assert f"<th>{label}</th><td>secret</td>" in secret[0]
        assert any("Part du camp" in p and "%" in p for p in popups)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "overview_phone.png"))
        page.set_viewport_size({"width": 1280, "height": 800})
        page.evaluate("window.canvassFit()")
        page.wait_for_timeout(300)
        page.screenshot(path=str(ARTIFACTS / "overview_desktop.png"))
        visit.assert_clean()
    finally:
        visit.close()


def test_maps_without_streets_or_scores(demo):
    team = demo["teams"][0]
    empty = demo["walks"].iloc[:0]
    html = team_map(empty, team, 3)
    assert "Aucune rue attribuée à cette équipe." in html and "canvassTeamMap" in html
    overview = overview_map(demo["plan"], demo["teams"], demo["walks"], demo["territory"])
    assert "Bureaux de vote" in overview and "Priorités" not in overview and "Déjà faits" not in overview


def test_meeting_place_keeps_its_name_and_the_overview_zooms_to_the_walks(browser, demo, tmp_path):
    """A place chosen as 'Bureau 1 – Mairie' is named on the phone map and the overview; the overview fits the walks, not the commune."""
    team = dataclasses.replace(demo["teams"][0], place_name="Bureau 1 – Mairie <b>")
    steps = demo["walks"][demo["walks"]["team"] == team.name]
    phone = write_map(team_map(steps, team, 0, territory=demo["territory"]), tmp_path / "equipe.html")
    visit = Visit(browser, phone)
    try:
        tooltip = visit.page.locator(".leaflet-tooltip.canvass-place")
        assert tooltip.count() == 1 and tooltip.inner_text() == "Départ : Bureau 1 – Mairie <b>"  # shown without a tap, as text
        assert "Départ : Bureau 1 – Mairie <b> (⚑)" in visit.page.locator("#canvass-panel").inner_text()
        visit.assert_clean()
    finally:
        visit.close()
    one_team = dataclasses.replace(demo["plan"], walks=demo["plan"].walks[:1])
    overview = write_map(overview_map(one_team, [team], steps, demo["territory"], demo["scores"].bureaux), tmp_path / "ensemble.html")
    visit = Visit(browser, overview)
    try:
        page = visit.page
        page.set_viewport_size({"width": 1280, "height": 800})
        page.evaluate("window.canvassFit()")
        page.wait_for_timeout(300)
        fits = page.evaluate("""() => {
            const map = window.canvassMap, walked = L.latLngBounds([]), areas = L.latLngBounds([]);
            map.eachLayer(l => { if (l.feature) areas.extend(l.getBounds()); });
            window.canvassTeams['team0'].getLayers().forEach(l => walked.extend(l.getBounds()));
            return {contains: map.getBounds().pad(0.01).contains(walked), zoom: map.getZoom(), communeZoom: map.getBoundsZoom(areas)}; }""")
        assert fits["contains"] and fits["zoom"] > fits["communeZoom"], fits
        page.locator(".canvass-start").first.hover()
        assert "Bureau 1 – Mairie <b>" in page.locator(".leaflet-tooltip").last.inner_text()
        visit.assert_clean()
    finally:
        visit.close()
