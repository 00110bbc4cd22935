"""BAN and REU address points."""

import pytest

from canvass.errors import DataQualityWarning, InputDataError
from canvass.opendata.addresses import read_ban, read_reu
from tests.helpers import DATA, real

REU = "concarneau-douarnenez/reu_adresses_geolocalisees_29039_29046_29116.csv"


def test_reu_real_extract_counts():
    points = read_reu(real(REU))
    assert len(points) == 12_335
    assert points["n_addresses"].sum() == 15_187
    assert points.groupby("commune")["bureau_id"].nunique().to_dict() == {"29039": 17, "29046": 13, "29116": 1}
    assert points["bureau_id"].str.match(r"^\d{5}_\d{4}$").all()
    assert points.crs.to_epsg() == 2154


def test_reu_commune_filter():
    assert len(read_reu(real(REU), communes=["29046"])) == 5_431
    with pytest.raises(InputDataError, match="no address of commune 29019"):
        read_reu(real(REU), communes=["29019"])


def test_ban_missing_column():
    with pytest.raises(InputDataError, match="no longitude and latitude columns found"):
        read_ban(DATA / "ban_missing_lat_column.csv")


def test_ban_bad_coordinates_name_the_row():
    with pytest.raises(InputDataError, match=r"1 rows have no usable longitude/latitude(.|\n)*first at data row 2"):
        read_ban(DATA / "ban_bad_coordinates.csv")


def test_ban_latin1_is_read_with_a_warning():
    with pytest.warns(DataQualityWarning, match="not UTF-8"):
        addresses = read_ban(DATA / "ban_latin1_encoding.csv")
    assert addresses["street_name"].iloc[0] == "Rue de l'Église"
    assert addresses["n_addresses"].sum() == 1
