"""Bureau polygons from every real layout, REU-built cells, and bad layers."""

import geopandas as gpd
import pytest
import shapely

from canvass.errors import GeometryWarning, InputDataError
from canvass.opendata._geo import read_vector
from canvass.opendata.addresses import read_reu
from canvass.opendata.bureaux import bureaux_from_reu, read_bureaux
from tests.helpers import DATA, real


@pytest.mark.parametrize(
    ("relative", "communes", "n", "first"),
    [
        ("paris-16e/bureaux_secteurs_2017_paris16.geojson", ["75116"], 68, "75056_1601"),
        ("scale/paris/bureaux_secteurs_2017_paris.geojson", ["75056"], 896, "75056_0101"),
        ("brest/LIM_ADM_BureauxVote_s_brest_metropole.geojson", ["29019"], 104, "29019_0001"),
        ("brest/LIM_ADM_BureauxVote_s_brest_metropole.geojson", ["29061"], 6, "29061_0001"),
    ],
)
def test_real_polygon_layers(relative, communes, n, first):
    bureaux = read_bureaux(real(relative), communes=communes)
    assert len(bureaux) == n
    assert bureaux["bureau_id"].is_unique
    assert first in set(bureaux["bureau_id"])
    assert bureaux.crs.to_epsg() == 2154
    assert bureaux.is_valid.all()
    # Lambert-93 coordinates of metropolitan France, metres.
    xmin, ymin, xmax, ymax = bureaux.total_bounds
    assert 100_000 < xmin < xmax < 1_300_000 and 6_000_000 < ymin < ymax < 7_200_000


def test_dep04_voronoi_layer_repairs_and_drops_with_warnings():
    with pytest.warns(GeometryWarning) as caught:
        bureaux = read_bureaux(real("scale/dep04/Bvote_Propre_Dep_04_reu2022.geojson"), communes=["04"])
    messages = " ".join(str(item.message) for item in caught)
    assert "without geometry dropped: 04116_0004" in messages
    assert "invalid geometries repaired" in messages
    assert len(bureaux) == 260 and bureaux.is_valid.all()


def test_toulouse_layer_needs_its_commune():
    with pytest.raises(InputDataError, match="gives bureau numbers .* but not their commune"):
        read_bureaux(real("scale/toulouse/toulouse_bureaux_vote_2026.geojson"))
    with pytest.warns(GeometryWarning, match="31555_0001A"):
        bureaux = read_bureaux(real("scale/toulouse/toulouse_bureaux_vote_2026.geojson"), communes=["31555"])
    assert len(bureaux) == 276
    assert {"31555_0198A", "31555_0192B", "31555_0192A"} <= set(bureaux["bureau_id"])


def test_commune_not_in_layer_lists_what_is_there():
    with pytest.raises(InputDataError, match=r"no bureau of commune 29075(.|\n)*29019, 29061, 29189"):
        read_bureaux(real("brest/LIM_ADM_BureauxVote_s_brest_metropole.geojson"), communes=["29075"])


@pytest.mark.parametrize("commune,n", [("29039", 17), ("29046", 13), ("29116", 1)])
def test_bureaux_built_from_reu_hold_their_points(commune, n):
    folder = "concarneau-douarnenez/"
    points = read_reu(real(folder + "reu_adresses_geolocalisees_29039_29046_29116.csv"), communes=[commune])
    contours = read_vector(real(folder + "communes_contours_bdtopo_29039_29046_29116.geojson")).rename(columns={"code_insee": "commune"})
    bureaux = bureaux_from_reu(points, contours)
    assert len(bureaux) == n
    assert bureaux.is_valid.all()
    outline = contours.loc[contours["commune"] == commune].geometry.iloc[0]
    # Cells tile the commune: no gap, no overlap.
    assert bureaux.area.sum() == pytest.approx(outline.area, rel=1e-6)
    assert shapely.union_all(bureaux.geometry.values).area == pytest.approx(outline.area, rel=1e-6)
    joined = gpd.sjoin(points, bureaux[["bureau_id", "geometry"]], predicate="within", how="left")
    joined = joined[~joined.index.duplicated()]
    own = (joined["bureau_id_left"] == joined["bureau_id_right"]).sum()
    shared = bureaux.attrs["n_points_shared"]
    outside = joined["bureau_id_right"].isna().sum()
    # Every point is in its own cell, except those sharing a location with another bureau's point
    # (street-level geocoding) and the few geocoded outside the commune.
    assert len(points) - own <= shared + outside
    assert shared + outside <= 0.01 * len(points) + 1


@pytest.mark.parametrize(
    ("name", "error", "message"),
    [
        ("bureaux_no_code_column.geojson", InputDataError, "no bureau code column found"),
        ("bureaux_all_null_geometry.geojson", InputDataError, "every geometry is null or empty"),
        ("bureaux_points_not_polygons.geojson", InputDataError, "expected polygons, found Point"),
        ("bureaux_bad_codes.geojson", InputDataError, "no bureau code column found(.|\n)*CODE_BV=29019-bureau-un"),
        ("empty_file.geojson", InputDataError, "the file is empty"),
        ("does_not_exist.geojson", InputDataError, "file not found"),
    ],
)
def test_bad_bureau_layers(name, error, message):
    with pytest.raises(error, match=message):
        read_bureaux(DATA / name)


def test_invalid_geometry_repaired_and_null_dropped():
    with pytest.warns(GeometryWarning) as caught:
        bureaux = read_bureaux(DATA / "bureaux_self_intersecting.geojson")
    messages = [str(item.message) for item in caught]
    assert any("1 features without geometry dropped: 29019_0003" in m for m in messages)
    assert any("1 invalid geometries repaired: 29019_0001" in m for m in messages)
    assert bureaux["bureau_id"].tolist() == ["29019_0001", "29019_0002"]
    assert bureaux.is_valid.all() and (bureaux.area > 0).all()
