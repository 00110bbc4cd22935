"""Areal interpolation: a hand-made 2×2 grid with known answers, then conservation on real Paris 16e and Brest."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from canvass.errors import InputDataError
from canvass.scores.areal import interpolate, overlap_weights
from canvass.scores.census_model import BUREAU_GAP_M
from canvass.territory.build import build_territory
from tests.helpers import real


@pytest.fixture
def squares():
    """Four 10 m squares (people 100, 200 / 300, 400; rate .1, .2 / .3, .4), bottom row first."""
    return gpd.GeoDataFrame(
        {"people": [100.0, 200.0, 300.0, 400.0], "rate": [0.1, 0.2, 0.3, 0.4]},
        geometry=[shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10), shapely.box(0, 10, 10, 20), shapely.box(10, 10, 20, 20)],
        crs=2154,
    )


@pytest.fixture
def halves():
    """Two targets side by side, split at x = 15: the left one holds the left column and half of the right one."""
    return gpd.GeoDataFrame({"name": ["west", "east"]}, geometry=[shapely.box(0, 0, 15, 20), shapely.box(15, 0, 20, 20)], crs=2154).set_index("name")


def test_weights_are_shares_of_each_source(squares, halves):
    weights = overlap_weights(squares, halves)
    assert weights.shape == (4, 2)
    np.testing.assert_allclose(weights.toarray(), [[1, 0], [0.5, 0.5], [1, 0], [0.5, 0.5]])


def test_extensive_split_and_intensive_mean(squares, halves):
    result = interpolate(squares, halves, extensive=["people"], intensive=["rate"])
    assert result.index.tolist() == ["west", "east"]
    np.testing.assert_allclose(result["people"], [100 + 300 + 100 + 200, 100 + 200])
    # west: squares 0 and 2 whole (100 m² each), halves of 1 and 3 (50 m² each)
    np.testing.assert_allclose(result["rate"], [(0.1 * 100 + 0.3 * 100 + 0.2 * 50 + 0.4 * 50) / 300, (0.2 * 50 + 0.4 * 50) / 100])
    np.testing.assert_allclose(result[["coverage_people", "coverage_rate"]], 1.0)
    assert result["people"].sum() == pytest.approx(squares["people"].sum())  # the targets tile the sources


def test_missing_stays_missing(squares, halves):
    squares.loc[3, ["people", "rate"]] = np.nan
    result = interpolate(squares, halves, extensive=["people"], intensive=["rate"])
    np.testing.assert_allclose(result["people"], [500, 100])
    np.testing.assert_allclose(result["rate"], [(0.1 * 100 + 0.3 * 100 + 0.2 * 50) / 250, 0.2])
    np.testing.assert_allclose(result["coverage_people"], [250 / 300, 50 / 100])
    inside_missing = gpd.GeoDataFrame(geometry=[shapely.box(16, 12, 19, 18), shapely.box(30, 0, 40, 10)], crs=2154)
    alone = interpolate(squares, inside_missing, extensive=["people"], intensive=["rate"])
    assert alone[["people", "rate"]].isna().all().all()  # only a missing source, or no source at all: NaN, never 0
    assert alone["coverage_people"].tolist() == [0.0, 0.0]


def test_address_weights_follow_the_doors(squares, halves):
    # Square 1 (x 10–20, y 0–10): three addresses west of x = 15, one east; the others one address each.
    points = gpd.GeoDataFrame(
        {"n_addresses": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]},
        geometry=shapely.points([(12, 5), (13, 5), (14, 2), (18, 5), (5, 5), (5, 15), (12, 15)]),
        crs=2154,
    )
    weights = overlap_weights(squares, halves, weights="addresses", points=points)
    np.testing.assert_allclose(weights.toarray(), [[1, 0], [0.75, 0.25], [1, 0], [1, 0]])
    result = interpolate(squares, halves, extensive=["people"], intensive=["rate"], weights="addresses", points=points)
    np.testing.assert_allclose(result["people"], [100 + 150 + 300 + 400, 50])
    np.testing.assert_allclose(result["rate"], [(0.1 + 0.2 * 3 + 0.3 + 0.4) / 6, 0.2])
    np.testing.assert_allclose(result["coverage_people"], 1.0)


def test_address_on_a_shared_edge_counts_once(squares, halves):
    points = gpd.GeoDataFrame({"n_addresses": [4.0]}, geometry=[shapely.Point(10, 5)], crs=2154)
    weights = overlap_weights(squares, halves, weights="addresses", points=points)
    assert weights.sum() == pytest.approx(1.0)


def test_gaps_between_targets_are_not_lost():
    source = gpd.GeoDataFrame({"people": [90.0]}, geometry=[shapely.box(0, 0, 31, 10)], crs=2154)
    blocks = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 10, 10), shapely.box(11, 0, 20, 10), shapely.box(21, 0, 31, 10)], crs=2154)
    assert interpolate(source, blocks, extensive=["people"])["people"].sum() == pytest.approx(90 * 29 / 31)
    np.testing.assert_allclose(interpolate(source, blocks, extensive=["people"], gap_m=1.0)["people"], [31.034, 27.931, 31.034], atol=1e-3)


def test_crs_mismatch_shows_both(squares, halves):
    with pytest.raises(InputDataError, match=r"not in the same CRS(.|\n)*EPSG:2154(.|\n)*EPSG:4326(.|\n)*to_crs"):
        overlap_weights(squares, halves.to_crs(4326))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"extensive": ["nobody"]}, "extensive columns not in the source layer"),
        ({"extensive": ["people"], "intensive": ["people"]}, "named twice"),
        ({"extensive": ["people"], "weights": "doors"}, "weights='doors' not understood"),
        ({"extensive": ["people"], "weights": "addresses"}, "need address points with an n_addresses column"),
    ],
)
def test_bad_calls_say_what_to_do(squares, halves, options, message):
    with pytest.raises(InputDataError, match=message):
        interpolate(squares, halves, **options)


@pytest.fixture(scope="module")
def paris16():
    return build_territory(real("paris-16e"), ["75116"])


def test_paris16_population_is_conserved_and_matches_the_reference(paris16):
    iris = paris16.iris.merge(paris16.census.drop(columns="commune"), on="iris_code", how="left")
    bureaux = paris16.bureaux.set_index("bureau_id")
    carried = interpolate(iris, bureaux, extensive=["C11_POP15P", "C11_POP15P_CS3"], gap_m=BUREAU_GAP_M)
    ratio = carried["C11_POP15P"].sum() / iris["C11_POP15P"].sum()
    without_gaps = interpolate(iris, bureaux, extensive=["C11_POP15P"])["C11_POP15P"].sum() / iris["C11_POP15P"].sum()
    assert ratio == pytest.approx(1.0, abs=0.005)
    assert without_gaps < 0.98  # 2 % of the IRIS area lies in the streets between bureau polygons

    reference = pd.read_csv(real("paris-16e/derived_bureaux_cs2011_age_p2017t1_paris16.csv"), dtype={"bureau": str})
    reference.index = "75056_" + reference["bureau"].str.zfill(4)
    carried = carried.reindex(reference.index)
    # Upstream matched 2012 and 2017 bureaux by hand: three pairs of 2017 bureaux got the same 2012 figure.
    copied = reference["C11_POP15P"].round(2).duplicated(keep=False)
    r_all = np.corrcoef(carried["C11_POP15P"], reference["C11_POP15P"])[0, 1]
    r_matched = np.corrcoef(carried["C11_POP15P"][~copied], reference["C11_POP15P"][~copied])[0, 1]
    r_managers = np.corrcoef(carried["C11_POP15P_CS3"] / carried["C11_POP15P"], reference["C11_POP15P_CS3"])[0, 1]
    print(f"\nParis 16e C11_POP15P: bureaux/IRIS total {ratio:.4f} (without gap closing {without_gaps:.4f}); "
          f"r with the hand-matched reference {r_all:.3f} (all 68), {r_matched:.3f} ({(~copied).sum()} not copied), "
          f"share of managers {r_managers:.3f}")
    assert copied.sum() == 6
    assert r_all > 0.8
    assert r_matched > 0.9
    assert r_managers > 0.95


def test_brest_grid_households_match_the_reference():
    brest = build_territory(real("brest"), ["29019"])
    bureaux = brest.bureaux.set_index("bureau_id")
    carried = interpolate(brest.grid, bureaux, extensive=["men", "men_pauv"])
    in_brest = brest.grid["commune_centroid"] == "29019"
    reference = pd.read_csv(real("brest/derived_bureaux_filosofi2021_carreaux_brest_gouesnou.csv"), dtype={"DEPCO": str, "BVOTE": str})
    reference = reference[reference["DEPCO"] == "29019"]
    reference.index = "29019_" + reference["BVOTE"].str.zfill(4)
    correlation = np.corrcoef(carried["men"].reindex(reference.index), reference["men"])[0, 1]
    print(f"\nBrest households: bureaux {carried['men'].sum():.0f}, cells centred in Brest {brest.grid['men'][in_brest].sum():.0f}, "
          f"r = {correlation:.6f} with the area-weighted reference")
    assert carried["men"].sum() == pytest.approx(brest.grid["men"][in_brest].sum(), rel=0.01)
    assert correlation > 0.99
    np.testing.assert_allclose(carried["men"].reindex(reference.index), reference["men"], atol=0.1)


def test_same_answer_whatever_the_row_order(paris16):
    iris = paris16.iris.merge(paris16.census.drop(columns="commune"), on="iris_code", how="left")
    bureaux = paris16.bureaux.set_index("bureau_id")
    shuffled = iris.sample(frac=1, random_state=1)
    pd.testing.assert_series_equal(
        interpolate(iris, bureaux, extensive=["C11_POP15P"])["C11_POP15P"],
        interpolate(shuffled, bureaux, extensive=["C11_POP15P"])["C11_POP15P"],
    )
