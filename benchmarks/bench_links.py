"""Benchmark: volunteers opening their team links all at once, static pages against the app's ``?equipe=`` path, same run.

    python benchmarks/bench_links.py [--opens 100] [--browsers 20] [--teams 10]

Starts the app (``streamlit run app.py`` headless, static serving on) on a data folder holding the
demo commune planned for ``--teams`` teams and exported, with the public pages published into the
app's ``static/`` folder (:func:`canvass.serve.publish.publish`), then measures, in this order:

- ``static-http``: ``--opens`` threads GET their team page at once (``/app/static/partage/<token>.html``),
  time until the whole page is received;
- ``static-browser``: ``--browsers`` Chromium pages open their team link at once, time until the
  team's walk is drawn (a Leaflet path on the map);
- ``equipe-browser``: the same pages open the way the app served volunteers before static pages
  (``?equipe=<token>``: a script run per phone, the page in an iframe; :data:`SCRIPT_VIEW`, served by the
  same app as one of its pages), time until the walk is drawn;
- ``*-alone``: one page at a time (3 opens), the time a phone takes to draw its map when nobody
  else loads: with ``--browsers`` pages at once, the browsers share this machine's two cores, so
  the browser rows add client rendering that real phones do on their own processors. A phone's
  time to the map among 100 is about its ``static-browser-alone`` time plus the ``static-http`` time.

Reports median and p95 seconds, and the CPU seconds the server process used in each phase.
Target: static p95 under 5 s for 100 simultaneous opens. Writes ``benchmarks/results/links.csv``.
The app runs from a copy of ``app.py`` in a temporary folder, so the repository's ``static/`` is untouched.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil

from canvass.demo import DEMO_COMMUNE, write_demo
from canvass.outputs.export import export_bundle
from canvass.plan.io import walks_frame
from canvass.plan.problem import build_problem
from canvass.plan.solve import plan_walks
from canvass.plan.teams import Team
from canvass.scores.camps import Camp
from canvass.scores.score import score_territory
from canvass.scores.strategies import ScoreParams
from canvass.serve.links import static_base_url
from canvass.serve.publish import publish
from canvass.territory.build import build_territory

from _common import QUICK, write_rows

APP = Path(__file__).resolve().parents[1] / "app.py"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run",
         "--disable-renderer-backgrounding", "--disable-background-timer-throttling"]
DRAWN = ".leaflet-overlay-pane path.leaflet-interactive"
"""The team's walk on the map: present once the page has drawn it."""


SCRIPT_VIEW = '''"""The comparator: a volunteer's map rendered by a script run, in an iframe (the app's view before static pages)."""
import os
from pathlib import Path

import streamlit as st

from canvass.outputs.export import find_team_map

page = find_team_map(Path(os.environ["CANVASS_DATA"]) / "partage", str(st.query_params.get("equipe", "")))
if page is None:
    st.error("Lien inconnu")
else:
    st.iframe(page, height=900)
'''


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(root: Path, n_teams: int, port: int) -> dict:
    """The demo commune planned and exported into ``root/data/partage``, its pages published into ``root/app/static``."""
    demo = root / "data" / "demo"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_demo(demo)
        territory = build_territory(demo, [DEMO_COMMUNE])
    scores = score_territory(territory, ScoreParams(camp=Camp(("gauche",))))
    points = territory.bureaux.geometry.representative_point()
    teams = [Team(f"Équipe {i + 1}", 2, (points.iloc[i % len(points)].x, points.iloc[i % len(points)].y), 60) for i in range(n_teams)]
    plan = plan_walks(build_problem(territory.segments, scores.segments, teams), time_limit_s=5 if QUICK else 20)
    bundle = export_bundle(plan, teams, walks_frame(plan, territory.segments), root / "data" / "partage", territory=territory,
                           base_url=static_base_url(f"http://127.0.0.1:{port}"))
    (root / "app").mkdir()
    shutil.copy(APP, root / "app" / "app.py")
    (root / "app" / "pages").mkdir()
    (root / "app" / "pages" / "carte_par_script.py").write_text(SCRIPT_VIEW, encoding="utf-8")
    publish(bundle.folder, root / "app" / "static")
    return bundle.links


def start_app(root: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "CANVASS_DATA": str(root / "data"), "CANVASS_PASSWORD": "bench", "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    env.pop("DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(root / "app" / "app.py"), "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.enableStaticServing", "true"],
        cwd=root / "app", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 90
    while True:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                return process
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit("streamlit did not start")
        time.sleep(0.3)


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system + sum(child.cpu_times().user + child.cpu_times().system for child in process.children(recursive=True))


def http_opens(urls: list[str]) -> list[float]:
    """Every URL fetched by its own thread, all released at once; seconds until each whole page was received."""
    barrier = threading.Barrier(len(urls))

    def fetch(url: str) -> float:
        barrier.wait()
        start = time.perf_counter()
        with urllib.request.urlopen(url, timeout=120) as response:
            body = response.read()
        if response.status != 200 or b"canvass-team" not in body:
            raise RuntimeError(f"{url} did not answer with a team page")
        return time.perf_counter() - start

    with ThreadPoolExecutor(len(urls)) as pool:
        return list(pool.map(fetch, urls))


def browser_opens(urls: list[str], *, in_frame: bool) -> list[float]:
    """Each URL in its own Chromium page, all opened at once; seconds until the walk is drawn (inside the app's iframe for ``?equipe=``)."""
    import asyncio

    from playwright.async_api import async_playwright

    async def run() -> list[float]:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
            contexts = [await browser.new_context(viewport={"width": 390, "height": 844}) for _ in urls]
            pages = [await context.new_page() for context in contexts]

            async def one(page, url: str) -> float:
                start = time.perf_counter()
                await page.goto(url, wait_until="commit", timeout=300_000)
                scope = page.frame_locator("iframe").first if in_frame else page
                await scope.locator(DRAWN).first.wait_for(state="attached", timeout=300_000)
                return time.perf_counter() - start

            try:
                return list(await asyncio.gather(*(one(page, url) for page, url in zip(pages, urls))))
            finally:
                await browser.close()

    return asyncio.run(run())


def summary(name: str, seconds: list[float], cpu: float, wall: float) -> dict:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    row = {"path": name, "opens": len(seconds), "median_s": round(statistics.median(seconds), 3), "p95_s": round(p95, 3),
           "max_s": round(ordered[-1], 3), "server_cpu_s": round(cpu, 2), "server_cpu_ms_per_open": round(1000 * cpu / len(seconds), 1),
           "wall_s": round(wall, 2)}
    print(f"{name:16} {row['opens']:6d} {row['median_s']:9.3f} {row['p95_s']:8.3f} {row['max_s']:8.3f} {row['server_cpu_s']:8.2f} "
          f"{row['server_cpu_ms_per_open']:10.1f}")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--opens", type=int, default=10 if QUICK else 100, help="simultaneous HTTP opens of the static pages (default 100)")
    parser.add_argument("--browsers", type=int, default=4 if QUICK else 20, help="simultaneous Chromium pages per path (default 20)")
    parser.add_argument("--teams", type=int, default=10, help="teams in the plan; the opens cycle over their links (default 10)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-links-"))
    port = _free_port()
    links = list(prepare(root, args.teams, port).values())
    server = start_app(root, port)
    process = psutil.Process(server.pid)
    base = f"http://127.0.0.1:{port}"
    phases = [
        ("static-http", lambda: http_opens([links[i % len(links)]["link"] for i in range(args.opens)])),
        ("static-browser", lambda: browser_opens([links[i % len(links)]["link"] for i in range(args.browsers)], in_frame=False)),
        ("equipe-browser", lambda: browser_opens([f"{base}/carte_par_script?equipe={links[i % len(links)]['token']}" for i in range(args.browsers)],
                                                 in_frame=True)),
        ("static-alone", lambda: [browser_opens([links[i]["link"]], in_frame=False)[0] for i in range(3)]),
        ("equipe-alone", lambda: [browser_opens([f"{base}/carte_par_script?equipe={links[i]['token']}"], in_frame=True)[0] for i in range(3)]),
    ]
    rows = []
    print(f"{'path':16} {'opens':>6} {'median s':>9} {'p95 s':>8} {'max s':>8} {'cpu s':>8} {'cpu ms/open':>10}   target: static p95 < 5 s")
    try:
        http_opens([links[0]["link"]])  # one warm-up open: the server's first answer imports its file handlers
        for name, measure in phases:
            cpu, clock = cpu_seconds(process), time.perf_counter()
            seconds = measure()
            rows.append(summary(name, seconds, cpu_seconds(process) - cpu, time.perf_counter() - clock))
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)
    static, old = rows[1], rows[2]
    print(f"in a browser, static pages are drawn {old['median_s'] / max(static['median_s'], 1e-9):.0f}× sooner (median) "
          f"and cost the server {old['server_cpu_s'] / max(static['server_cpu_s'], 1e-9):.0f}× less CPU")
    write_rows(rows, "links")


if __name__ == "__main__":
    main()
