"""Fixtures of the serving tests: the demo plan, and ``canvass serve``'s app on a free port over an export of it."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import uvicorn

from canvass.campaign.store import open_store
from canvass.demo import DEMO_COMMUNE, write_demo
from canvass.outputs.export import export_bundle
from canvass.plan.io import load_plan, save_plan
from canvass.plan.problem import build_problem
from canvass.plan.solve import plan_walks
from canvass.plan.teams import Team
from canvass.scores.camps import Camp
from canvass.scores.score import score_territory
from canvass.scores.strategies import ScoreParams
from canvass.serve.app import create_app
from canvass.territory.build import build_territory


@pytest.fixture(scope="session")
def demo_plan(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    write_demo(folder)
    territory = build_territory(folder, [DEMO_COMMUNE])
    scores = score_territory(territory, ScoreParams(camp=Camp(("gauche",))))
    points = territory.bureaux.geometry.representative_point()
    teams = [Team(f"Équipe {i + 1}", 2, (points.iloc[i].x, points.iloc[i].y), 45) for i in range(2)]
    plan = plan_walks(build_problem(territory.segments, scores.segments, teams), time_limit_s=2)
    save_plan(plan, teams, territory, folder / "plan.gpkg")
    return (*load_plan(folder / "plan.gpkg"), territory)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def served(demo_plan, tmp_path_factory):
    """``canvass serve``'s app on a free local port, on an export of the demo plan and a SQLite campaign store."""
    plan, teams, walks, territory = demo_plan
    root = tmp_path_factory.mktemp("served")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    bundle = export_bundle(plan, teams, walks, root / "partage", territory=territory, base_url=base, session="samedi 14 mars")
    store = open_store(root / "campagne.sqlite")
    campaign = store.create_campaign("demo", "pw", author="test")
    server = uvicorn.Server(uvicorn.Config(create_app(root / "partage", store, campaign), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the field API did not start"
        time.sleep(0.05)
    yield {"base": base, "bundle": bundle, "store": store, "campaign": campaign}
    server.should_exit = True
    thread.join(timeout=10)
    store.close()


