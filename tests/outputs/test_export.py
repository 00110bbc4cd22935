"""The share bundle: a public folder that names one team per page, a private one for the organiser, swapped in whole.

Served over a real HTTP server, the public folder answers nothing but a team's
own page to its own token; every QR code and link opens its team's map in
Chromium; a full disk, a read-only folder or a kill -9 leaves the previous export
intact.
"""

import functools
import hashlib
import http.server
import json
import multiprocessing
import os
import random
import secrets
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp

from canvass.demo import DEMO_COMMUNE, write_demo
from canvass.errors import InputDataError, StorageError
from canvass.outputs import export as export_module
from canvass.outputs.export import check_base_url, export_bundle, find_team_map, read_manifest, team_for_token
from canvass.plan.io import load_plan, save_plan
from canvass.plan.problem import build_problem
from canvass.plan.solve import plan_walks
from canvass.plan.teams import Team
from canvass.scores.camps import Camp
from canvass.scores.score import score_territory
from canvass.scores.strategies import ScoreParams
from canvass.territory.build import build_territory

BASE = "https://exemple.org/porte-a-porte"
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
BUREAU_WORDS = ("Abstention", "Inscrits", "share_abstention", "share_camp", "n_registered", "Priorité")
"""Words of the overview's bureau figures: none may appear in a team page."""


@pytest.fixture(scope="module")
def demo_plan(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    write_demo(folder)
    territory = build_territory(folder, [DEMO_COMMUNE])
    scores = score_territory(territory, ScoreParams(camp=Camp(("gauche",))))
    points = territory.bureaux.geometry.representative_point()
    teams = [Team(f"Équipe {i + 1}", 2, (points.iloc[i].x, points.iloc[i].y), 60) for i in range(3)]
    plan = plan_walks(build_problem(territory.segments, scores.segments, teams), time_limit_s=2)
    save_plan(plan, teams, territory, folder / "plan.gpkg")
    return (*load_plan(folder / "plan.gpkg"), territory, scores)


@pytest.fixture(scope="module")
def exported(demo_plan, tmp_path_factory):
    """One full export (overview and bureau figures included) to a folder of its own."""
    plan, teams, walks, territory, scores = demo_plan
    folder = tmp_path_factory.mktemp("export")
    return export_bundle(plan, teams, walks, folder, territory=territory, bureau_scores=scores.bureaux.reset_index(), base_url=BASE)


def _tree(folder: Path) -> dict[str, str]:
    """Every file reachable through ``public/`` and ``organisateur/``, with its SHA-256."""
    return {f"{view}/{path.relative_to(folder / view).as_posix()}": hashlib.sha256(path.read_bytes()).hexdigest()
            for view in ("public", "organisateur") for path in sorted((folder / view).rglob("*")) if path.is_file()}


def _consistent(folder: Path) -> str:
    """The export id the folder shows, after checking every visible file against that export's manifest."""
    manifest = read_manifest(folder)
    tree = _tree(folder)
    tree.pop("organisateur/manifest.json")
    assert tree == manifest["files"], "the visible files are not exactly those of one export"
    links = json.loads((folder / "organisateur" / "links.json").read_text(encoding="utf-8"))
    assert {f"public/{item['token']}.html" for item in links} <= set(tree)
    return manifest["export_id"]


def test_public_and_private_folders(exported):
    folder = exported.folder
    tokens = [item["token"] for item in exported.links.values()]
    assert len(set(tokens)) == 3 and all(len(token) >= 16 for token in tokens)  # 12 random bytes each
    public = sorted(path.name for path in exported.public.iterdir())
    assert public == sorted(["index.html", *(f"{t}.html" for t in tokens), *(f"{t}.pdf" for t in tokens)])
    assert sorted(path.name for path in exported.private.iterdir()) == ["carnet.pdf", "index.html", "links.json", "manifest.json",
                                                                        "organisateur.html"]
    for item in exported.links.values():
        assert item["link"] == f"{BASE}/{item['token']}.html"
        page = (folder / item["map"]).read_text(encoding="utf-8")
        assert item["team"] in page and all(other not in page for other in exported.links if other != item["team"])
        assert all(token not in page for token in tokens if token != item["token"]), "a team page names another team's token"
        assert not any(word in page for word in BUREAU_WORDS), "a team page shows bureau figures"
        assert "links.json" not in page and "organisateur" not in page and "carnet" not in page
        image = pypdfium2.PdfDocument(folder / item["sheet"])[0].render(scale=200 / 72).to_pil()
        assert [code.text for code in zxingcpp.read_barcodes(image)] == [item["link"]]
    neutral = (exported.public / "index.html").read_text(encoding="utf-8")
    assert not any(token in neutral for token in tokens)
    index = (exported.private / "index.html").read_text(encoding="utf-8")
    assert all(item["link"] in index for item in exported.links.values())
    assert any(word in (exported.private / "organisateur.html").read_text(encoding="utf-8") for word in BUREAU_WORDS)
    assert (exported.private / "carnet.pdf").read_bytes().startswith(b"%PDF")
    assert _consistent(folder) == read_manifest(folder)["export_id"]


@pytest.fixture
def http_public(exported):
    """The public folder served as is by Python's http.server (which lists folders that have no index.html)."""
    handler = functools.partial(_QuietHandler, directory=str(exported.public))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def test_served_public_folder_answers_only_a_teams_own_token(exported, http_public):
    tokens = [item["token"] for item in exported.links.values()]
    fixed = ["links.json", "organisateur.html", "carnet.pdf", "manifest.json", "organisateur/index.html", "organisateur/links.json",
             "../organisateur/links.json", "%2e%2e/organisateur/links.json", "current/organisateur/links.json", "feuilles/", ".exports/",
             "public/", "index.json", "sitemap.xml"]
    for name in fixed:
        status, _ = _get(f"{http_public}/{name}")
        assert status == 404, f"/{name} answered {status}"
    for path in ("/", "/index.html"):
        status, body = _get(http_public + path)
        assert status == 200 and not any(token.encode() in body for token in tokens), f"{path} names a team's token"
    rng = random.Random(7)
    for _ in range(200):
        guess = secrets.token_urlsafe(12) if rng.random() < 0.5 else tokens[0][:-1] + rng.choice("abcXYZ019-_")
        if guess in tokens:
            continue
        assert _get(f"{http_public}/{guess}.html")[0] == 404 and _get(f"{http_public}/{guess}.pdf")[0] == 404
    for item in exported.links.values():
        status, body = _get(f"{http_public}/{item['token']}.html")
        assert status == 200 and item["team"].encode() in body
        assert not any(token.encode() in body for token in tokens if token != item["token"])


def test_tokens_survive_a_new_export_and_old_versions_go(demo_plan, tmp_path):
    plan, teams, walks, _, _ = demo_plan
    first = export_bundle(plan, teams, walks, tmp_path, base_url=BASE)
    second = export_bundle(plan, teams, walks, tmp_path, base_url=BASE)
    assert {k: v["token"] for k, v in first.links.items()} == {k: v["token"] for k, v in second.links.items()}
    assert len(list((tmp_path / ".exports").iterdir())) == 1
    assert not (tmp_path / "organisateur" / "organisateur.html").exists()  # no territory: no overview
    _consistent(tmp_path)


def test_a_folder_of_the_old_layout_keeps_its_tokens_and_loses_its_public_index(demo_plan, tmp_path):
    plan, teams, walks, _, _ = demo_plan
    old = {team.name: secrets.token_urlsafe(12) for team in teams}
    (tmp_path / "feuilles").mkdir()
    for name, token in old.items():
        (tmp_path / f"{token}.html").write_text("ancienne carte", encoding="utf-8")
        (tmp_path / "feuilles" / f"{token}.pdf").write_bytes(b"%PDF ancienne")
    (tmp_path / "links.json").write_text(json.dumps([{"team": name, "token": token} for name, token in old.items()]), encoding="utf-8")
    for name in ("index.html", "organisateur.html", "carnet.pdf"):
        (tmp_path / name).write_text("ancien", encoding="utf-8")
    bundle = export_bundle(plan, teams, walks, tmp_path, base_url=BASE)
    assert {name: item["token"] for name, item in bundle.links.items()} == old, "printed QR codes stay valid"
    assert sorted(path.name for path in tmp_path.iterdir()) == [".exports", "current", "organisateur", "public"]


def test_token_lookup(exported, monkeypatch):
    folder = exported.folder
    token = next(iter(exported.links.values()))["token"]
    assert find_team_map(folder, token) == folder / "public" / f"{token}.html"
    assert team_for_token(folder, token)["team"] == next(iter(exported.links))
    for bad in ("", "../index", "index", "links", token[:-1] + "!", "x" * 16, token + "x", token.upper() if token.upper() != token else "y" * 16):
        assert find_team_map(folder, bad) is None
    compared = []
    real = export_module.hmac.compare_digest
    monkeypatch.setattr(export_module.hmac, "compare_digest", lambda a, b: compared.append(a) or real(a, b))
    assert team_for_token(folder, token) is not None
    assert len(compared) == len(exported.links), "every known token is compared, the match does not stop the loop"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JavaScript://exemple.org/%0aalert(1)", "http://exemple.org/pap", "file:///etc",
                                 "ftp://exemple.org", "https://", "https://alice:secret@exemple.org", "https://exemple.org/?x=1",
                                 "https://exemple.org/#a", "https://exemple.org/a b", "exemple.org/pap", "data:text/html,<b>x</b>"])
def test_bad_base_urls_are_refused(url):
    with pytest.raises(InputDataError, match="base URL"):
        check_base_url(url)


def test_good_base_urls():
    assert check_base_url("https://exemple.org/porte-a-porte/") == "https://exemple.org/porte-a-porte"
    assert check_base_url("http://localhost:8000") == "http://localhost:8000"
    assert check_base_url("http://127.0.0.1:8501/app/static/partage") == "http://127.0.0.1:8501/app/static/partage"
    assert check_base_url("http://[::1]:8080") == "http://[::1]:8080"


def test_export_with_a_bad_base_url_writes_nothing(demo_plan, tmp_path):
    plan, teams, walks, _, _ = demo_plan
    with pytest.raises(InputDataError):
        export_bundle(plan, teams, walks, tmp_path / "partage", base_url="javascript:alert(1)")
    assert not (tmp_path / "partage").exists()


def test_without_base_url_links_are_relative_and_sheets_have_no_qr(demo_plan, tmp_path):
    plan, teams, walks, _, _ = demo_plan
    bundle = export_bundle(plan, teams, walks, tmp_path, field_api="")
    for item in bundle.links.values():
        assert item["link"] == f"{item['token']}.html"
        assert "canvass-terrain" not in (tmp_path / item["map"]).read_text(encoding="utf-8"), "no field API: no field form"
        image = pypdfium2.PdfDocument(tmp_path / item["sheet"])[0].render(scale=200 / 72).to_pil()
        assert zxingcpp.read_barcodes(image) == []


# -- the disk fails -------------------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MiB tmpfs mounted in a temporary folder (the suite runs as root, as CI does); unmounted afterwards."""
    mount = tmp_path / "disk"
    mount.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"this test mounts a small tmpfs and needs root (as CI has): {result.stderr.strip()}", pytrace=False)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_full_disk_and_read_only_folder_keep_the_previous_export(demo_plan, small_disk):
    plan, teams, walks, territory, scores = demo_plan
    folder = small_disk / "partage"
    export_bundle(plan, teams, walks, folder, territory=territory, base_url=BASE)
    before = _tree(folder)
    free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
    (small_disk / "filler").write_bytes(b"\0" * max(0, free - 200_000))
    with pytest.raises(StorageError) as full:
        export_bundle(plan, teams, walks, folder, territory=territory, bureau_scores=scores.bureaux.reset_index(), base_url=BASE)
    assert full.value.reason == "full" and "disk" in str(full.value) and "plein" in full.value.french
    assert _tree(folder) == before and len(list((folder / ".exports").iterdir())) == 1, "no half export left behind"
    (small_disk / "filler").unlink()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True, capture_output=True)
    try:
        with pytest.raises(StorageError) as read_only:
            export_bundle(plan, teams, walks, folder, territory=territory, base_url=BASE)
        assert read_only.value.reason == "read-only" and "lecture seule" in read_only.value.french
        assert _tree(folder) == before
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True, capture_output=True)
    _consistent(folder)


# -- kill -9 in the middle --------------------------------------------------------------------------------------


def _export_forever(plan, teams, walks, folder, session):
    export_bundle(plan, teams, walks, folder, base_url=BASE, session=session)
    os._exit(0)


def test_kill_during_export_leaves_the_old_or_the_new_export(demo_plan, tmp_path):
    plan, teams, walks, _, _ = demo_plan
    folder = tmp_path / "partage"
    export_bundle(plan, teams, walks, folder, base_url=BASE, session="avant")
    clock = time.perf_counter()
    export_bundle(plan, teams, walks, folder, base_url=BASE, session="avant")
    seconds = time.perf_counter() - clock
    context = multiprocessing.get_context("fork")
    rng = random.Random(20260314)
    outcomes = []
    for run in range(20):
        before = _consistent(folder)
        process = context.Process(target=_export_forever, args=(plan, teams, walks, folder, f"séance {run}"))
        process.start()
        time.sleep(rng.uniform(0.0, 1.3 * seconds))
        os.kill(process.pid, signal.SIGKILL)
        process.join()
        after = _consistent(folder)  # old or new, every visible file from that one export
        outcomes.append("old" if after == before else "new")
    assert "old" in outcomes, outcomes
    final = export_bundle(plan, teams, walks, folder, base_url=BASE, session="après")
    assert _consistent(folder) and len(list((folder / ".exports").iterdir())) == 1, "killed exports' leftovers are cleared"
    assert "après" in (final.private / "index.html").read_text(encoding="utf-8")


# -- QR codes and links in a real browser ------------------------------------------------------------------------


def test_every_qr_code_and_link_opens_its_team_map_in_chromium(demo_plan, tmp_path):
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    plan, teams, walks, territory, _ = demo_plan
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(tmp_path / "public")))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        bundle = export_bundle(plan, teams, walks, tmp_path, territory=territory, base_url=base)
        decoded = {}
        for item in bundle.links.values():
            image = pypdfium2.PdfDocument(tmp_path / item["sheet"])[0].render(scale=200 / 72).to_pil()
            decoded[item["team"]] = [code.text for code in zxingcpp.read_barcodes(image)]
        booklet = pypdfium2.PdfDocument(bundle.private / "carnet.pdf")
        in_booklet = {code.text for page in booklet for code in zxingcpp.read_barcodes(page.render(scale=150 / 72).to_pil())}
        assert in_booklet == {item["link"] for item in bundle.links.values()}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
            try:
                for team, codes in decoded.items():
                    assert codes == [bundle.links[team]["link"]]
                    page = browser.new_page(viewport={"width": 390, "height": 844})
                    page.goto(codes[0])
                    page.wait_for_function("window.canvassMap !== undefined", timeout=15_000)
                    assert page.locator("#canvass-team").inner_text() == team
                    assert page.locator("li[data-order]").count() == len(bundle.links[team]["units"])
                    page.close()
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()
