"""IRIS contours, census tables and Filosofi grid: real files read in place, bad inputs, demo round trips."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from canvass.crs import METRIC_CRS
from canvass.demo.insee_formats import (
    BASE_IC_KEYS,
    write_base_ic_csv,
    write_base_ic_xlsx,
    write_filosofi_iris_csv,
    write_iris_contours,
)
from canvass.errors import DataQualityWarning, GeometryWarning, InputDataError
from canvass.opendata.insee import read_census, read_filosofi_grid, read_iris
from canvass.opendata.schemas import IRIS_COLUMNS
from tests.helpers import DATA, real

IRIS_16 = "paris-16e/iris_contours_2013_paris16.geojson"
RP_16 = "paris-16e/iris_rp2011_cs8_pop15p_paris16.csv"
FILOSOFI_2018 = "scale/france/BASE_TD_FILO_DISP_IRIS_2018_france.csv.gz"
GRID_BREST = "brest/filosofi2021_carreaux200m_menages_brest_gouesnou.csv"
GRID_DOUARNENEZ = "concarneau-douarnenez/filosofi2021_carreaux200m_menages_douarnenez.csv"


@pytest.fixture(scope="module")
def iris_16() -> gpd.GeoDataFrame:
    return read_iris(real(IRIS_16))


@pytest.fixture(scope="module")
def filosofi_2018() -> pd.DataFrame:
    return read_census(real(FILOSOFI_2018))


# --- IRIS contours ---------------------------------------------------------------------------


def test_iris_16e_schema_and_codes(iris_16):
    assert tuple(iris_16.columns) == IRIS_COLUMNS
    assert iris_16.crs == METRIC_CRS
    assert len(iris_16) == 83
    assert iris_16["iris_code"].str.fullmatch(r"75116\d{4}").all()
    assert (iris_16["commune"] == "75116").all()
    assert set(iris_16["iris_type"]) <= {"H", "A", "D"}
    assert iris_16.is_valid.all()


def test_iris_16e_covers_the_bureaux(iris_16):
    bureaux = gpd.read_file(real("paris-16e/bureaux_secteurs_2017_paris16.geojson")).to_crs(METRIC_CRS).union_all()
    share = bureaux.intersection(iris_16.union_all()).area / bureaux.area
    assert share == pytest.approx(0.997, abs=0.001)


def test_iris_code_built_from_commune_and_4_char_iris(tmp_path, iris_16):
    layer = gpd.read_file(real(IRIS_16)).drop(columns=["DCOMIRIS"])
    assert layer["IRIS"].str.len().eq(4).all()
    layer.to_file(tmp_path / "iris.gpkg")
    built = read_iris(tmp_path / "iris.gpkg")
    assert built["iris_code"].tolist() == iris_16["iris_code"].tolist()


def test_iris_commune_filter_paris():
    path = real("scale/paris/iris_contours_2013_paris.geojson")
    assert len(read_iris(path, communes=["75056"])) == 992
    sixteenth = read_iris(path, communes=["75116"])
    assert len(sixteenth) == 83
    assert sixteenth["iris_code"].str.startswith("75116").all()


def test_iris_commune_not_in_file():
    with pytest.raises(InputDataError, match="no IRIS of commune 29019"):
        read_iris(real(IRIS_16), communes=["29019"])


def test_iris_without_code_column():
    with pytest.raises(InputDataError, match="no IRIS code column") as error:
        read_iris(DATA / "iris_missing_code_column.geojson")
    assert "DCOMIRIS, CODE_IRIS, IRIS" in str(error.value)


def test_iris_duplicated_codes():
    with pytest.raises(InputDataError, match="appear on several rows") as error:
        read_iris(DATA / "iris_duplicated_codes.geojson")
    assert error.value.codes == ["751166101"]


def test_iris_all_null_geometry():
    with pytest.raises(InputDataError, match="every geometry is null or empty"):
        read_iris(DATA / "iris_all_null_geometry.geojson")


def test_iris_self_intersecting_polygon_is_repaired():
    with pytest.warns(GeometryWarning) as record:
        iris = read_iris(DATA / "iris_self_intersecting_polygon.geojson")
    messages = " ".join(str(warning.message) for warning in record)
    assert "1 invalid geometries repaired: 751166101" in messages
    assert "1 features without geometry dropped: 751166103" in messages
    assert iris["iris_code"].tolist() == ["751166101", "751166102"]
    assert iris.is_valid.all()
    assert set(iris.geom_type) <= {"Polygon", "MultiPolygon"}
    # The bow-tie keeps both of its triangles: half of the square it spans.
    assert iris.area.iloc[0] == pytest.approx(iris.area.iloc[1] / 2, rel=0.01)


# --- census tables ----------------------------------------------------------------------------


def test_rp2011_cs8_16e(iris_16):
    census = read_census(real(RP_16))
    assert census.attrs["source_kind"] == "rp"
    assert len(census) == 83
    assert census["iris_code"].isin(iris_16["iris_code"]).sum() == 83
    variables = census.drop(columns=["iris_code", "commune"])
    assert (variables.dtypes == "float64").all()
    groups = census[[f"C11_POP15P_CS{i}" for i in range(1, 9)]].sum(axis=1)
    # The published counts are rounded one by one: at most 8 × 0.5 apart (measured: 2).
    assert (groups - census["C11_POP15P"]).abs().max() <= 4
    assert set(census.attrs["n_missing"].values()) == {0}


def test_rp2011_paris_joins_contours():
    contours = read_iris(real("scale/paris/iris_contours_2013_paris.geojson"))
    census = read_census(real("scale/paris/iris_rp2011_cs8_pop15p_paris.csv"))
    assert len(contours) == len(census) == 992
    assert census["iris_code"].isin(contours["iris_code"]).sum() == 992


def test_filosofi_2018_france(filosofi_2018, iris_16):
    assert filosofi_2018.attrs["source_kind"] == "filosofi"
    assert len(filosofi_2018) == 12395
    assert filosofi_2018["iris_code"].str.len().eq(9).all()
    assert filosofi_2018["DISP_MED18"].dtype == "float64"
    # IRIS 751166105 has its poverty rate blank in the file (secret): NaN, not 0.
    row = filosofi_2018.set_index("iris_code").loc["751166105"]
    assert np.isnan(row["DISP_TP6018"])
    assert row["DISP_MED18"] == 33630
    assert filosofi_2018.attrs["n_missing"]["DISP_TP6018"] == 2881
    assert filosofi_2018["DISP_PIMPOT18"].min() < 0  # tax share is negative, kept as is


def test_filosofi_2018_16e_joins_contours(iris_16):
    census = read_census(real(FILOSOFI_2018), communes=["75116"])
    assert len(census) == 70
    assert census["iris_code"].isin(iris_16["iris_code"]).all()
    assert len(read_census(real(FILOSOFI_2018), communes=["75056"])) == 870


def test_census_without_iris_column():
    with pytest.raises(InputDataError, match="no header row with an IRIS code column"):
        read_census(DATA / "census_missing_iris_column.csv")


def test_base_ic_xlsx_header_not_found():
    with pytest.raises(InputDataError, match=r"no header row with an IRIS code column .* found in the first 15 rows"):
        read_census(DATA / "base_ic_header_not_found.xlsx")


def test_census_variable_mixing_numbers_and_text(tmp_path):
    path = tmp_path / "shifted.csv"
    path.write_text("IRIS;P21_POP;P21_LOG\n751166101;1200;PARIS\n751166102;1300;540\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="mix numbers and text") as error:
        read_census(path)
    assert error.value.codes == ["PARIS"]


# --- Filosofi grid ----------------------------------------------------------------------------


def test_filosofi_grid_brest():
    grid = read_filosofi_grid(real(GRID_BREST))
    assert len(grid) == 1023
    assert grid.crs == METRIC_CRS
    assert grid["cell_id"].str.fullmatch(r"CRS3035RES200mN\d+E\d+").all()
    np.testing.assert_allclose(grid.to_crs("EPSG:3035").area, 40_000, rtol=1e-9)
    np.testing.assert_allclose(grid["men_coll"] + grid["men_mais"], grid["men"], atol=1e-9)
    assert grid.drop(columns="geometry").select_dtypes("number").dtypes.eq("float64").all()
    # Cells tile the plane: no overlap, so the union is as large as the sum.
    assert grid.union_all().area == pytest.approx(grid.area.sum(), rel=1e-6)


def test_filosofi_grid_brest_persons_per_commune():
    path = real(GRID_BREST)
    brest = read_filosofi_grid(path, communes=["29019"])
    gouesnou = read_filosofi_grid(path, communes=["29061"])
    assert len(brest) == 821
    assert brest["ind"].sum() == pytest.approx(119_958, abs=1)
    assert brest["men"].sum() == pytest.approx(63_905, abs=1)
    assert gouesnou["ind"].sum() == pytest.approx(6_337, abs=1)


def test_filosofi_grid_douarnenez():
    path = real(GRID_DOUARNENEZ)
    grid = read_filosofi_grid(path)
    assert len(grid) == 364
    inside = grid["in_commune_centroid"] == "True"
    assert grid.loc[inside, "ind"].sum() == pytest.approx(13_754, abs=1)
    assert grid.loc[inside, "men"].sum() == pytest.approx(7_497, abs=1)
    with pytest.raises(InputDataError, match="no commune column"):
        read_filosofi_grid(path, communes=["29046"])


def test_filosofi_grid_id_disagrees_with_coordinates(tmp_path):
    path = tmp_path / "grid.csv"
    path.write_text("idcar_200m,x_3035,y_3035,ind,men\nCRS3035RES200mN2911200E3251600,3251800,2911200,4,1\n")
    with pytest.raises(InputDataError, match="different from the corner in their id"):
        read_filosofi_grid(path)


# --- demo writers round trips -----------------------------------------------------------------


@pytest.fixture
def demo_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "iris_code": ["751166101", "751166102", "290190000", "2A0040101"],
            "iris_name": ["Porte Dauphine 1", "Porte Dauphine 2", "Brest", "Cœur d'Ajaccio é"],
            "P21_POP": [1956.37, np.nan, 139_000.0, 3.0],
            "P21_LOG": [1100.5, 980.25, 86_000.0, np.nan],
            "C21_ACT1564_CS3": [420.1, 0.0, np.nan, 1.0],
        }
    )


def _assert_same_variables(read: pd.DataFrame, table: pd.DataFrame) -> None:
    variables = ["P21_POP", "P21_LOG", "C21_ACT1564_CS3"]
    assert read["iris_code"].tolist() == table["iris_code"].tolist()
    pd.testing.assert_frame_equal(read[variables], table[variables])
    assert read.attrs["n_missing"] == {"P21_POP": 1, "P21_LOG": 1, "C21_ACT1564_CS3": 1}


def test_base_ic_xlsx_round_trip(tmp_path, demo_table):
    path = write_base_ic_xlsx(demo_table, tmp_path / "base-ic-logement-2021.xlsx", theme="Logement", year=2021)
    titles = pd.read_excel(path, header=None, nrows=6)
    assert titles.iloc[0, 0] == "Base infracommunale (IRIS) - Logement en 2021"
    assert tuple(titles.iloc[5, :12]) == BASE_IC_KEYS
    assert titles.iloc[5, 12:].tolist() == ["P21_POP", "P21_LOG", "C21_ACT1564_CS3"]
    read = read_census(path)
    assert read.attrs["source_kind"] == "base_ic"
    _assert_same_variables(read, demo_table)
    assert read["commune"].tolist() == ["75116", "75116", "29019", "2A004"]
    assert read["TYP_IRIS"].tolist() == ["H", "H", "Z", "H"]
    assert read["LIBIRIS"].tolist() == demo_table["iris_name"].tolist()
    assert len(read_census(path, communes=["75056"])) == 2


def test_base_ic_csv_round_trip(tmp_path, demo_table):
    path = write_base_ic_csv(demo_table, tmp_path / "base-ic-logement-2021.csv")
    assert path.read_bytes().startswith(b"IRIS;REG;DEP;")
    with pytest.warns(DataQualityWarning, match="Windows-1252"):
        read = read_census(path)
    _assert_same_variables(read, demo_table)
    assert read["LIBIRIS"].tolist() == demo_table["iris_name"].tolist()


def test_base_ic_csv_below_title_rows(tmp_path, demo_table):
    path = tmp_path / "titled.csv"
    write_base_ic_csv(demo_table, path)
    path.write_bytes("Base infracommunale (IRIS)\nSource : Insee\n".encode("cp1252") + path.read_bytes())
    with pytest.warns(DataQualityWarning):
        _assert_same_variables(read_census(path), demo_table)


@pytest.mark.parametrize(("year", "secret"), [(2018, ";;"), (2021, ";ns;ns")])
def test_filosofi_iris_round_trip(tmp_path, year, secret):
    table = pd.DataFrame(
        {
            "iris_code": ["751166101", "751166102", "751166103"],
            "DISP_MED": [30_000.0, np.nan, 25_000.5],
            "DISP_TP60": [12.3, np.nan, np.nan],
        }
    )
    path = write_filosofi_iris_csv(table, tmp_path / f"BASE_TD_FILO_DISP_IRIS_{year}.csv", year=year)
    text = path.read_text()
    assert f"751166102{secret}" in text
    assert ("25000,5" in text) == (year > 2018)
    read = read_census(path)
    suffix = str(year)[2:]
    assert read.attrs["source_kind"] == "filosofi"
    expected = table.drop(columns="iris_code").add_suffix(suffix)
    pd.testing.assert_frame_equal(read[expected.columns], expected)


def test_iris_contours_round_trip(tmp_path, iris_16):
    path = write_iris_contours(iris_16.assign(commune_name="Paris 16e Arrondissement"), tmp_path / "iris.geojson")
    raw = gpd.read_file(path)
    assert raw.crs == "EPSG:4326"
    assert {"CODE_IRIS", "NOM_IRIS", "TYP_IRIS", "INSEE_COM", "NOM_COM"} <= set(raw.columns)
    read = read_iris(path)
    pd.testing.assert_frame_equal(read.drop(columns="geometry"), iris_16.drop(columns="geometry"))
    np.testing.assert_allclose(read.area, iris_16.area, rtol=1e-6)
