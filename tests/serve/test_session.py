"""The organiser's session cookie: signed tickets, and a reload of a real Streamlit page that keeps the login."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from canvass.serve.session import COOKIE, check, issue, session_key

CHROMIUM = Path("/usr/bin/chromium")


def test_tickets(tmp_path):
    key = session_key(tmp_path)
    assert session_key(tmp_path) == key and len(key) == 32 and (tmp_path / ".session_key").stat().st_mode & 0o077 == 0
    ticket = issue(key, "demo", "Dominique", now=1000.0, lifetime_s=60)
    assert check(key, ticket, "demo", now=1059.0) == "Dominique"
    assert check(key, ticket, "demo", now=1061.0) is None, "expired"
    assert check(key, ticket, "autre", now=1000.0) is None, "another campaign"
    assert check(os.urandom(32), ticket, "demo", now=1000.0) is None, "another server's key"
    body, signature = ticket.split(".")
    forged = issue(os.urandom(32), "demo", "Mallory", now=1000.0).split(".")[0]
    for bad in (None, "", "x", f"{forged}.{signature}", f"{body}.{signature[:-2]}", f"{body}.{signature}.x", "é.é"):
        assert check(key, bad, "demo", now=1000.0) is None


APP = '''
import os
from pathlib import Path
import streamlit as st
from canvass.serve.session import COOKIE, check, cookie_script, issue, session_key

key = session_key(Path(os.environ["DATA"]))
if "author" not in st.session_state:
    st.session_state["author"] = check(key, st.context.cookies.get(COOKIE), "demo")
if st.session_state["author"] is None:
    name = st.text_input("Prénom")
    if st.button("Connexion") and name:
        st.session_state["author"] = name
        st.session_state["set_cookie"] = issue(key, "demo", name)
        st.rerun()
else:
    if st.session_state.get("set_cookie"):
        st.html(cookie_script(st.session_state.pop("set_cookie"), secure=False), unsafe_allow_javascript=True)
    st.write(f"Connecté : {st.session_state['author']}")
'''


def test_a_reload_keeps_the_login_in_streamlit(tmp_path):
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    (tmp_path / "app.py").write_text(APP, encoding="utf-8")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "DATA": str(tmp_path / "data"), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    process = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(tmp_path / "app.py"), "--server.headless", "true",
                                "--server.port", str(port), "--server.address", "127.0.0.1"], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
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
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
            try:
                page = browser.new_page()
                page.goto(url)
                page.get_by_label("Prénom").fill("Dominique")
                page.get_by_role("button", name="Connexion").click()
                page.get_by_text("Connecté : Dominique").wait_for(timeout=30_000)
                page.wait_for_function(f"document.cookie.indexOf('{COOKIE}=') >= 0", timeout=10_000)
                page.reload()
                page.get_by_text("Connecté : Dominique").wait_for(timeout=30_000)
                context = browser.new_context()  # another browser, no cookie: the login form
                fresh = context.new_page()
                fresh.goto(url)
                fresh.get_by_label("Prénom").wait_for(timeout=30_000)
                context.close()
            finally:
                browser.close()
    finally:
        process.terminate()
        process.wait(timeout=20)
