"""The planning problem on units: the cut network, done/forbidden/locked by segment or unit id, building time, and the real Paris 16e."""

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from canvass.errors import PlanningError
from canvass.plan.check import check_plan
from canvass.plan.problem import DONE, FORBIDDEN, OPEN, build_problem
from canvass.plan.result import Plan, Step, TeamWalk
from canvass.plan.solve import plan_walks
from canvass.plan.teams import Team
from tests.plan.conftest import street_network


def pair(name="A", xy=(0.0, 0.0), minutes=120.0, size=2, **kwargs):
    return Team(name, size, xy, minutes, **kwargs)


@pytest.fixture
def passy():
    """Rue de Passy (400 m, 40 odd numbers north, 40 even south) and a 40-dwelling building on Avenue Mozart."""
    segments, values = street_network([(0, 1), (1, 2)], {0: (0, 0), 1: (400, 0), 2: (400, 300)}, doors=[80, 40], values=[40, 40],
                                      names=["Rue de Passy", "Avenue Mozart"])
    x = np.linspace(20, 380, 40)
    rows = [(str(2 * i + 1), 8, x[i]) for i in range(40)] + [(str(2 * i + 2), -8, x[i]) for i in range(40)]
    points = [{"housenumber": n, "street_name": "Rue de Passy", "n_addresses": 1.0, "geometry": shapely.Point(px, y)} for n, y, px in rows]
    points.append({"housenumber": "12", "street_name": "Avenue Mozart", "n_addresses": 40.0, "geometry": shapely.Point(412, 150)})
    return segments, values, gpd.GeoDataFrame(points, crs=2154)


def test_units_are_arcs_of_the_cut_network(passy):
    segments, values, addresses = passy
    problem = build_problem(segments, values, [pair()], addresses=addresses)
    # The two sides of each half of Rue de Passy are parallel arcs between the same two nodes.
    passy_units = np.flatnonzero(problem.parent_segment == 0)
    assert len(passy_units) == 4
    assert problem.tail[passy_units[0]] == problem.tail[passy_units[1]] and problem.head[passy_units[0]] == problem.head[passy_units[1]]
    assert problem.head[passy_units[0]] == problem.tail[passy_units[2]]  # the second block starts where the first ends
    # Walking from a unit's tail to its head on the network is the unit's length, and the network is each street once.
    distance = problem.network.distances(problem.tail)
    assert distance[np.arange(problem.n_segments), problem.head] == pytest.approx(problem.length_m)
    assert problem.network.length_m.sum() == pytest.approx(segments["length_m"].sum())
    assert problem.label[passy_units[1]] == "Rue de Passy, n° 2–40 (côté pair)"
    assert problem.n_doors.sum() == pytest.approx(120) and problem.value.sum() == pytest.approx(80)


def test_building_time_is_the_entry_plus_the_doors(passy):
    segments, values, addresses = passy
    team = pair(minutes_per_building=4.0, size=4)
    problem = build_problem(segments, values, [team], addresses=addresses)
    (building,) = np.flatnonzero(problem.n_entries > 0)
    assert problem.label[building] == "12 Avenue Mozart (immeuble, 40 logements)"
    assert problem.knock_minutes(team)[building] == pytest.approx(4.0 + 40 / 2)  # two pairs share the doors, the entry is once
    assert problem.service_seconds(team)[building] == pytest.approx(problem.length_m[building] / team.metres_per_second + 24 * 60)
    # The checker counts the entry: a walk straight to the building and back, reported right, is sound; reported without it, it is not.
    entry = problem.tail[building]
    approach = problem.network.distances([problem.start_node[0]])[0, entry]
    walking = (approach + problem.length_m[building]) / team.metres_per_second / 60
    step = Step(int(problem.segment_id[building]), False, "Avenue Mozart", 40.0, float(problem.value[building]), float(approach),
                float(problem.length_m[building]), float(walking), 24.0)
    back = problem.network.distances([problem.head[building]])[0, problem.start_node[0]]
    plan = Plan((TeamWalk("A", (step,), float(back), team.minutes),), pd.DataFrame({"segment_id": np.delete(problem.segment_id, building)}),
                "by hand", 0, 0.0, 0.0)
    assert check_plan(problem, plan).ok, check_plan(problem, plan).violations
    short = Plan((TeamWalk("A", (dataclasses.replace(step, minutes_knocking=20.0),), float(back), team.minutes),),
                 plan.unserved, "by hand", 0, 0.0, 0.0)
    assert any("knocking time" in v for v in check_plan(problem, short).violations)


def test_done_forbidden_locked_by_segment_or_unit_id(passy):
    segments, values, addresses = passy
    first = build_problem(segments, values, [pair()], addresses=addresses)
    passy_ids = first.segment_id[first.parent_segment == 0]
    # An old field log names segment 0: all its blocks are done. A block id forbids only that block; a segment id locks all its units.
    problem = build_problem(segments, values, [pair("A"), pair("B")], addresses=addresses, done={0}, forbidden={int(first.segment_id[-1])},
                            locked={1: "B"})
    assert (problem.status[problem.parent_segment == 0] == DONE).all()
    assert problem.status[-1] == FORBIDDEN and (problem.status[problem.parent_segment == 1][:-1] == OPEN).all()
    assert (problem.locked_team[problem.parent_segment == 1] == 1).all() and (problem.locked_team[problem.parent_segment == 0] == -1).all()
    assert np.array_equal(problem.segment_id[problem.parent_segment == 0], passy_ids)  # same ids from one run to the next
    with pytest.raises(PlanningError, match="unknown segment ids"):
        build_problem(segments, values, [pair()], addresses=addresses, done={5})


def test_a_plan_on_blocks_is_checked_and_names_them(passy):
    segments, values, addresses = passy
    teams = [pair("A", minutes=60), pair("B", (400.0, 300.0), minutes=60)]
    problem = build_problem(segments, values, teams, addresses=addresses[addresses["n_addresses"] == 1])
    plan = plan_walks(problem, time_limit_s=1, seed=0)
    check = check_plan(problem, plan)
    assert check.ok, check.violations
    served = {step.segment_id for walk in plan.walks for step in walk.steps}
    assert served and served <= set(problem.segment_id.tolist()) and not served & {0, 1}  # blocks, never a whole long street
    assert sum(check.doors.values()) + plan.unserved["n_doors"].sum() == pytest.approx(120)


# --- the real Paris 16e ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def paris():
    from canvass.scores.camps import Camp
    from canvass.scores.score import score_territory
    from canvass.scores.strategies import ScoreParams
    from canvass.territory.build import build_territory
    from tests.helpers import real

    territory = build_territory(real("paris-16e"), ["75116"])
    scores = score_territory(territory, ScoreParams(camp=Camp.parse(["2017_pres=MACRON", "2020_muni=SEBBAH"])))
    return territory, scores


def default_teams(places):
    """The shipped defaults: pairs, 2 h, 1 min per door, 3.5 km/h."""
    return [Team(f"Équipe {i + 1}", 2, xy, 120.0) for i, xy in enumerate(places)]


def test_paris_no_unit_longer_than_its_share_and_doors_conserved(paris):
    territory, scores = paris
    teams = default_teams([tuple(territory.segments.geometry.iloc[0].coords[0])])
    whole = build_problem(territory.segments, scores.segments, teams, unit_minutes=None)
    problem = build_problem(territory.segments, scores.segments, teams, addresses=territory.addresses)
    assert whole.doors_out_of_reach() > 0.2 * whole.n_doors.sum()  # whole segments: a quarter of the doors could never be planned
    assert problem.doors_out_of_reach() == 0
    assert (problem.service_seconds(teams[0]) <= 30 * 60 + 1e-6).all()
    per_segment = pd.DataFrame({"segment_id": problem.parent_segment, "n_doors": problem.n_doors, "value": problem.value}).groupby("segment_id").sum()
    expected = scores.segments.set_index("segment_id").reindex(per_segment.index)
    assert per_segment["n_doors"].to_numpy() == pytest.approx(expected["n_doors"].fillna(0).to_numpy(), abs=1e-9)
    assert per_segment["value"].to_numpy() == pytest.approx(expected["value"].fillna(0).to_numpy(), abs=1e-9)
    assert set(per_segment.index) == set(territory.segments["segment_id"])
    assert len(set(problem.segment_id.tolist())) == problem.n_segments


def test_paris_plan_serves_the_densest_streets(paris):
    territory, scores = paris
    densest = scores.segments.nlargest(10, "n_doors")["segment_id"].to_numpy()
    lines = territory.segments.set_index("segment_id").loc[densest].geometry
    teams = default_teams([(p.x, p.y) for p in lines.interpolate(0.5, normalized=True)])
    units = build_problem(territory.segments, scores.segments, teams, addresses=territory.addresses)
    # Each team reserves the first block of the dense street it meets on: the organiser's "this street, this team".
    first_block = {int(segment): int(units.segment_id[np.flatnonzero(units.parent_segment == segment)[0]]) for segment in densest}
    locked = {first_block[int(segment)]: team.name for segment, team in zip(densest, teams)}
    problem = build_problem(territory.segments, scores.segments, teams, addresses=territory.addresses, locked=locked)
    plan = plan_walks(problem, time_limit_s=6, seed=0)
    check = check_plan(problem, plan)
    assert check.ok, check.violations[:5]
    served = {(walk.team, step.segment_id) for walk in plan.walks for step in walk.steps}
    assert {(team, unit) for unit, team in locked.items()} <= served
    parents = set(problem.parent_segment[np.isin(problem.segment_id, [unit for _, unit in served])].tolist())
    assert set(densest.tolist()) <= parents
