"""Planning units on hand-made streets: sides and number ranges, a 200-dwelling building, stretches, ids, labels."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from canvass.errors import DataQualityWarning, PlanningError
from canvass.plan.teams import Team
from canvass.plan.units import (
    UNIT_ID_BASE,
    UnitSizing,
    expand_ids,
    is_block_id,
    parent_segments,
    planning_units,
)
from tests.plan.conftest import street_network

PAIR = [Team("A", 2, (0.0, 0.0), 120.0)]  # 3.5 km/h, 1 min per door, 3 min per building


def addresses(rows):
    return gpd.GeoDataFrame(
        [{"housenumber": number, "street_name": street, "n_addresses": weight, "geometry": shapely.Point(x, y)} for number, street, weight, x, y in rows],
        crs=2154,
    )


@pytest.fixture
def passy():
    """Rue de Passy, 400 m west to east: 40 odd numbers on the north (left) side, 40 even on the south; Avenue Mozart going north from its east end."""
    segments, values = street_network([(0, 1), (1, 2)], {0: (0, 0), 1: (400, 0), 2: (400, 300)}, doors=[80, 200], values=[40, 300],
                                      names=["Rue de Passy", "Avenue Mozart"])
    x = np.linspace(20, 380, 40)
    rows = [(str(2 * i + 1), "Rue de Passy", 1.0, x[i], 8) for i in range(40)] + [(str(2 * i + 2), "Rue de Passy", 1.0, x[i], -8) for i in range(40)]
    rows.append(("12", "Avenue Mozart", 200.0, 412, 150))  # one building of 200 dwellings
    return segments, values, addresses(rows)


def test_sides_and_number_ranges(passy):
    segments, values, points = passy
    sizing = UnitSizing.from_teams(PAIR)
    units = planning_units(segments, values, sizing, addresses=points)
    passy_units = units[units["segment_id"] == 0]
    # 400 m and 80 doors are 87 min of work: each side (47 min) is cut in two blocks of 20 doors, in order along the street.
    assert passy_units["label"].tolist() == [
        "Rue de Passy, n° 1–39 (côté impair)", "Rue de Passy, n° 2–40 (côté pair)",
        "Rue de Passy, n° 41–79 (côté impair)", "Rue de Passy, n° 42–80 (côté pair)",
    ]
    assert passy_units["block"].tolist() == [0, 1, 2, 3]
    assert passy_units["start_m"].is_monotonic_increasing
    assert passy_units["n_doors"].tolist() == pytest.approx([20, 20, 20, 20])
    assert passy_units["value"].tolist() == pytest.approx([10, 10, 10, 10])  # the priority per door (0.5) is the street's
    # The two sides of a stretch are the same sub-line: 200 m each, and the blocks of a side cover the street once.
    assert passy_units.groupby("side")["length_m"].sum().tolist() == pytest.approx([400, 400])
    assert passy_units.geometry.length.tolist() == pytest.approx([200] * 4)
    assert (sizing.minutes(units["length_m"], units["n_doors"], units["n_entries"]) <= sizing.max_minutes + 1e-9).all()


def test_a_building_of_200_dwellings(passy):
    segments, values, points = passy
    sizing = UnitSizing.from_teams(PAIR)
    units = planning_units(segments, values, sizing, addresses=points)
    building = units[units["segment_id"] == 1]
    # 30 min = 3 min to get in + 15 m of frontage + 26 doors at most: 200 dwellings make 8 parts of 25.
    assert (building["kind"] == "building").all() and len(building) == 8
    assert building["n_doors"].tolist() == pytest.approx([25] * 8)
    assert (building["n_entries"] == 1).all() and (building["dwellings"] == 200).all()
    assert building["label"].iloc[0] == "12 Avenue Mozart (immeuble, 200 logements), partie 1/8"
    assert building["value"].sum() == pytest.approx(300)
    minutes = sizing.minutes(building["length_m"], building["n_doors"], building["n_entries"])
    assert minutes.tolist() == pytest.approx([15 / sizing.metres_per_minute + 3 + 25] * 8)


def test_a_small_building_is_one_unit_and_the_rest_of_the_street_another():
    segments, values = street_network([(0, 1)], {0: (0, 0), 1: (100, 0)}, doors=[16], names=["Rue Nicolo"])
    points = addresses([("3", "Rue Nicolo", 12.0, 50, 6), ("5", "Rue Nicolo", 1.0, 70, 6), ("4", "Rue Nicolo", 3.0, 30, -6)])
    units = planning_units(segments, values, UnitSizing.from_teams(PAIR), addresses=points)
    assert units["label"].tolist() == ["Rue Nicolo, n° 5 et 4", "3 Rue Nicolo (immeuble, 12 logements)"]
    assert units["n_doors"].tolist() == pytest.approx([4, 12])
    # Two units on one segment: block ids that name their segment, in order along it.
    assert is_block_id(units["unit_id"]).all() and parent_segments(units["unit_id"]).tolist() == [0, 0]


def test_stretches_without_addresses():
    segments, values = street_network([(0, 1), (1, 2), (3, 0)], {0: (0, 0), 1: (600, 0), 2: (600, 50), 3: (0, -50)}, doors=[100, 5, 0],
                                      names=["Rue X", "Rue Y", "Rue W"])
    sizing = UnitSizing.from_teams(PAIR)
    units = planning_units(segments, values, sizing)
    stretches = units[units["segment_id"] == 0]
    expected = int(np.ceil(sizing.minutes(600, 100) / sizing.max_minutes))
    # Two stretches of one long street on a sheet must not read alike: the cross streets at the segment's ends are named.
    assert stretches["label"].tolist() == [f"Rue X, {'1er' if k == 1 else f'{k}e'} tronçon (entre Rue W et Rue Y)" for k in range(1, expected + 1)]
    assert stretches["n_doors"].sum() == pytest.approx(100) and stretches["length_m"].tolist() == pytest.approx([600 / expected] * expected)
    assert stretches.geometry.length.sum() == pytest.approx(600)
    # The short street stays whole, under its own segment id.
    whole = units[units["segment_id"] == 1]
    assert whole["unit_id"].tolist() == [1] and whole["label"].tolist() == ["Rue Y (près de Rue X)"] and whole["kind"].tolist() == ["street"]


def test_without_house_numbers_a_side_is_named_by_where_it_faces():
    # REU-like points: a weight, no number, no street name. The street runs north, so its left side faces west.
    segments, values = street_network([(0, 1)], {0: (0, 0), 1: (0, 300)}, doors=[40], names=["Rue Z"])
    rows = [("", None, 1.0, -8, y) for y in np.linspace(10, 290, 20)] + [("", None, 1.0, 8, y) for y in np.linspace(10, 290, 20)]
    points = addresses(rows).assign(housenumber=pd.NA, street_name=pd.NA)
    units = planning_units(segments, values, UnitSizing.from_teams(PAIR), addresses=points)
    assert sorted(units["label"]) == ["Rue Z, côté est", "Rue Z, côté ouest"]
    assert units.set_index("side").loc["left", "label"] == "Rue Z, côté ouest"


def test_a_corner_house_numbered_on_the_cross_street_gives_no_number():
    segments, values = street_network([(0, 1)], {0: (0, 0), 1: (100, 0)}, doors=[3], names=["Rue A"])
    points = addresses([("1", "Rue A", 1.0, 20, 5), ("3", "Rue A", 1.0, 50, 5), ("99", "Rue B", 1.0, 95, 5)])
    units = planning_units(segments, values, UnitSizing.from_teams(PAIR), addresses=points)
    assert units["label"].tolist() == ["Rue A, n° 1–3"]


def test_doors_and_value_conserved_and_ids_stable(grid):
    segments, values = grid
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 480, (300, 2))
    points = addresses([(str(n), f"Rue {n % 5}", float(w), x, y) for n, w, (x, y) in zip(rng.integers(1, 60, 300), rng.integers(1, 30, 300), xy)])
    sizing = UnitSizing.from_teams([Team("A", 2, (0.0, 0.0), 60.0, minutes_per_door=3.0)])
    units = planning_units(segments, values, sizing, addresses=points)
    per_segment = units.groupby("segment_id")[["n_doors", "value"]].sum().reindex(segments["segment_id"], fill_value=0.0)
    assert per_segment["n_doors"].to_numpy() == pytest.approx(values["n_doors"].to_numpy(), abs=1e-9)
    assert per_segment["value"].to_numpy() == pytest.approx(values["value"].to_numpy(), abs=1e-9)
    assert units["unit_id"].is_unique
    assert (sizing.minutes(units["length_m"], units["n_doors"], units["n_entries"]) <= sizing.max_minutes + 1e-9).all()
    again = planning_units(segments, values, sizing, addresses=points)
    assert again["unit_id"].tolist() == units["unit_id"].tolist() and again["label"].tolist() == units["label"].tolist()


def test_expand_ids_reads_segment_ids_and_stale_block_ids(passy):
    segments, values, points = passy
    units = planning_units(segments, values, UnitSizing.from_teams(PAIR), addresses=points)
    blocks_of_passy = set(units.loc[units["segment_id"] == 0, "unit_id"])
    assert expand_ids([0], units, what="done") == (blocks_of_passy, set())
    first = int(units["unit_id"].iloc[0])
    assert expand_ids([first, 77], units, what="done") == ({first}, {77})
    stale = UNIT_ID_BASE + 999  # block 999 of segment 0: the street was cut differently since
    with pytest.warns(DataQualityWarning, match="cut differently"):
        assert expand_ids([stale], units, what="done")[0] == blocks_of_passy


def test_unit_sizing_from_teams():
    slow = Team("B", 4, (0.0, 0.0), 60.0, speed_kmh=3.0, minutes_per_door=3.0, minutes_per_building=5.0)
    sizing = UnitSizing.from_teams(PAIR + [slow], unit_minutes=45, unit_share=0.5)
    assert sizing.max_minutes == 30  # half of the shortest session, under 45
    assert sizing.metres_per_minute == pytest.approx(50) and sizing.minutes_per_door == 1.5 and sizing.minutes_per_building == 5
    with pytest.raises(PlanningError, match="unit size"):
        UnitSizing.from_teams(PAIR, unit_minutes=0)


def test_a_street_without_a_name():
    segments, values = street_network([(0, 1)], {0: (0, 0), 1: (0, 300)}, doors=[40], names=[None])
    rows = [("", None, 1.0, -8, y) for y in np.linspace(10, 290, 20)] + [("", None, 1.0, 8, y) for y in np.linspace(10, 290, 20)]
    units = planning_units(segments, values, UnitSizing.from_teams(PAIR), addresses=addresses(rows))
    assert sorted(units["label"]) == ["Voie sans nom, côté est", "Voie sans nom, côté ouest"]
