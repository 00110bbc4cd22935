"""Benchmark: how fast the app answers once a plan exists (demo commune), against an empty page in the same run.

    python benchmarks/bench_app.py

Runs the app with streamlit's AppTest (the same script a browser session runs), plans the demo
once, then times a rerun of every page (best of 5) — what a click or a widget change costs on
the server. Baseline: a rerun of the login page (the app's floor). Target: under 1 s per
interaction once a plan exists. Writes ``benchmarks/results/app.csv``.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

from streamlit.testing.v1 import AppTest

from canvass.demo import DEMO_COMMUNE, write_demo
from canvass.territory.build import build_territory
from canvass.territory.io import save_territory

from _common import best_of, write_rows

APP = str(Path(__file__).resolve().parents[1] / "app.py")




def main() -> None:
    data = Path(tempfile.mkdtemp())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_demo(data / "demo")
        save_territory(build_territory(data / "demo", [DEMO_COMMUNE]), data / "demo" / "territory.gpkg")
    os.environ.update(CANVASS_DATA=str(data), CANVASS_PASSWORD="bench")
    os.environ.pop("DATABASE_URL", None)
    login = AppTest.from_file(APP, default_timeout=120)
    floor = best_of(login.run)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.text_input(key="login_password").input("bench")
    at.button[0].click().run()
    at.sidebar.radio(key="page").set_value("Territoire").run()
    at.sidebar.radio(key="page").set_value("Plan").run()
    at.slider(key="time_limit").set_value(10).run()
    at.button(key="run_plan").click().run()
    at.session_state["job"].join()
    at.run()
    at.sidebar.radio(key="page").set_value("Partager").run()
    at.button(key="export").click().run()
    rows = []
    print(f"{'page':12} {'rerun s':>8} {'login s':>8} {'ratio':>6}  target < 1 s")
    for page in ("Territoire", "Priorités", "Équipes", "Plan", "Partager", "Terrain"):
        at.sidebar.radio(key="page").set_value(page).run()
        seconds = best_of(at.run)
        rows.append({"page": page, "rerun_s": round(seconds, 3), "login_s": round(floor, 3), "ratio": round(seconds / floor, 1)})
        print(f"{page:12} {seconds:8.3f} {floor:8.3f} {seconds / floor:6.1f}")
    write_rows(rows, "app")


if __name__ == "__main__":
    main()
