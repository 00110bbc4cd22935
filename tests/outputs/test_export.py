"""The share bundle: unguessable links, QR codes to base-url/<token>.html, tokens kept across exports."""

import json

import pypdfium2
import pytest
import zxingcpp

from canvass.demo import DEMO_COMMUNE, write_demo
from canvass.outputs.export import export_bundle, find_team_map
from canvass.plan.io import load_plan, save_plan
from canvass.plan.problem import build_problem
from canvass.plan.solve import plan_walks
from canvass.plan.teams import Team
from canvass.scores.camps import Camp
from canvass.scores.score import score_territory
from canvass.scores.strategies import ScoreParams
from canvass.territory.build import build_territory

BASE = "https://exemple.org/porte-a-porte"


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


def test_bundle_links_and_qr_codes(demo_plan, tmp_path):
    plan, teams, walks, territory, scores = demo_plan
    bundle = export_bundle(plan, teams, walks, tmp_path, territory=territory, bureau_scores=scores.bureaux.reset_index(), base_url=BASE)
    tokens = [item["token"] for item in bundle.links.values()]
    assert len(set(tokens)) == 3 and all(len(token) >= 16 for token in tokens)  # 12 random bytes each
    for item in bundle.links.values():
        assert item["link"] == f"{BASE}/{item['token']}.html"
        page = (tmp_path / item["map"]).read_text(encoding="utf-8")
        assert item["team"] in page and all(other not in page for other in bundle.links if other != item["team"])
        image = pypdfium2.PdfDocument(tmp_path / item["sheet"])[0].render(scale=200 / 72).to_pil()
        assert [code.text for code in zxingcpp.read_barcodes(image)] == [item["link"]]
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert all(item["link"] in index for item in bundle.links.values())
    assert (tmp_path / "organisateur.html").exists() and (tmp_path / "carnet.pdf").read_bytes().startswith(b"%PDF")


def test_tokens_survive_a_new_export(demo_plan, tmp_path):
    plan, teams, walks, territory, _ = demo_plan
    first = export_bundle(plan, teams, walks, tmp_path, territory=territory)
    second = export_bundle(plan, teams, walks, tmp_path, territory=territory)
    assert {k: v["token"] for k, v in first.links.items()} == {k: v["token"] for k, v in second.links.items()}
    assert json.loads((tmp_path / "links.json").read_text(encoding="utf-8"))[0]["link"].endswith(".html")


def test_only_listed_tokens_are_served(demo_plan, tmp_path):
    plan, teams, walks, territory, _ = demo_plan
    bundle = export_bundle(plan, teams, walks, tmp_path, territory=territory)
    token = next(iter(bundle.links.values()))["token"]
    assert find_team_map(tmp_path, token) == tmp_path / f"{token}.html"
    for bad in ("", "../index", "index", "links", token[:-1] + "!", "x" * 16):
        assert find_team_map(tmp_path, bad) is None
