"""Sheets and maps on planning units: block and building labels in walk order, done blocks drawn alone."""

import io
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pypdf import PdfReader

from canvass.outputs._common import escape
from canvass.outputs.maps import overview_map, team_map
from canvass.outputs.sheets import walk_sheet_pdf
from canvass.plan.io import walks_frame
from canvass.plan.problem import build_problem
from canvass.plan.solve import plan_walks
from canvass.plan.teams import Team
from tests.plan.conftest import street_network


@pytest.fixture(scope="module")
def blocks():
    """Rue de Passy (400 m, odd north, even south) and a 40-dwelling building on Avenue Mozart, walked by one pair in 2 h."""
    segments, values = street_network([(0, 1), (1, 2)], {0: (0, 0), 1: (400, 0), 2: (400, 300)}, doors=[80, 40], values=[40, 80],
                                      names=["Rue de Passy", "Avenue Mozart"])
    x = np.linspace(20, 380, 40)
    rows = [(str(2 * i + 1), 8, x[i]) for i in range(40)] + [(str(2 * i + 2), -8, x[i]) for i in range(40)]
    points = [{"housenumber": n, "street_name": "Rue de Passy", "n_addresses": 1.0, "geometry": shapely.Point(px, y)} for n, y, px in rows]
    points.append({"housenumber": "12", "street_name": "Avenue Mozart", "n_addresses": 40.0, "geometry": shapely.Point(412, 150)})
    addresses = gpd.GeoDataFrame(points, crs=2154)
    team = Team("Passy", 4, (0.0, 0.0), 120.0)
    problem = build_problem(segments, values, [team], addresses=addresses[addresses["n_addresses"] == 1])
    plan = plan_walks(problem, time_limit_s=1, seed=0)
    # The walks layer as it is saved: unit geometries and labels (see the report for the io change).
    units = problem.units
    walks = walks_frame(plan, units.assign(segment_id=units["unit_id"]))
    walks["label"] = units.set_index("unit_id")["label"].reindex(walks["segment_id"]).to_numpy()
    territory = SimpleNamespace(segments=segments, bureaux=gpd.GeoDataFrame({"bureau_id": [], "label": [], "name": []}, geometry=[], crs=2154),
                                addresses=addresses)
    return problem, plan, walks, team, territory


def test_sheet_lists_blocks_in_walk_order(blocks):
    problem, plan, walks, team, territory = blocks
    assert walks.geometry.notna().all() and len(walks) >= 2
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(walk_sheet_pdf(walks, team, 0, territory=territory))).pages)
    text = " ".join(text.split())
    positions = [text.find(label) for label in walks.sort_values("order")["label"]]
    assert all(p >= 0 for p in positions) and positions == sorted(positions)
    assert "(côté pair)" in text or "(côté impair)" in text
    assert f"{len(walks)} étapes" in text


def test_maps_name_blocks_and_draw_done_blocks_alone(blocks):
    problem, plan, walks, team, territory = blocks
    html = team_map(walks, team, 0)
    assert all(escape(label) in html for label in walks["label"])
    done = [int(problem.segment_id[1])]
    page = overview_map(plan, [team], walks, territory, done_segments=done, units=problem.units)
    assert f"Déjà fait : {problem.label[1]}" in page
    assert f"Déjà fait : {problem.label[0]}" not in page
    # Without the units, a done block draws its whole street.
    assert "Déjà fait : Rue de Passy" in overview_map(plan, [team], walks, territory, done_segments=done)
