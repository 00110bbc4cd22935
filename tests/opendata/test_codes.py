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
