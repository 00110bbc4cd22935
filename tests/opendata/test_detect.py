"""Bureau and contour layers told by the values of their columns, whatever the publisher named them."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from canvass.errors import InputDataError
from canvass.opendata.addresses import read_ban, read_reu
from canvass.opendata.bureaux import read_bureaux
from canvass.opendata.detect import classify_file, classify_folder
from canvass.opendata.sniff import find_bureau_columns, find_commune_columns, find_coordinate_columns
from tests.helpers import real

N = 12


def _squares(n: int = N, *, lon: float = -4.49, lat: float = 48.39) -> list:
    """``n`` adjacent 500 m squares (WGS84), one per bureau."""
    step = 0.006
    return [shapely.box(lon + i * step, lat, lon + (i + 1) * step, lat + step) for i in range(n)]


def _layer(tmp_path, name: str, columns: dict, *, n: int = N, **where) -> str:
    """Write a GeoJSON layer with ``columns`` and decoys every real layer has: an identifier, counts, a name."""
    rng = np.random.default_rng(len(name))
    decoys = {
        "objectid": rng.permutation(np.arange(101, 101 + n)),
        "inscrits": rng.integers(600, 1600, n),
        "surface_m2": rng.uniform(1e5, 9e5, n),
        "adresse": [f"{i + 3} rue de la Gare" for i in range(n)],
    }
    path = tmp_path / name
    gpd.GeoDataFrame(decoys | columns, geometry=_squares(n, **where), crs="EPSG:4326").to_file(path)
    return path


def _numbers(n: int = N) -> np.ndarray:
    return np.random.default_rng(n).permutation(np.arange(1, n + 1))


# Each variant: (columns of the layer, communes given, expected keys).
VARIANTS = {
    "key_under_an_unseen_name": ({"Identifiant BV": [f"29019_{i}" for i in _numbers()]}, ["29019"], "29019"),
    "pair_with_accented_names": (
        {"Code géographique": ["29019"] * 8 + ["29061"] * 4, "Numéro du bureau": list(range(1, 9)) + list(range(1, 5))},
        ["29019"],
        "29019",
    ),
    "pair_upper_case_commune_as_integer": ({"CODE_COMMUNE": [29019] * N, "n_bv": [float(i) for i in _numbers()]}, [], "29019"),
    "number_zero_padded_with_letters_no_commune": (
        {"NUMÉRO": [f"{i:04d}" for i in range(1, N)] + ["0005A"]},
        ["29019"],
        "29019",
    ),
    "number_float_named_for_a_bureau_no_commune": ({"N° du bureau": [float(i) for i in _numbers()]}, ["29019"], "29019"),
    "label_only": (
        {"Désignation": [f"Bureau n°{i} – École Jules Ferry" if i % 3 == 0 else f"BV {i}" if i % 3 == 1 else f"Bureau {i:04d}" for i in _numbers()]},
        ["29019"],
        "29019",
    ),
    "paris_dash_form": ({"ref": [f"16-{i}" for i in _numbers()]}, ["75116"], "75056"),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_unseen_bureau_layers_are_detected_and_read(tmp_path, variant):
    columns, communes, commune = VARIANTS[variant]
    path = _layer(tmp_path, f"{variant}.geojson", columns)
    assert classify_file(path).kind == "bureaux"
    bureaux = read_bureaux(path, communes=communes)
    in_commune = 8 if variant == "pair_with_accented_names" else N
    assert len(bureaux) == in_commune
    assert bureaux["bureau_id"].is_unique
    assert set(bureaux["commune"]) == {commune}
    numbers = set(bureaux["bureau_id"].str.slice(6))
    if variant == "paris_dash_form":
        assert numbers == {f"{1600 + i:04d}" for i in range(1, N + 1)}
    elif variant == "number_zero_padded_with_letters_no_commune":
        assert numbers == {f"{i:04d}" for i in range(1, N)} | {"0005A"}
    else:
        assert numbers == {f"{i:04d}" for i in range(1, in_commune + 1)}


def test_label_column_also_names_the_bureau(tmp_path):
    columns, communes, _ = VARIANTS["label_only"]
    bureaux = read_bureaux(_layer(tmp_path, "labels.geojson", columns), communes=communes)
    assert bureaux["name"].str.contains("Bureau|BV").all()
    assert "école jules ferry" in " ".join(bureaux["name"]).lower()


def test_identifier_alone_is_not_a_bureau_code(tmp_path):
    """A layer of areas with only a 1..n identifier and counts is not taken for bureaux, and says why."""
    path = _layer(tmp_path, "quartiers.geojson", {"fid": _numbers()})
    found = classify_file(path)
    assert found.kind == "ignore"
    assert "no column reads as bureau codes" in found.reason and "'fid'" in found.reason


def test_commune_contours_by_their_codes(tmp_path):
    path = _layer(tmp_path, "limites.geojson", {"fid": np.arange(1, 4), "Code officiel": ["29019", "29061", "29189"]}, n=3)
    assert classify_file(path).kind == "contours"


def test_points_with_bureau_codes_are_polling_places(tmp_path):
    path = tmp_path / "lieux.geojson"
    gpd.GeoDataFrame({"code": [f"29019_{i}" for i in range(1, 6)]}, geometry=gpd.points_from_xy([-4.48] * 5, [48.39] * 5), crs="EPSG:4326").to_file(path)
    found = classify_file(path)
    assert found.kind == "ignore" and "not areas" in found.reason


def test_number_without_commune_needs_one(tmp_path):
    columns, _, _ = VARIANTS["number_zero_padded_with_letters_no_commune"]
    path = _layer(tmp_path, "bv.geojson", columns)
    with pytest.raises(InputDataError, match="gives bureau numbers .*'NUMÉRO'.* but not their commune"):
        read_bureaux(path)


def test_unreadable_codes_are_named(tmp_path):
    codes = [f"29019_{i}" for i in range(1, N)] + ["bureau annexe"]
    with pytest.raises(InputDataError, match=r"1 bureau codes are not of a known form(.|\n)*bureau annexe"):
        read_bureaux(_layer(tmp_path, "bv.geojson", {"cle": codes}), communes=["29019"])


def test_no_bureau_column_says_what_was_tried(tmp_path):
    with pytest.raises(InputDataError, match=r"no bureau code column found(.|\n)*best tried: (.|\n)*numbering density"):
        read_bureaux(_layer(tmp_path, "bv.geojson", {"fid": _numbers()}), communes=["29019"])


@pytest.mark.parametrize(
    ("relative", "communes", "bureau", "commune"),
    [
        ("paris-16e/bureaux_secteurs_2017_paris16.geojson", ["75116"], "code_bv_insee", None),
        ("paris-16e/derived_bureaux_2026_municipales2026t1_revenu_hlm_paris16.geojson", ["75116"], "code_bv", None),
        ("brest/LIM_ADM_BureauxVote_s_brest_metropole.geojson", ["29061"], "BVOTE", "DEPCO"),
        ("scale/dep04/Bvote_Propre_Dep_04_reu2022.geojson", ["04"], "CODE_BV", None),
        ("scale/toulouse/toulouse_bureaux_vote_2026.geojson", ["31555"], "uniq_bdv", None),
    ],
)
def test_real_layers_pick_the_published_code_columns(relative, communes, bureau, commune):
    attributes = gpd.read_file(real(relative), ignore_geometry=True)
    found = find_bureau_columns(attributes, communes)
    assert (found.bureau, found.commune) == (bureau, commune)


def test_real_folders_are_sorted_as_before():
    kinds = {item.path.name: item.kind for item in classify_folder(real("paris-16e"))}
    assert kinds["bureaux_secteurs_2017_paris16.geojson"] == "bureaux"
    assert kinds["iris_contours_2013_paris16.geojson"] == "iris"
    assert kinds["iris_apur_features_paris16_correlaid.geojson"] == "ignore"
    contours = classify_file(real("concarneau-douarnenez/communes_contours_bdtopo_29039_29046_29116.geojson"))
    assert contours.kind == "contours"


def test_commune_columns_prefer_the_communes_asked():
    table = pd.DataFrame({"cp": ["29200"] * 4, "insee": ["29019"] * 4, "count": [1200, 1300, 1250, 1100]})
    assert find_commune_columns(table, ["29019"])[0] == "insee"
    # Counts of 1000-9999 look like zero-padded codes of départements 01-09: not taken without a commune asked.
    assert "count" not in find_commune_columns(table)
    # Without a commune asked, postal codes (mostly ending in 0) come after INSEE codes.
    assert find_commune_columns(table) == ["insee", "cp"]


def test_coordinate_columns_by_range_and_precision():
    table = pd.DataFrame(
        {"taux": ["45,12", "47,50", "44,31"], "a": ["48,390125", "48,401002", "48,395511"], "b": ["-4,481234", "-4,490012", "-4,475501"], "n": ["1", "2", "3"]}
    )
    assert find_coordinate_columns(table) == ("b", "a")
    # Rates with two decimals in the range of latitudes are no coordinates.
    assert find_coordinate_columns(table.drop(columns="a")) is None


def test_reu_extract_with_unseen_column_names(tmp_path):
    """The real REU extract with every column renamed is still told and read by its values."""
    raw = pd.read_csv(real("concarneau-douarnenez/reu_adresses_geolocalisees_29039_29046_29116.csv"), dtype=str)
    renamed = raw.rename(columns={"id_brut_bv_reu": "Bureau", "code_commune_ref": "COM", "longitude": "X_WGS", "latitude": "Y_WGS"})
    path = tmp_path / "extrait.csv"
    renamed.to_csv(path, sep=";", index=False)
    assert classify_file(path).kind == "reu"
    points = read_reu(path, communes=["29046"])
    assert len(points) == 5_431
    assert points["bureau_id"].nunique() == 13


def test_ban_with_unseen_commune_and_coordinate_names(tmp_path):
    path = tmp_path / "adresses.csv"
    path.write_text(
        "id;numero;rep;nom_voie;cp;insee_commune;Longitude WGS84;Latitude WGS84\n"
        "29019_0001_00001;1;;Rue de Siam;29200;29019;-4.489012;48.390123\n"
        "29019_0001_00003;3;bis;Rue de Siam;29200;29019;-4.489112;48.390223\n"
    )
    assert classify_file(path).kind == "ban"
    points = read_ban(path, communes=["29019"])
    assert points["commune"].tolist() == ["29019", "29019"] and points["housenumber"].tolist() == ["1", "3bis"]


def test_a_ban_file_is_not_taken_for_reu_points(tmp_path):
    """BAN street codes (id_fantoir 29999_0336) read like bureau keys; they begin the address ids, REU keys begin nothing."""
    from canvass.demo import write_demo
    from canvass.opendata.detect import classify_file

    write_demo(tmp_path / "demo")
    ban = next((tmp_path / "demo").glob("adresses-*.csv"))
    assert classify_file(ban).kind == "ban"
    assert classify_file(real("concarneau-douarnenez/reu_adresses_geolocalisees_29039_29046_29116.csv")).kind == "reu"
