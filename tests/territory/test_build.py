"""Territories built from the real folders and the demo: join rates as SOURCES.md says they are possible."""

import json
import shutil

import geopandas as gpd
import numpy as np
import pytest
import shapely

from canvass.cli import main
from canvass.errors import InputDataError
from canvass.opendata import codes
from canvass.territory.build import build_territory
from canvass.territory.io import load_territory, save_territory
from canvass.territory.report import street_length_per_bureau, territory_report
from tests.helpers import DATA, REAL, real


def _section(report, election, round_):
    return next(s for s in report["results"] if s["election"] == election and s["round"] == round_)


@pytest.fixture(scope="module")
def paris16():
    """Paris 16e: 68 bureaux, P2017 T2 and M2020 T1, IRIS 2013 + RP 2011, raw OSM for 80 % of the area."""
    return build_territory(real("paris-16e"), ["75116"])


def test_paris16_joins(paris16):
    report = territory_report(paris16)
    assert report["bureaux"]["n"] == 68
    for election, round_ in (("2017_pres", 2), ("2020_muni", 1)):
        section = _section(report, election, round_)
        assert section["bureaux_with_results"] == "68/68"
        assert section["results_with_bureau"] == "68/68"
        assert section["n_bureaux_totals_mismatch"] == 0
    assert report["iris"]["n"] == 83
    assert report["iris"]["iris_with_census"] == "83/83"
    assert report["iris"]["area_covered"] == pytest.approx(0.997, abs=0.002)
    # The raw Overpass ways (80 % of the area) are preferred to the Trocadéro graph (39 %).
    assert paris16.meta["streets_source"].endswith("osm_overpass_raw_ways_paris16e_east_2022-12-22.json.gz")
    # 51 bureaux lie inside the extract; the 8 it touches (by its node hull) hold no walkable way of it.
    assert report["streets"]["bureaux_with_streets"] == "51/68"
    assert paris16.segments.crs.to_epsg() == 2154
    # No address file and no dwelling count in the census: doors come from registered voters.
    assert paris16.meta["doors_source"]["kind"] == "registered_voters"


def test_paris16_doors_conserved(paris16):
    """Doors placed + doors that found no residential street = registered voters / electors per dwelling."""
    latest = paris16.results[paris16.results["election"] == "2020_muni"].drop_duplicates("bureau_id")
    expected = latest["n_registered"].sum() / 1.6
    placed = paris16.segments["n_doors"].sum()
    assert placed + paris16.meta["doors_source"]["n_unplaced"] == pytest.approx(expected, rel=1e-6)
    assert np.allclose(paris16.segments["n_doors_left"] + paris16.segments["n_doors_right"], paris16.segments["n_doors"])


def test_street_length_per_bureau_adds_up(paris16):
    """Segments crossing a bureau boundary are split: lengths per bureau add up to the length inside the territory."""
    per_bureau = street_length_per_bureau(paris16)
    assert per_bureau.sum() <= paris16.segments["length_m"].sum() + 1e-6
    assert per_bureau.sum() > 0.97 * paris16.segments["length_m"].sum()


@pytest.mark.parametrize(
    ("commune", "n_bureaux", "elections"),
    [
        ("29019", 104, [("2017_pres", 2), ("2022_legi", 1), ("2022_legi", 2), ("2024_legi", 1), ("2024_legi", 2)]),
        ("29061", 6, [("2017_pres", 2), ("2024_legi", 1), ("2024_legi", 2)]),
    ],
)
def test_brest_and_gouesnou(commune, n_bureaux, elections):
    territory = build_territory(real("brest"), [commune])
    report = territory_report(territory)
    assert report["bureaux"]["n"] == n_bureaux
    assert [(s["election"], s["round"]) for s in report["results"]] == elections
    for section in report["results"]:
        assert section["bureaux_with_results"] == f"{n_bureaux}/{n_bureaux}"
        assert section["results_with_bureau"] == f"{n_bureaux}/{n_bureaux}"
    # Filosofi cells were kept where they touch the commune.
    assert len(territory.grid) > 0


@pytest.mark.parametrize(("commune", "n_bureaux"), [("29039", 17), ("29046", 13), ("29116", 1)])
def test_reu_built_bureaux(commune, n_bureaux):
    territory = build_territory(real("concarneau-douarnenez"), [commune])
    source = territory.meta["bureaux_source"]
    assert source["kind"] == "reu_voronoi"
    assert len(territory.bureaux) == n_bureaux
    # Every REU point is in its own cell but those sharing a location with another bureau or geocoded outside.
    assert source["n_points_in_own_cell"] + source["n_points_shared_location"] + source["n_points_outside_commune"] >= source["n_points"]
    section = _section(territory_report(territory), "2017_pres", 2)
    assert section["bureaux_with_results"] == f"{n_bureaux}/{n_bureaux}"


def test_scale_paris():
    territory = build_territory(real("scale/paris"), ["75056"])
    report = territory_report(territory)
    assert report["bureaux"]["n"] == 896
    assert _section(report, "2017_pres", 2)["bureaux_with_results"] == "896/896"
    muni = _section(report, "2020_muni", 1)
    assert muni["results_with_bureau"] == "820/821" and muni["unmatched_result_codes"] == ["75056_1971"]
    assert report["iris"]["iris_with_census"] == "992/992"
    assert any("1 bureaux with results have no polygon: 75056_1971" in w for w in report["warnings"])


def test_scale_dep04_and_toulouse():
    dep04 = territory_report(build_territory(real("scale/dep04"), ["04"]))
    assert dep04["bureaux"]["n"] == 260  # 261 less one null geometry
    assert _section(dep04, "2017_pres", 2)["results_with_bureau"] == "255/261"
    toulouse = territory_report(build_territory(real("scale/toulouse"), ["31555"]))
    assert toulouse["bureaux"]["n"] == 276
    assert _section(toulouse, "2026_muni", 1)["bureaux_with_results"] == "276/276"
    assert _section(toulouse, "2026_muni", 2)["bureaux_with_results"] == "276/276"


def test_save_load_round_trip(paris16, tmp_path):
    path = save_territory(paris16, tmp_path / "t.gpkg")
    loaded = load_territory(path)
    assert loaded.communes == ("75116",)
    assert territory_report(loaded)["results"] == territory_report(paris16)["results"]
    assert loaded.bureaux["bureau_id"].tolist() == paris16.bureaux["bureau_id"].tolist()
    assert loaded.segments["n_doors"].sum() == pytest.approx(paris16.segments["n_doors"].sum())
    assert loaded.bureaux.crs.to_epsg() == 2154
    # Missing census values stay missing through the file.
    assert loaded.census.isna().sum().sum() == paris16.census.isna().sum().sum()


def test_folder_without_bureaux(tmp_path):
    shutil.copy(DATA / "ban_latin1_encoding.csv", tmp_path / "adresses-29019.csv")  # addresses, but no bureaux
    with pytest.raises(InputDataError, match="no bureau polygons and no REU address extract"):
        build_territory(tmp_path, ["29019"])


def _plm_layer(folder, columns: dict, n: int, *, lon: float, lat: float):
    """A bureau layer of ``n`` squares with the given code columns, under names no publisher used."""
    squares = [shapely.box(lon + i * 0.004, lat, lon + (i + 1) * 0.004, lat + 0.004) for i in range(n)]
    folder.mkdir(exist_ok=True)
    gpd.GeoDataFrame(columns | {"Lieu": [f"École {i}" for i in range(n)]}, geometry=squares, crs="EPSG:4326").to_file(folder / "decoupage.geojson")
    return folder


# Each city's layer is keyed by the commune, as the Ministry and the data.gouv contours are; bureau numbers
# are AABB (arrondissement, bureau). Selecting an arrondissement keeps its AAxx bureaux.
PLM_LAYERS = {
    "lyon": ({"Référence": ["69123_0101", "69123_0102", "69123_0501", "69123_0502", "69123_0503", "69123_0901"]}, 4.83, 45.76, "69385", ["69123_0501", "69123_0502", "69123_0503"]),
    "marseille": ({"COM": ["13055"] * 5, "Num": ["101", "1601", "1602", "0901", "1603"]}, 5.37, 43.30, "13216", ["13055_1601", "13055_1602", "13055_1603"]),
    "paris": ({"ident": ["75056_1601", "75056_1602", "75056_0101", "75056_2001"]}, 2.27, 48.86, "75116", ["75056_1601", "75056_1602"]),
}


@pytest.mark.parametrize("city", list(PLM_LAYERS))
def test_arrondissement_selects_its_bureaux(tmp_path, city):
    columns, lon, lat, arrondissement, expected = PLM_LAYERS[city]
    folder = _plm_layer(tmp_path / city, columns, len(next(iter(columns.values()))), lon=lon, lat=lat)
    territory = build_territory(folder, [arrondissement])
    assert sorted(territory.bureaux["bureau_id"]) == expected
    # The whole city keeps every bureau.
    assert len(build_territory(folder, [codes.plm_parent(arrondissement)]).bureaux) == len(next(iter(columns.values())))


def test_missing_arrondissement_says_which_ones_the_layer_holds(tmp_path):
    columns, lon, lat, _, _ = PLM_LAYERS["lyon"]
    folder = _plm_layer(tmp_path / "lyon", columns, 6, lon=lon, lat=lat)
    with pytest.raises(InputDataError, match=r"no bureau polygons(.|\n)*decoupage.geojson ignored: no bureau of commune 69386 in this file \(values: 69123, 69381, 69385, 69389\)"):
        build_territory(folder, ["69386"])


@pytest.mark.parametrize(
    "columns",
    [
        {"Code géographique": ["29061"] * 6, "numéro": [1, 2, 3, 4, 5, 6]},
        {"LIBELLÉ": ["Bureau n°1 – Mairie", "BV 2", "Bureau 0003", "Bureau n° 4 - Salle", "BV 5", "bureau 6"]},
        {"CODE": ["29061-1", "29061-2", "29061-3", "29061-4", "29061-5", "29061-6"]},
    ],
)
def test_unseen_bureau_layer_builds_with_real_results(tmp_path, columns):
    """A bureau layer named and spelled like no known publisher joins the real Gouesnou results."""
    folder = _plm_layer(tmp_path / "gouesnou", columns, 6, lon=-4.47, lat=48.45)
    shutil.copy(real("brest/2017-presidentielle-2_par_bureau_large_brest_gouesnou_plougastel.csv"), folder)
    report = territory_report(build_territory(folder, ["29061"]))
    assert report["bureaux"]["n"] == 6
    assert _section(report, "2017_pres", 2)["bureaux_with_results"] == "6/6"


def test_ignored_layers_are_named_when_no_bureau_is_found(tmp_path):
    folder = _plm_layer(tmp_path / "x", {"fid": [1, 2, 3]}, 3, lon=-4.47, lat=48.45)
    with pytest.raises(InputDataError, match=r"no bureau polygons(.|\n)*decoupage.geojson ignored: a Polygon layer without IRIS or commune codes: no column reads as bureau codes"):
        build_territory(folder, ["29061"])


def test_unknown_forced_kind(tmp_path):
    with pytest.raises(InputDataError, match="unknown kind 'resultats'"):
        build_territory(tmp_path, ["29019"], forced={DATA / "results_empty.csv": "resultats"})


def test_cli_build_and_report_json(tmp_path, capsys):
    out = tmp_path / "gouesnou.gpkg"
    assert main(["-q", "build", str(REAL / "brest"), "--commune", "29061", "--out", str(out), "--json"]) == 0
    built = json.loads(capsys.readouterr().out)
    assert main(["report", str(out), "--json"]) == 0
    reported = json.loads(capsys.readouterr().out)
    assert built["results"] == reported["results"]
    assert reported["bureaux"]["n"] == 6


def test_cli_error_is_clear(tmp_path, capsys):
    assert main(["-q", "build", str(tmp_path / "nowhere"), "--commune", "29019", "--out", str(tmp_path / "t.gpkg")]) == 2
    assert "folder not found" in capsys.readouterr().err
