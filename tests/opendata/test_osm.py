"""Tests of canvass.opendata.osm.read_streets on real OSM files, hand-made grids and bad inputs."""

from __future__ import annotations

import gzip
import json
from collections import Counter

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from canvass.demo.osm_format import write_osm_pbf, write_osm_xml
from canvass.errors import InputDataError
from canvass.opendata.osm import TAG_KEYS, read_streets, walkable
from canvass.opendata.schemas import SEGMENT_COLUMNS
from tests.helpers import DATA, real

OVERPASS_16E = "paris-16e/osm_overpass_raw_ways_paris16e_east_2022-12-22.json.gz"
OVERPASS_SGL = "scale/saint-germain-en-laye/osm_overpass_raw_ways_saint-germain-en-laye_2022-12-18.json.gz"
GRAPHML_TROCADERO = "paris-16e/osm_osmnx_graph_trocadero_passy_2022-12-22.graphml"
BUREAUX_16E = "paris-16e/bureaux_secteurs_2017_paris16.geojson"

TO_METRIC = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)


# --- independent reading of the raw Overpass files, to check the reader against --------------


class RawOverpass:
    """The nodes and ways of an Overpass JSON file, parsed here without canvass."""

    def __init__(self, path):
        elements = json.loads(gzip.decompress(path.read_bytes()))["elements"]
        self.nodes = {e["id"]: TO_METRIC.transform(e["lon"], e["lat"]) for e in elements if e["type"] == "node"}
        self.ways = {e["id"]: e for e in elements if e["type"] == "way"}

    def nodes_of(self, way_id):
        """Node ids of a way without consecutive repeats."""
        nodes = self.ways[way_id]["nodes"]
        return [node for index, node in enumerate(nodes) if index == 0 or node != nodes[index - 1]]

    def line(self, way_id):
        return shapely.LineString([self.nodes[node] for node in self.nodes_of(way_id)])

    def tags(self):
        ways = pd.Series(self.ways)
        return pd.DataFrame({key: ways.map(lambda way: way.get("tags", {}).get(key)) for key in TAG_KEYS}, dtype="string")


@pytest.fixture(scope="module", params=[OVERPASS_16E, OVERPASS_SGL], ids=["paris16e", "saint-germain"])
def overpass(request):
    path = real(request.param)
    return read_streets(path), RawOverpass(path)


@pytest.fixture(scope="module")
def graphml_segments():
    return read_streets(real(GRAPHML_TROCADERO))


# --- real files ---------------------------------------------------------------------------------


def test_overpass_table_layout(overpass):
    segments, _ = overpass
    assert tuple(segments.columns) == SEGMENT_COLUMNS
    assert segments.crs.to_epsg() == 2154
    assert (segments["segment_id"].to_numpy() == np.arange(len(segments))).all()
    for column in ("segment_id", "osm_way_id", "node_from", "node_to"):
        assert segments[column].dtype == "int64"
    assert set(segments.geom_type) == {"LineString"}
    assert segments["highway"].notna().all()
    assert (segments["length_m"] > 0).all()
    np.testing.assert_allclose(segments["length_m"], segments.length)


def test_overpass_cuts_exactly_at_intersections_and_ends(overpass):
    """Re-derive, from the raw file, where each kept way must be cut, and compare segment by segment.

    A node cuts a way when it is the way's first or last node or when the kept ways use it more
    than once (another way, or the same way passing twice). This fails if the reader cuts at
    every node, misses an intersection, or cuts at a node only a dropped way uses.
    """
    segments, raw = overpass
    kept = segments["osm_way_id"].unique()
    uses = Counter(node for way_id in kept for node in raw.nodes_of(way_id))
    expected = Counter()
    for way_id in kept:
        nodes = raw.nodes_of(way_id)
        cuts = [node for index, node in enumerate(nodes) if index in (0, len(nodes) - 1) or uses[node] > 1]
        expected.update((way_id, start, end) for start, end in zip(cuts[:-1], cuts[1:]))
    found = Counter(zip(segments["osm_way_id"], segments["node_from"], segments["node_to"]))
    assert found == expected


def test_overpass_degree_two_nodes_join_two_ways(overpass):
    """A segment end where exactly two segments meet is legitimate only between two different ways
    (one way continues as another) or at the closing node of a closed way: two segments of the
    same way meeting anywhere else means the way was cut at a plain shape node."""
    segments, raw = overpass
    ends = pd.DataFrame({
        "node": np.r_[segments["node_from"], segments["node_to"]],
        "way": np.r_[segments["osm_way_id"], segments["osm_way_id"]],
    })
    per_node = ends.groupby("node")["way"].agg(["size", "nunique", "first"])
    same_way = per_node[(per_node["size"] == 2) & (per_node["nunique"] == 1)]
    closing = [raw.nodes_of(way)[0] == raw.nodes_of(way)[-1] == node for node, way in same_way["first"].items()]
    assert all(closing), same_way[~np.array(closing)].head()
    assert (per_node["size"] != 2).sum() > 0.5 * len(per_node)  # real intersections dominate


def test_overpass_segment_ends_are_their_nodes(overpass):
    segments, raw = overpass
    start = shapely.get_coordinates(shapely.get_point(segments.geometry.array, 0))
    end = shapely.get_coordinates(shapely.get_point(segments.geometry.array, -1))
    np.testing.assert_allclose(start, [raw.nodes[node] for node in segments["node_from"]], atol=1e-3)
    np.testing.assert_allclose(end, [raw.nodes[node] for node in segments["node_to"]], atol=1e-3)


def test_overpass_segments_add_up_to_their_ways(overpass):
    segments, raw = overpass
    way_length = {way_id: raw.line(way_id).length for way_id in segments["osm_way_id"].unique()}
    per_way = segments.groupby("osm_way_id")["length_m"].sum()
    np.testing.assert_allclose(per_way.to_numpy(), per_way.index.map(way_length).to_numpy(), rtol=1e-9)
    assert segments["length_m"].sum() == pytest.approx(sum(way_length.values()), rel=1e-9)


def test_overpass_16e_length_inside_the_arrondissement():
    """SOURCES.md gives 134.8 km of OSM ways inside the 16e bureaux. The walk filter drops about
    21 km of them (private service lanes and parking aisles 6.5 km, cycleways 4.4, access-denied
    villas and foot=no tunnels on primary/residential 5.3, trunk roads 2.6, ...): what it keeps
    plus what it rejects must give back the 134.8 km."""
    path = real(OVERPASS_16E)
    arrondissement = gpd.read_file(real(BUREAUX_16E)).to_crs(2154).union_all()
    segments = read_streets(path)
    raw = RawOverpass(path)
    kept_km = segments.intersection(arrondissement).length.sum() / 1000
    rejected = raw.tags().index[~walkable(raw.tags())]
    rejected_km = sum(raw.line(way_id).intersection(arrondissement).length for way_id in rejected) / 1000
    assert kept_km + rejected_km == pytest.approx(134.8, abs=0.1)
    assert 105 < kept_km < 125


def test_clip_keeps_the_segments_that_touch_the_polygon():
    path = real(OVERPASS_16E)
    arrondissement = gpd.read_file(real(BUREAUX_16E)).to_crs(2154).union_all()
    everything = read_streets(path)
    inside = read_streets(path, clip=arrondissement)
    assert (inside["segment_id"].to_numpy() == np.arange(len(inside))).all()
    assert inside.intersects(arrondissement).all()
    assert len(inside) == everything.intersects(arrondissement).sum() < len(everything)


def test_graphml_layout_and_reverse_edges_dropped(graphml_segments):
    """The Trocadéro graph has 3,495 directed edges; two-way streets appear twice (u→v and v→u)."""
    segments = graphml_segments
    assert tuple(segments.columns) == SEGMENT_COLUMNS
    assert segments.crs.to_epsg() == 2154
    assert segments["osm_way_id"].dtype == "int64"
    assert not segments["highway"].str.startswith("[").any()
    undirected = pd.DataFrame({
        "low": np.minimum(segments["node_from"], segments["node_to"]),
        "high": np.maximum(segments["node_from"], segments["node_to"]),
        "shape": shapely.to_wkb(shapely.normalize(segments.geometry.array)),
    })
    assert not undirected.duplicated().any()
    assert 0.5 * 3495 < len(segments) < 0.64 * 3495


def test_graphml_geometry_matches_the_graph(graphml_segments):
    """Segment ends sit on their nodes' x/y and lengths agree with OSMnx's great-circle ``length``."""
    graph = nx.read_graphml(real(GRAPHML_TROCADERO), force_multigraph=True)
    nodes = {int(node): TO_METRIC.transform(float(data["x"]), float(data["y"])) for node, data in graph.nodes(data=True)}
    segments = graphml_segments
    start = shapely.get_coordinates(shapely.get_point(segments.geometry.array, 0))
    np.testing.assert_allclose(start, [nodes[node] for node in segments["node_from"]], atol=1e-3)
    end = shapely.get_coordinates(shapely.get_point(segments.geometry.array, -1))
    np.testing.assert_allclose(end, [nodes[node] for node in segments["node_to"]], atol=1e-3)
    osmnx_lengths = {}  # parallel edges share (u, v, way): keep all their lengths
    for u, v, data in graph.edges(data=True):
        osmnx_lengths.setdefault((int(u), int(v), int(data["osmid"].strip("[").split(",")[0])), []).append(float(data["length"]))
    keys = zip(segments["node_from"], segments["node_to"], segments["osm_way_id"], segments["length_m"])
    expected = np.array([min(osmnx_lengths[key[:3]], key=lambda length: abs(length - key[3])) for key in keys])
    np.testing.assert_allclose(segments["length_m"], expected, rtol=5e-3, atol=0.05)


# --- hand-made grid, through the demo writers -----------------------------------------------


def _grid():
    """A 3×3 street grid with traps, whose walkable segments are counted by hand.

    Nodes 1-9 form the grid (1 2 3 / 4 5 6 / 7 8 9, north to south); 10 is a bend between 1 and 2,
    11 a dead end south of 8, 12 a car-park node east of 5, 13-15 a footway loop, 16 a private lane end.

    Kept ways and their cuts (a cut is a way end or a node used twice by kept ways):

    - W1 residential 1-10-2-3: cuts 1, 2, 3 → 2 segments (10 is a bend only);
    - W2 residential 4-5-6: cuts 4, 5, 6 → 2;
    - W3 footway 7-8-8-9 (8 repeated by mistake): cuts 7, 8, 9 → 2;
    - W4 residential 1-4-7: → 2;
    - W5 tertiary 2-5-8-11 (ref only): cuts 2, 5, 8, 11 → 3;
    - W9 footway loop 13-14-15-13: one closed segment 13→13 → 1;
    - W11 residential 6-16, access=private but foot=yes → 1.

    Dropped: W6 motorway 3-6-9, W7 service=parking_aisle 5-12, W8 a building 4-5-8-7-4,
    W10 residential access=private 9-16. Total: 2+2+2+2+3+1+1 = 13 segments.
    """
    nodes = pd.DataFrame({
        "id": range(1, 17),
        "lon": [2.280, 2.281, 2.282, 2.280, 2.281, 2.282, 2.280, 2.281, 2.282,
                2.2805, 2.281, 2.2815, 2.285, 2.286, 2.2855, 2.283],
        "lat": [48.862, 48.862, 48.862, 48.861, 48.861, 48.861, 48.860, 48.860, 48.860,
                48.8622, 48.859, 48.861, 48.862, 48.862, 48.863, 48.861],
    })
    ways = pd.DataFrame.from_records([
        (1, [1, 10, 2, 3], {"highway": "residential", "name": "Rue de l'Alboni"}),
        (2, [4, 5, 6], {"highway": "residential", "name": "Rue Benjamin Franklin"}),
        (3, [7, 8, 8, 9], {"highway": "footway"}),
        (4, [1, 4, 7], {"highway": "residential", "name": "Avenue de Camoëns", "ref": "X 1"}),
        (5, [2, 5, 8, 11], {"highway": "tertiary", "ref": "D 12"}),
        (6, [3, 6, 9], {"highway": "motorway", "name": "Boulevard périphérique"}),
        (7, [5, 12], {"highway": "service", "service": "parking_aisle"}),
        (8, [4, 5, 8, 7, 4], {"building": "yes"}),
        (9, [13, 14, 15, 13], {"highway": "footway", "name": "Jardin & <allée>"}),
        (10, [9, 16], {"highway": "residential", "access": "private"}),
        (11, [6, 16], {"highway": "residential", "access": "private", "foot": "yes", "name": "Villa Passy"}),
    ], columns=["id", "node_ids", "tags"])
    return nodes, ways


GRID_SEGMENTS = Counter([
    (1, 1, 2), (1, 2, 3), (2, 4, 5), (2, 5, 6), (3, 7, 8), (3, 8, 9), (4, 1, 4), (4, 4, 7),
    (5, 2, 5), (5, 5, 8), (5, 8, 11), (9, 13, 13), (11, 6, 16),
])


@pytest.mark.parametrize("writer, name", [(write_osm_xml, "grid.osm"), (write_osm_pbf, "grid.osm.pbf")])
def test_grid_round_trip(tmp_path, writer, name):
    nodes, ways = _grid()
    segments = read_streets(writer(nodes, ways, tmp_path / name))
    assert len(segments) == 13
    assert Counter(zip(segments["osm_way_id"], segments["node_from"], segments["node_to"])) == GRID_SEGMENTS
    names = segments.groupby("osm_way_id")["street_name"].first()
    assert names[1] == "Rue de l'Alboni" and names[4] == "Avenue de Camoëns" and names[5] == "D 12"
    assert names[9] == "Jardin & <allée>" and pd.isna(names[3])
    # The bend node 10 stays inside the first segment of W1.
    assert shapely.get_num_coordinates(segments.geometry[(segments["node_from"] == 1) & (segments["node_to"] == 2)]).item() == 3
    lines = gpd.GeoSeries(
        [shapely.LineString(nodes.set_index("id").loc[list(dict.fromkeys(ids)) if ids[0] != ids[-1] else ids, ["lon", "lat"]].to_numpy())
         for ids in ways.set_index("id").loc[[1, 2, 3, 4, 5, 9, 11], "node_ids"]],
        crs=4326,
    ).to_crs(2154)
    assert segments["length_m"].sum() == pytest.approx(lines.length.sum(), rel=1e-6)


def test_grid_compressed_xml_with_odd_name_is_detected_by_content(tmp_path):
    nodes, ways = _grid()
    xml = write_osm_xml(nodes, ways, tmp_path / "grid.osm")
    odd = tmp_path / "export.dat"
    odd.write_bytes(gzip.compress(xml.read_bytes()))
    assert len(read_streets(odd)) == 13
    assert len(read_streets(odd, format="osm_xml")) == 13


# --- bad inputs -----------------------------------------------------------------------------


def test_empty_file():
    with pytest.raises(InputDataError, match="the file is empty"):
        read_streets(DATA / "osm_empty.osm")


def test_missing_file(tmp_path):
    with pytest.raises(InputDataError, match="file not found"):
        read_streets(tmp_path / "nowhere.osm.pbf")


def test_truncated_xml():
    with pytest.raises(InputDataError, match=r"cannot read this OSM XML file \(XML parsing error"):
        read_streets(DATA / "osm_truncated.osm")


def test_json_that_is_not_overpass():
    with pytest.raises(InputDataError, match="not an Overpass API answer") as error:
        read_streets(DATA / "overpass_not_overpass.json")
    assert "features" in error.value.codes


def test_no_walkable_way():
    with pytest.raises(InputDataError, match="no walkable street: 3 ways read, 2 of them with a highway tag") as error:
        read_streets(DATA / "osm_no_walkable_ways.osm")
    assert set(error.value.codes) == {"motorway (1)", "construction (1)"}


@pytest.mark.parametrize("name, counts", [
    ("osm_missing_nodes.osm", "1 walkable ways refer to 2 nodes"),
    ("overpass_missing_nodes.json", "1 walkable ways refer to 1 nodes"),
])
def test_missing_node_references(name, counts):
    with pytest.raises(InputDataError, match=f"{counts} that are missing from the file(.|\n)*--strategy complete_ways"):
        read_streets(DATA / name)


def test_unknown_content():
    with pytest.raises(InputDataError, match="not a known OSM file(.|\n)*osm_xml, pbf, overpass_json, graphml"):
        read_streets(DATA / "osm_unknown_format.csv")


def test_unknown_format_name():
    with pytest.raises(InputDataError, match="unknown OSM format 'shapefile'(.|\n)*osm_xml, pbf, overpass_json, graphml"):
        read_streets(DATA / "osm_missing_nodes.osm", format="shapefile")


def test_format_that_does_not_match_the_content():
    with pytest.raises(InputDataError, match="does not look like pbf .its content looks like osm xml"):
        read_streets(DATA / "osm_missing_nodes.osm", format="pbf")
