"""Inputs the fuzz harness found crashing or accepted with impossible values (issue #13), each read once here.

Every bad input is built in ``tmp_path`` from a real cut, so that each test
shows the one defect it is about; the reader must raise a clear
:class:`~canvass.errors.InputDataError` (naming file, line and value) or read
the file right with a warning.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import shapely
from pyproj import Transformer

from canvass.errors import CoordinateError, GeometryWarning, ImpossibleValueError, InputDataError
from canvass.opendata.addresses import read_reu
from canvass.opendata.bureaux import read_bureaux
from canvass.opendata.insee import read_census
from canvass.opendata.osm import read_streets
from canvass.opendata.results import read_results
from tests.helpers import real

TO_METRIC = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
WIDE_2017 = "paris-16e/2017-presidentielle-2_par_bureau_large_paris16.csv"
PARIS_MUNI = "paris-16e/ddct_berp_municipales_2020_tour1_ardt_16_20200315.csv"


def _cut(relative: str, rows: int = 3) -> list[str]:
    return real(relative).read_text(encoding="utf-8").splitlines()[: rows + 1]


def _write(tmp_path, name: str, lines: list[str]) -> object:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _set_cell(lines: list[str], row: int, column: str, value: str, separator: str = ",") -> list[str]:
    header = lines[0].split(separator)
    cells = lines[row].split(separator)
    cells[header.index(column)] = value
    return [*lines[:row], separator.join(cells), *lines[row + 1:]]


# --------------------------------------------------------------------------- text, encodings, line ends


def test_bom_then_latin1_bytes_read_with_a_warning(tmp_path):
    text = "\n".join(_cut(WIDE_2017)).replace("commune", "communé_libellé", 0) + "\n"
    path = tmp_path / "2017-presidentielle-2_par_bureau_large.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("LE PEN", "LE PÉN").encode("latin-1"))
    with pytest.warns(UserWarning, match="not UTF-8 .*line 1"):
        results = read_results(path)
    assert "LE PÉN" in set(results["candidate"])


@pytest.mark.parametrize("end", ["\r", "\r\n"])
def test_bare_cr_and_crlf_line_ends_read_like_lf(tmp_path, end):
    lines = _cut(WIDE_2017)
    path = tmp_path / "2017-presidentielle-2_par_bureau_large.csv"
    path.write_bytes(end.join(lines).encode("utf-8"))
    assert len(read_results(path)) == 2 * (len(lines) - 1)


# --------------------------------------------------------------------------- counts and totals


@pytest.mark.parametrize("value", ["inf", "1e400", "-12", "9" * 5000])
def test_counts_not_finite_or_negative_are_refused(tmp_path, value):
    path = _write(tmp_path, "2017-presidentielle-2_par_bureau_large.csv", _set_cell(_cut(WIDE_2017), 2, "MACRON", value))
    with pytest.raises(InputDataError, match="negative or infinite|not numbers") as caught:
        read_results(path)
    assert caught.value.where == "column 'MACRON', first at data row 2"
    assert len(str(caught.value)) < 1000


@pytest.mark.parametrize(
    ("column", "value", "what"),
    [("exprimes", "5000", "more votes cast"), ("votants", "99999", "more voters"), ("blancs", "900", "exceed the voters")],
)
def test_totals_that_cannot_hold_are_refused_with_the_line(tmp_path, column, value, what):
    path = _write(tmp_path, "2017-presidentielle-2_par_bureau_large.csv", _set_cell(_cut(WIDE_2017), 3, column, value))
    with pytest.raises(ImpossibleValueError, match=what) as caught:
        read_results(path)
    assert caught.value.where == "line 4"
    assert "75056_1603" in caught.value.codes[0]


def test_a_candidate_above_the_votes_cast_is_refused(tmp_path):
    lines = _set_cell(_cut(WIDE_2017), 1, "MACRON", "100000")
    path = _write(tmp_path, "2017-presidentielle-2_par_bureau_large.csv", lines)
    with pytest.raises(ImpossibleValueError, match="more votes .voix. than votes cast") as caught:
        read_results(path)
    assert caught.value.where == "line 2" and "MACRON voix=100000" in caught.value.codes[0]


def test_panachage_sum_above_the_votes_cast_is_accepted(tmp_path):
    """Municipales under 1,000 inhabitants: each voter picks several names, so the votes add up to more than exprimés."""
    lines = _cut(PARIS_MUNI, rows=2)
    header = lines[0].split(",")
    expressed = [int(line.split(",")[header.index("NB_EXPRIM")]) for line in lines[1:]]
    candidates = header[header.index("NB_EXPRIM") + 1:]
    rows = []
    for line, total in zip(lines[1:], expressed):
        cells = line.split(",")
        for column in candidates:
            cells[header.index(column)] = str(int(total * 0.8))  # every name on 80 % of the ballots
        rows.append(",".join(cells))
    path = _write(tmp_path, PARIS_MUNI.split("/")[1], [lines[0], *rows])
    with pytest.warns(UserWarning, match="totals do not add up"):
        results = read_results(path)
    sums = results.groupby("bureau_id")["n_votes"].sum()
    assert (sums > results.groupby("bureau_id")["n_expressed"].first()).all()


def test_non_integer_round_is_a_clear_error(tmp_path):
    lines = _cut(PARIS_MUNI, rows=2)
    if "TOUR" not in lines[0].split(","):
        pytest.fail("the Paris municipales file is expected to carry a TOUR column")
    path = _write(tmp_path, PARIS_MUNI.split("/")[1], _set_cell(lines, 2, "TOUR", "1.5"))
    with pytest.raises(InputDataError, match="round .tour. that is not 1 or 2") as caught:
        read_results(path)
    assert caught.value.where == "line 3" and caught.value.codes == ["1.5"]


def test_five_thousand_digit_commune_code_is_a_clear_error(tmp_path):
    path = _write(tmp_path, "2017-presidentielle-2_par_bureau_large.csv", _set_cell(_cut(WIDE_2017), 1, "commune", "1" * 5000))
    with pytest.raises(InputDataError, match="commune codes are not INSEE codes") as caught:
        read_results(path)
    assert caught.value.where == "line 2" and len(caught.value.codes[0]) < 30


def test_negative_census_counts_are_refused(tmp_path):
    lines = _cut("paris-16e/iris_rp2011_cs8_pop15p_paris16.csv")
    path = _write(tmp_path, "rp.csv", _set_cell(lines, 2, "C11_POP15P_CS3", "-428"))
    with pytest.raises(ImpossibleValueError, match="negative counts") as caught:
        read_census(path)
    assert caught.value.where == "column 'C11_POP15P_CS3', data rows 2"


def test_negative_filosofi_shares_are_kept(tmp_path):
    """DISP_PIMPOT (taxes as a share of income) is negative in every real row: not a count."""
    table = read_census(real("scale/france/BASE_TD_FILO_DISP_IRIS_2018_france.csv.gz"), communes=["75116"])
    assert (table["DISP_PIMPOT18"].dropna() < 0).all()


# --------------------------------------------------------------------------- coordinates


def _geojson(tmp_path, transform=None, drop_crs: bool = False, name: str = "bureaux.geojson"):
    data = json.loads(real("paris-16e/bureaux_secteurs_2017_paris16.geojson").read_text(encoding="utf-8"))
    data["features"] = data["features"][:3]
    if drop_crs:
        data.pop("crs", None)
    if transform is not None:
        for feature in data["features"]:
            geometry = shapely.geometry.shape(feature["geometry"])
            feature["geometry"] = shapely.geometry.mapping(shapely.transform(geometry, transform))
    path = tmp_path / name
    path.write_text(json.dumps(data, allow_nan=True), encoding="utf-8")
    return path


def _to_lambert93(coords):
    return np.column_stack(TO_METRIC.transform(coords[:, 0], coords[:, 1]))


@pytest.mark.parametrize("drop_crs", [True, False])
def test_lambert93_numbers_in_a_wgs84_geojson_are_read_as_lambert93(tmp_path, drop_crs):
    expected = read_bureaux(_geojson(tmp_path, name="wgs84.geojson"))
    with pytest.warns(GeometryWarning, match="Lambert-93 metres"):
        bureaux = read_bureaux(_geojson(tmp_path, _to_lambert93, drop_crs=drop_crs))
    assert np.allclose(bureaux.geometry.area, expected.geometry.area, rtol=1e-3)


def test_swapped_polygon_coordinates_are_named(tmp_path):
    with pytest.raises(CoordinateError, match="swapped") as caught:
        read_bureaux(_geojson(tmp_path, lambda coords: coords[:, ::-1]))
    assert caught.value.codes[0].startswith("feature 1 (48.")


def test_nan_vertex_is_refused(tmp_path):
    def one_nan(coords):
        coords = coords.copy()
        coords[1, 1] = np.nan
        return coords

    path = _geojson(tmp_path, one_nan)
    with pytest.raises(InputDataError, match="not finite|cannot read"):
        read_bureaux(path)


def test_polygons_outside_france_are_refused(tmp_path):
    with pytest.raises(CoordinateError, match="outside France"):
        read_bureaux(_geojson(tmp_path, lambda coords: coords + [60.0, 0.0]))


def test_swapped_reu_coordinates_are_named_with_their_row(tmp_path):
    lines = _cut("concarneau-douarnenez/reu_adresses_geolocalisees_29039_29046_29116.csv", rows=6)
    header = lines[0].split(",")
    lon, lat = header.index("longitude"), header.index("latitude")
    cells = lines[4].split(",")
    cells[lon], cells[lat] = cells[lat], cells[lon]
    path = _write(tmp_path, "reu.csv", [*lines[:4], ",".join(cells), *lines[5:]])
    with pytest.raises(CoordinateError, match="swapped") as caught:
        read_reu(path)
    assert caught.value.codes[0].startswith("data row 4 (47.")


# --------------------------------------------------------------------------- Overpass JSON


def _overpass(tmp_path, edit) -> object:
    elements = [
        {"type": "node", "id": 1, "lat": 48.8601, "lon": 2.2801},
        {"type": "node", "id": 2, "lat": 48.8605, "lon": 2.2809},
        {"type": "node", "id": 3, "lat": 48.8611, "lon": 2.2815},
        {"type": "way", "id": 100, "nodes": [1, 2, 3], "tags": {"highway": "residential", "name": "Rue X"}},
    ]
    edit(elements)
    path = tmp_path / "overpass.json"
    path.write_text(json.dumps({"version": 0.6, "elements": elements}, allow_nan=True), encoding="utf-8")
    return path


def test_clean_overpass_answer_reads(tmp_path):
    segments = read_streets(_overpass(tmp_path, lambda elements: None))
    assert len(segments) == 1 and segments["street_name"].iloc[0] == "Rue X"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda e: e[3].pop("nodes"), "no list of node ids"),
        (lambda e: e[3].update(nodes=[[1, 2, 3]]), "not OSM ids"),
        (lambda e: e[3].update(nodes=["1", 2, 3]), "not OSM ids"),
        (lambda e: e[3].update(tags="highway=residential"), "not a key/value object"),
        (lambda e: e[0].update(lat=""), "no usable lat/lon"),
        (lambda e: e[0].pop("lat"), "no usable lat/lon"),
        (lambda e: e[0].update(id=2**70), "not OSM ids"),
        (lambda e: e[0].update(lat=1000.0), "outside France"),
        (lambda e: [node.update(lat=node["lon"], lon=node["lat"]) for node in e[:3]], "swapped"),
    ],
    ids=["way-without-nodes", "nested-node-list", "string-node-ref", "tags-text", "empty-lat", "missing-lat", "id-2**70",
         "lat-1000", "lat-lon-swapped"],
)
def test_bad_overpass_values_are_clear_errors(tmp_path, edit, message):
    with pytest.raises(InputDataError, match=message):
        read_streets(_overpass(tmp_path, edit))


def test_null_tags_mean_no_tags(tmp_path):
    def add_untagged(elements):
        elements.append({"type": "way", "id": 101, "nodes": [1, 3], "tags": None})

    segments = read_streets(_overpass(tmp_path, add_untagged))
    assert set(segments["osm_way_id"]) == {100}


def test_error_messages_name_the_place(tmp_path):
    with pytest.raises(InputDataError) as caught:
        read_streets(_overpass(tmp_path, lambda e: e[1].update(lat="north")))
    assert caught.value.where == "elements 2" and re.search(r"node 2: lat='north'", caught.value.codes[0])


def test_overseas_points_are_in_france():
    from canvass.opendata._geo import check_in_france

    # Fort-de-France, Saint-Denis de La Réunion, Nouméa, Papeete: no error.
    check_in_france([-61.07, 55.45, 166.45, -149.57], [14.60, -20.88, -22.27, -17.53], source="test", where="points")
    with pytest.raises(CoordinateError, match="outside France"):
        check_in_france([13.40], [52.52], source="test", where="points")  # Berlin


def test_infinite_number_beside_coordinates_is_no_crash(tmp_path):
    """Fuzz case ban 1370: a lone data row with 1e400 in a numeric column used to crash the coordinate sniffing."""
    from canvass.opendata.addresses import read_ban

    path = tmp_path / "adresses-29.csv"
    path.write_text("id;numero;nom_voie;code_insee;lon;lat\n29039_00000_00001;183795.47;Rue de Kerose;1e400;-3.913795;47.872888\n",
                    encoding="utf-8")
    with pytest.raises(InputDataError):
        read_ban(path)


def test_graphml_node_ids_equal_as_numbers_are_a_clear_error(tmp_path):
    """Fuzz case graphml 7890: nodes "7" and "+7" are one OSM node; reading used to crash on the repeated id."""
    import networkx as nx

    graph = nx.MultiDiGraph(crs="epsg:4326")
    graph.add_node("7", x="2.2801", y="48.8601")
    graph.add_node("+7", x="2.2809", y="48.8605")
    graph.add_edge("7", "+7", osmid="100", highway="residential")
    path = tmp_path / "graph.graphml"
    nx.write_graphml(graph, path)
    with pytest.raises(InputDataError, match="same OSM node id"):
        read_streets(path)
