"""Suggested meeting places: the best corner of small hand-made networks, names for people, and the demo's plan."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from canvass.demo import DEMO_COMMUNE, write_demo
from canvass.errors import InputDataError
from canvass.plan.meeting_places import suggest_meeting_places
from canvass.plan.problem import build_problem
from canvass.plan.solve import plan_walks
from canvass.plan.teams import Team, read_teams
from canvass.scores.camps import Camp
from canvass.scores.score import score_territory
from canvass.scores.strategies import ScoreParams
from canvass.territory.build import build_territory
from canvass.territory.io import load_territory, save_territory
from canvass.territory.model import Territory
from tests.plan.conftest import street_network

RICH, POOR = (200.0, 0.0), (1400.0, 0.0)


def _territory(segments, bureaux=None, addresses=None):
    empty = gpd.GeoDataFrame(geometry=[], crs=2154)
    return Territory(("29999",), bureaux if bureaux is not None else empty, pd.DataFrame(), empty, pd.DataFrame(), segments,
                     addresses if addresses is not None else empty, empty)


@pytest.fixture
def two_corners():
    """'Rue Longue', 1,600 m along y = 0, with two side streets at x = 200 (worth 30 each) and two at x = 1,400 (worth 5 each).

    At 1 m/s for 60 minutes a team may walk 900 m one way: the rich side
    streets are beyond reach of the poor corner, so the best single place is the
    rich corner, and a second place goes to the poor one (a place near the rich
    corner would add almost nothing).
    """
    xy = {i: (200.0 * i, 0.0) for i in range(9)} | {9: (200, 120), 10: (200, -120), 11: (1400, 120), 12: (1400, -120)}
    edges = [(i, i + 1) for i in range(8)] + [(1, 9), (1, 10), (7, 11), (7, 12)]
    names = ["Rue Longue"] * 8 + ["Rue des Lilas", "Rue des Roses", "Rue des Pins", "Rue des Chênes"]
    doors = [1] * 8 + [10] * 4
    values = [0.1] * 8 + [30, 30, 5, 5]
    segments, values = street_network(edges, xy, doors=doors, values=values, names=names)
    numbers = [str(2 * i) for i in range(2, 7)] + ["3"]
    streets = ["Rue Longue"] * 5 + ["Rue des Lilas"]
    points = [shapely.Point(200.0 * i, 8.0) for i in range(2, 7)] + [shapely.Point(205.0, 60.0)]
    addresses = gpd.GeoDataFrame({"housenumber": numbers, "street_name": streets}, geometry=points, crs=2154)
    return segments, values, addresses


def _teams(n, minutes=60):
    return [Team(f"Équipe {i + 1}", 2, (800.0, 0.0), minutes, speed_kmh=3.6) for i in range(n)]


def test_one_place_goes_to_the_rich_corner(two_corners):
    segments, values, addresses = two_corners
    result = suggest_meeting_places(_territory(segments, addresses=addresses), values, _teams(2), 1, candidates="carrefours")
    (place,) = result.places
    assert place.xy == pytest.approx(RICH)
    assert place.name.startswith("carrefour rue ") and " / " in place.name and "Rue Longue" not in place.name
    assert place.teams == ("Équipe 1", "Équipe 2")
    assert all(team.start_xy == place.xy for team in result.teams)
    # It covers the rich side streets (the poor ones lie beyond reach).
    assert place.value == pytest.approx(60 + 0.1 * 5, abs=0.3)
    assert place.n_doors >= 20


def test_second_place_spreads_to_the_other_corner_and_teams_follow_value(two_corners):
    segments, values, addresses = two_corners
    teams = _teams(3)
    result = suggest_meeting_places(_territory(segments, addresses=addresses), values, teams, 2)
    rich, poor = result.places
    assert rich.xy == pytest.approx(RICH) and poor.xy == pytest.approx(POOR)
    assert rich.kind == poor.kind == "carrefour"  # a corner is preferred to an address snapped to it
    assert len(rich.teams) == 2 and len(poor.teams) == 1
    assert [team.name for team in result.teams] == [team.name for team in teams]
    position = {name: place.xy for place in result.places for name in place.teams}
    assert all(team.start_xy == position[team.name] for team in result.teams)
    table = result.table()
    assert list(table["Lieu"]) == [rich.name, poor.name] and table["Valeur à portée"].iloc[0] > table["Valeur à portée"].iloc[1]
    rows = result.team_rows()
    assert {row["rendez_vous"] for row in rows} <= set(result.places_by_name())


def test_addresses_are_named_for_people(two_corners):
    segments, values, addresses = two_corners
    result = suggest_meeting_places(_territory(segments, addresses=addresses), values, _teams(1), 1, candidates="adresses")
    assert result.places[0].name == "près du 3 rue des Lilas"
    assert result.places[0].xy == pytest.approx((205.0, 60.0))


def test_polling_places_snap_to_the_network_or_use_their_address(two_corners):
    segments, values, addresses = two_corners
    bureaux = gpd.GeoDataFrame(
        {"bureau_id": ["29999_0001", "29999_0002"], "label": ["1", "2"], "name": ["École Jules Ferry", "Mairie"]},
        geometry=[shapely.box(1300, -150, 1500, 150), shapely.box(100, -150, 300, 150)], crs=2154)
    territory = _territory(segments, bureaux=bureaux, addresses=addresses)
    place = suggest_meeting_places(territory, values, _teams(1), 1, candidates="bureaux").places[0]
    assert place.name == "Bureau 2 – Mairie" and place.kind == "bureau"
    node_xy = {tuple(map(float, p)) for p in shapely.get_coordinates(segments.geometry.values)}
    assert tuple(place.xy) in node_xy
    # With a column of polling-place addresses (found by content), the place is the address itself.
    with_address = bureaux.assign(lieu=["10 Rue Longue", "3 Rue des Lilas"])
    place = suggest_meeting_places(_territory(segments, bureaux=with_address, addresses=addresses), values, _teams(1), 1,
                                   candidates="bureaux").places[0]
    assert place.name == "Bureau 2 – Mairie" and place.xy == pytest.approx((205.0, 60.0))


def test_bad_requests_say_what_to_do(two_corners):
    segments, values, addresses = two_corners
    territory = _territory(segments, addresses=addresses)
    for n in (0, 3):
        with pytest.raises(InputDataError, match="meeting places asked for 2 teams"):
            suggest_meeting_places(territory, values, _teams(2), n)
    with pytest.raises(InputDataError, match="unknown kind of meeting place"):
        suggest_meeting_places(territory, values, _teams(2), 1, candidates="gares")
    with pytest.raises(InputDataError, match="no candidate meeting place"):
        suggest_meeting_places(territory, values, _teams(2), 1, candidates="bureaux")


def test_ties_are_broken_by_the_seed_only(two_corners):
    segments, values, _ = two_corners
    mirrored = values.assign(value=np.where(values["segment_id"] >= 10, 30.0, values["value"]))
    territory = _territory(segments)  # no address points: the two corners are mirror images
    picks = {suggest_meeting_places(territory, mirrored, _teams(1), 1, candidates="carrefours", seed=seed).places[0].xy for seed in range(8)}
    assert picks == {RICH, POOR}
    again = suggest_meeting_places(territory, mirrored, _teams(1), 1, candidates="carrefours", seed=3).places[0].xy
    assert again == suggest_meeting_places(territory, mirrored, _teams(1), 1, candidates="carrefours", seed=3).places[0].xy


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    write_demo(folder, seed=0)
    # Through the GeoPackage, as canvass plan and the app read it.
    territory = load_territory(save_territory(build_territory(folder, [DEMO_COMMUNE]), folder / "territory.gpkg"))
    scores = score_territory(territory, ScoreParams(strategy="mobilisation", camp=Camp(("gauche",))))
    return territory, scores.segments, read_teams(folder / "equipes.csv", addresses=territory.addresses)


def test_suggested_places_beat_the_demo_typed_ones(demo, tmp_path):
    territory, values, teams = demo
    typed_places = {team.start_xy for team in teams}
    suggestion = suggest_meeting_places(territory, values, teams, len(typed_places))
    assert len(suggestion.places) == len(typed_places)
    assert sum(len(place.teams) for place in suggestion.places) == len(teams)
    assert suggestion.covered_value <= suggestion.demand_value + 1e-6
    # The organiser's teams file, places suggested, reads back as the same teams.
    suggestion.teams_table().to_csv(tmp_path / "equipes.csv", sep=";", index=False)
    back = read_teams(tmp_path / "equipes.csv")
    assert [(t.name, t.size, t.minutes) for t in back] == [(t.name, t.size, t.minutes) for t in suggestion.teams]
    assert np.allclose([t.start_xy for t in back], [t.start_xy for t in suggestion.teams], atol=1.0)
    typed = plan_walks(build_problem(territory.segments, values, teams), time_limit_s=3, seed=0).totals()
    suggested = plan_walks(build_problem(territory.segments, values, list(suggestion.teams)), time_limit_s=3, seed=0).totals()
    assert suggested["value"] >= typed["value"]
    assert suggested["walking_share"] <= typed["walking_share"] + 0.02
