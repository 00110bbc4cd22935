"""Publishing the public pages into Streamlit's static folder, and the full links the app hands out."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from canvass.errors import InputDataError
from canvass.outputs.export import export_bundle
from canvass.serve.links import public_url, share_target, static_base_url, team_link
from canvass.serve.publish import publish

ROOT = Path(__file__).resolve().parents[2]


def test_public_url_and_links():
    assert public_url("https://pap.exemple.org/", "http://10.0.0.5:8501/?page=x") == "https://pap.exemple.org"
    assert public_url(None, "https://pap.exemple.org/Partager?x=1") == "https://pap.exemple.org"
    assert public_url("", "http://localhost:8501/") == "http://localhost:8501"
    for configured, browser in ((None, "http://192.0.2.7:8501/"), ("javascript:alert(1)", None), (None, None)):
        with pytest.raises(InputDataError):
            public_url(configured, browser)
    base = static_base_url("https://pap.exemple.org")
    assert base == "https://pap.exemple.org/app/static/partage"
    assert team_link(base, "abcdefghijklmnop") == "https://pap.exemple.org/app/static/partage/abcdefghijklmnop.html"


def test_share_target_from_the_settings():
    behind_caddy = share_target({"CANVASS_TEAM_PAGES_URL": "https://pap.exemple.org/equipes/"}, "http://127.0.0.1:8501/")
    assert (behind_caddy.base_url, behind_caddy.field_api, behind_caddy.static) == ("https://pap.exemple.org/equipes", "api/terrain/", False)
    static = share_target({"CANVASS_PUBLIC_URL": "https://pap.exemple.org", "CANVASS_FIELD_API": "https://api.exemple.org/equipes/api/terrain"})
    assert (static.base_url, static.field_api, static.static) == ("https://pap.exemple.org/app/static/partage",
                                                                  "https://api.exemple.org/equipes/api/terrain/", True)
    assert share_target({}, "http://localhost:8501/").field_api == "", "Streamlit alone takes no field results: pages without the form"
    for environ in ({"CANVASS_TEAM_PAGES_URL": "http://pap.exemple.org"}, {"CANVASS_FIELD_API": "javascript:x", "CANVASS_PUBLIC_URL": "https://a.org"}):
        with pytest.raises(InputDataError):
            share_target(environ, None)


def _listing(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_publish_swaps_the_pages_in_whole(demo_plan, tmp_path):
    plan, teams, walks, territory = demo_plan
    static = tmp_path / "static"
    first = export_bundle(plan, teams, walks, tmp_path / "partage", territory=territory, base_url=static_base_url("http://localhost:8501"))
    served = publish(first.folder, static)
    assert served == static / "partage" and _listing(served) == _listing(first.public)
    assert (served / Path(next(iter(first.links.values()))["map"]).name).read_bytes() == (first.folder / next(iter(first.links.values()))["map"]).read_bytes()
    assert served.resolve().is_relative_to(static.resolve()), "Streamlit serves only files whose real path is inside static/"
    assert not any(name in _listing(served) for name in ("links.json", "organisateur.html", "carnet.pdf", "manifest.json"))
    first_page = {name: (served / name).read_bytes() for name in _listing(served)}
    second = export_bundle(plan, teams, walks, tmp_path / "partage", base_url=static_base_url("http://localhost:8501"), session="dimanche")
    publish(second.folder, static)
    publish(second.folder, static)  # twice the same export: still one version on disk
    assert _listing(served) == _listing(second.public) and {name: (served / name).read_bytes() for name in _listing(served)} != first_page
    assert len(list((static / ".partage.versions").iterdir())) == 1


def test_streamlit_serves_the_published_pages_as_files(demo_plan, tmp_path):
    """`streamlit run` with static serving on: a team page is a plain file answer, HTML, no script run."""
    plan, teams, walks, _ = demo_plan
    app = tmp_path / "app"
    app.mkdir()
    (app / "app.py").write_text("import streamlit as st\nst.write('organisateur')\n", encoding="utf-8")
    port = int(subprocess.check_output([sys.executable, "-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"]))
    base = static_base_url(f"http://127.0.0.1:{port}")
    bundle = export_bundle(plan, teams, walks, tmp_path / "partage", base_url=base)
    publish(bundle.folder, app / "static")
    env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    process = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(app / "app.py"), "--server.headless", "true", "--server.port",
                                str(port), "--server.address", "127.0.0.1", "--server.enableStaticServing", "true"],
                               cwd=app, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"streamlit did not start:\n{process.stdout.read().decode(errors='replace')}")
            time.sleep(0.3)
        for item in bundle.links.values():
            with urllib.request.urlopen(item["link"], timeout=10) as response:
                assert response.headers["Content-Type"].startswith("text/html")
                assert response.read() == (bundle.folder / item["map"]).read_bytes()
        for name in ("links.json", "organisateur.html", "carnet.pdf", "x" * 16 + ".html"):
            with pytest.raises(urllib.error.HTTPError) as missing:
                urllib.request.urlopen(f"{base}/{name}", timeout=10)
            assert missing.value.code == 404
    finally:
        process.terminate()
        process.wait(timeout=20)
