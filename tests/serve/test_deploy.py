"""The reverse proxy (deploy/Caddyfile): Caddy accepts it, and run on local ports it routes and compresses as the README says."""

from __future__ import annotations

import gzip
import http.server
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

CADDYFILE = Path(__file__).resolve().parents[2] / "deploy" / "Caddyfile"


def _caddy() -> str:
    path = shutil.which("caddy")
    if path is None:
        pytest.fail("caddy not found: apt-get install caddy (scripts/test.sh installs it as root)", pytrace=False)
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(tmp_path: Path, **values: str) -> dict:
    return {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config"), "HOME": str(tmp_path), **values}


def test_caddy_validates_the_configuration(tmp_path):
    result = subprocess.run([_caddy(), "validate", "--config", str(CADDYFILE), "--adapter", "caddyfile"], capture_output=True, text=True,
                            env=_env(tmp_path, CANVASS_SITE="pap.exemple.org"), timeout=60)
    assert result.returncode == 0 and "Valid configuration" in result.stdout + result.stderr, result.stderr
    adapted = subprocess.run([_caddy(), "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile"], capture_output=True, text=True,
                             env=_env(tmp_path, CANVASS_SITE="pap.exemple.org"), timeout=60, check=True)
    text = adapted.stdout
    config = json.loads(text)
    server = next(iter(config["apps"]["http"]["servers"].values()))
    assert server["listen"] == [":443"], "a domain name gets HTTPS"
    assert '"prefer":["zstd","gzip"]' in text.replace(" ", "")
    assert '"strip_path_prefix":"/equipes"' in text and '"dial":"127.0.0.1:8502"' in text and '"dial":"127.0.0.1:8501"' in text


class _FakeApp(http.server.BaseHTTPRequestHandler):
    """Stands for Streamlit: answers every GET with a recognisable page."""

    def do_GET(self):
        body = b"<html>application streamlit " + b"x" * 2000 + b"</html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _open(url: str, *, encoding: str = "identity", data: bytes | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, data=data, headers={"Accept-Encoding": encoding, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def test_caddy_routes_pages_api_and_app_with_compression(served, tmp_path):
    app = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FakeApp)
    threading.Thread(target=app.serve_forever, daemon=True).start()
    port = _free_port()
    site = f"http://127.0.0.1:{port}"
    env = _env(tmp_path, CANVASS_SITE=site, CANVASS_SERVE=served["base"].removeprefix("http://"), CANVASS_APP=f"127.0.0.1:{app.server_address[1]}",
               CANVASS_CADDY_ADMIN=f"127.0.0.1:{_free_port()}")
    caddy = subprocess.Popen([_caddy(), "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if _open(f"{site}/")[0] == 200:
                    break
            except OSError:
                pass
            if caddy.poll() is not None or time.monotonic() > deadline:
                caddy.kill()
                pytest.fail(f"caddy did not start:\n{caddy.stdout.read().decode(errors='replace')}")
            time.sleep(0.2)
        item = next(iter(served["bundle"].links.values()))
        status, headers, raw = _open(f"{site}/equipes/{item['token']}.html")
        assert status == 200 and item["team"].encode() in raw and "content-encoding" not in headers
        status, headers, packed = _open(f"{site}/equipes/{item['token']}.html", encoding="gzip")
        assert status == 200 and headers["content-encoding"] == "gzip" and gzip.decompress(packed) == raw
        assert len(packed) < len(raw) / 2.5, "team pages shrink about threefold"
        status, headers, _ = _open(f"{site}/equipes/{item['token']}.html", encoding="zstd, gzip")
        assert status == 200 and headers["content-encoding"] == "zstd"
        assert headers.get("referrer-policy") == "no-referrer" and "server" not in headers
        assert _open(f"{site}/equipes/links.json")[0] == 404
        entry = {"id": "cafe0123cafe0123", "unit": item["units"][0], "knocked": 3, "opened": 1, "outcomes": {"absent": 2}}
        status, _, body = _open(f"{site}/equipes/api/terrain/{item['token']}", data=json.dumps({"entries": [entry]}).encode())
        assert status == 200 and json.loads(body)["accepted"] == [entry["id"]]
        assert _open(f"{site}/equipes/api/terrain/{item['token']}", data=b"x" * 300_000)[0] == 413
        status, headers, body = _open(f"{site}/", encoding="gzip")
        assert status == 200 and b"application streamlit" in gzip.decompress(body)
    finally:
        caddy.terminate()
        caddy.wait(timeout=20)
        app.shutdown()
        app.server_close()
