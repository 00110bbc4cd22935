"""Bureau and commune codes: every spelling in the real files maps to one canonical key."""

import pandas as pd
import pytest

from canvass.errors import InputDataError
from canvass.opendata import codes


@pytest.mark.parametrize(
    ("commune", "bureau", "expected"),
    [
        ("29019", "1", "29019_0001"),       # MI 2024 Code BV, unpadded
        ("29019", "001", "29019_0001"),     # Ville de Brest 2022
        ("29019", "0001", "29019_0001"),    # P2017 wide file
        ("29019", "1.0", "29019_0001"),     # a spreadsheet's float
        ("75056", "16-1", "75056_1601"),    # Paris polygons and M2020
        ("75056", "1601", "75056_1601"),    # P2017 wide file
        ("75116", "1601", "75056_1601"),    # arrondissement code folded into Paris
        ("31555", "0054A", "31555_0054A"),  # Toulouse polygons
        ("31555", "054A", "31555_0054A"),   # Toulouse results
        ("4036", "2", "04036_0002"),        # a commune code read as a number
    ],
)
def test_bureau_key_spellings_agree(commune, bureau, expected):
    assert codes.bureau_key(pd.Series([commune]), pd.Series([bureau])).iloc[0] == expected


@pytest.mark.parametrize(("raw", "expected"), [("29039_1", "29039_0001"), ("04036_2", "04036_0002"), ("75056_1601", "75056_1601")])
def test_split_bureau_key(raw, expected):
    assert codes.split_bureau_key(pd.Series([raw])).iloc[0] == expected


def test_bad_bureau_code_is_named():
    with pytest.raises(InputDataError, match=r"1 bureau codes are not of a known form(.|\n)*bureau un"):
        codes.bureau_key(pd.Series(["29019", "29019"]), pd.Series(["1", "bureau un"]), source="x.csv", column="Code BV")


def test_commune_from_parts_overseas_and_corsica():
    result = codes.commune_from_parts(pd.Series(["75", "ZA", "2A", "4"]), pd.Series(["056", "101", "004", "36"]))
    assert result.tolist() == ["75056", "97101", "2A004", "04036"]


def test_bureau_label_round_trip():
    keys = pd.Series(["29019_0001", "75056_1601", "31555_0054A"])
    assert codes.bureau_label(keys).tolist() == ["1", "16-1", "54A"]


def test_in_area_commune_arrondissement_departement():
    communes = pd.Series(["75116", "75101", "29019", "04036", "04209"])
    assert codes.in_area(communes, ["75056"]).tolist() == [True, True, False, False, False]
    assert codes.in_area(communes, ["75116"]).tolist() == [True, False, False, False, False]
    assert codes.in_area(communes, ["04"]).tolist() == [False, False, False, True, True]


@pytest.mark.parametrize(
    ("code", "number", "parent"),
    [("75101", 1, "75056"), ("75116", 16, "75056"), ("75120", 20, "75056"), ("69381", 1, "69123"), ("69385", 5, "69123"),
     ("69389", 9, "69123"), ("13201", 1, "13055"), ("13216", 16, "13055"), ("29019", None, "29019"), ("69123", None, "69123")],
)
def test_plm_arrondissements(code, number, parent):
    assert codes.arrondissement_number(code) == number
    assert codes.plm_parent(code) == parent


def test_arrondissement_keys_round_trip():
    """A bureau keyed with its arrondissement code comes back to that code, in the three cities."""
    arrondissements = pd.Series(["75116", "69385", "13216", "69381"])
    keys = codes.bureau_key(arrondissements, pd.Series(["3", "0512", "1", "101"]))
    assert keys.tolist() == ["75056_1603", "69123_0512", "13055_1601", "69123_0101"]
    assert codes.arrondissements_of_keys(keys).tolist() == arrondissements.tolist()
    assert codes.in_area(codes.commune_of_key(keys), ["69123"]).tolist() == [False, True, False, True]


@pytest.mark.parametrize(
    ("raw", "commune", "number", "form"),
    [
        ("29039_1", "29039", "0001", "key"),
        ("2A004_12", "2A004", "0012", "key"),
        ("69123_0101", "69123", "0101", "key"),
        ("12.0", None, "0012", "number"),
        ("0054A", None, "0054A", "number"),
        ("16-1", None, "1601", "number"),
        ("Bureau n°12 – École Jules Ferry", None, "0012", "label"),
        ("BV 7", None, "0007", "label"),
        ("bureau de vote 0012", None, "0012", "label"),
        ("3 rue de la Gare", None, None, None),
        ("Bureau 12e arrondissement", None, None, None),
    ],
)
def test_parse_bureau_codes(raw, commune, number, form):
    parsed = codes.parse_bureau_codes(pd.Series([raw, None])).iloc[0]
    assert (parsed["commune"] if pd.notna(parsed["commune"]) else None) == commune
    assert (parsed["number"] if pd.notna(parsed["number"]) else None) == number
    assert (parsed["form"] if pd.notna(parsed["form"]) else None) == form
