"""The OSM fallback of canvass fetch: Overpass down (503), the département PBF extract is downloaded and clipped to the commune."""

from __future__ import annotations

import gzip
import json

import osmium
import pandas as pd
import pytest
import shapely

from canvass.demo.osm_format import write_osm_pbf
from canvass.errors import InputDataError
from canvass.fetch import fetch_commune
from canvass.fetch.catalogue import Place, load_catalogue
from canvass.fetch.osm_extract import clip_extract
from canvass.fetch.sources import extract_urls
from canvass.territory.build import build_territory
from tests.fetch.conftest import write_catalogue
from tests.helpers import real

EXTRACT_PATH = "/osmfr/ile_de_france/paris-latest.osm.pbf"
SHIFT = 0.12  # degrees of longitude west: Paris 16e moved beyond Saint-Cloud, outside the contour


def _department_pbf(path) -> tuple[bytes, set[int]]:
    """The shared Overpass answer as a PBF, plus copies of some ways moved outside the commune and one non-street way inside."""
    elements = json.loads(gzip.decompress(real("paris-16e/osm_overpass_raw_ways_paris16e_east_2022-12-22.json.gz").read_bytes()))["elements"]
    nodes = pd.DataFrame([item for item in elements if item["type"] == "node"])[["id", "lon", "lat"]]
    ways = pd.DataFrame([item for item in elements if item["type"] == "way"])[["id", "nodes", "tags"]].rename(columns={"nodes": "node_ids"})
    offset = int(max(nodes["id"].max(), ways["id"].max())) + 1
    moved = ways.iloc[::100].reset_index(drop=True)
    moved_nodes = nodes[nodes["id"].isin({node for refs in moved["node_ids"] for node in refs})]
    outside_nodes = moved_nodes.assign(id=moved_nodes["id"] + offset, lon=moved_nodes["lon"] - SHIFT)
    outside = moved.assign(id=moved["id"] + offset, node_ids=[[node + offset for node in refs] for refs in moved["node_ids"]])
    building = pd.DataFrame({"id": [2 * offset], "node_ids": [ways["node_ids"].iloc[0][:2]], "tags": [{"building": "yes"}]})
    write_osm_pbf(pd.concat([nodes, outside_nodes]), pd.concat([ways, outside, building]), path)
    return path.read_bytes(), set(outside["id"]) | set(building["id"])


def _way_ids(path) -> set[int]:
    return {way.id for way in osmium.FileProcessor(str(path), osmium.osm.WAY)}


def test_extract_urls_follow_the_departement_table():
    source = load_catalogue()["streets_extract"]
    paris, reunion = extract_urls(source, Place("75116", "Paris 16e", "75")), extract_urls(source, Place("97411", "Saint-Denis", "974"))
    assert paris[0].endswith("/ile_de_france/paris-latest.osm.pbf") and paris[1].endswith("/ile-de-france-latest.osm.pbf")
    assert reunion == ["https://download.geofabrik.de/europe/france/reunion-latest.osm.pbf"]
    assert extract_urls(source, Place("99999", "Nowhere", "99")) == []


def test_overpass_down_uses_the_departement_extract(tmp_path, replay):
    catalogue = write_catalogue(tmp_path / "catalogue.toml", replay)
    replay.files[EXTRACT_PATH], dropped = _department_pbf(tmp_path / "dep75.osm.pbf")
    only = ["commune", "bureaux", "results", "streets"]
    options = {"catalogue": catalogue, "elections": ["2020_muni"], "only": only}
    overpass = fetch_commune("75116", tmp_path / "overpass", cache_dir=tmp_path / "cache", **options)
    assert next(item for item in overpass.outcomes if item.source == "streets").ok and EXTRACT_PATH not in replay.hits

    replay.faults["/overpass"] = "503"
    report = fetch_commune("75116", tmp_path / "extract", cache_dir=tmp_path / "cache2", **options)
    streets = next(item for item in report.outcomes if item.source == "streets")
    assert streets.ok, streets.error
    assert replay.hits["/overpass"] >= 2 and replay.hits[EXTRACT_PATH] == 1
    assert "Overpass failed" in streets.notes[0] and "503" in streets.notes[0]
    clipped = report.folder / "osm_extract_75116.osm.pbf"
    assert streets.files == [clipped.name] and not (report.folder / "osm_overpass_75116.json").exists()
    kept = _way_ids(clipped)
    assert kept and not kept & dropped  # ways outside the contour and the building are clipped away
    sources = json.loads((report.folder / "SOURCES.json").read_text())
    entry = next(item for item in sources["sources"] if item["source"] == "streets")
    assert entry["licence"] == "ODbL 1.0" and entry["urls"][-1].endswith(EXTRACT_PATH) and sources["odbl"]
    assert "© les contributeurs d'OpenStreetMap" in sources["attribution"]

    by_overpass = build_territory(overpass.folder, ["75116"]).segments
    by_extract = build_territory(report.folder, ["75116"]).segments
    assert len(by_extract) == pytest.approx(len(by_overpass), rel=0.01) and len(by_overpass) > 1000
    assert by_extract["length_m"].sum() == pytest.approx(by_overpass["length_m"].sum(), rel=0.01)

    del replay.faults["/overpass"]  # Overpass back: the next fetch into the same folder drops the extract's file
    again = fetch_commune("75116", report.folder, cache_dir=tmp_path / "cache2", **options)
    assert next(item for item in again.outcomes if item.source == "streets").ok
    assert (report.folder / "osm_overpass_75116.json").exists() and not clipped.exists()


def test_clip_keeps_streets_inside_or_crossing_with_all_their_nodes(tmp_path):
    square = shapely.box(2.0, 48.0, 2.01, 48.01)
    nodes = pd.DataFrame({"id": range(1, 9), "lon": [2.005, 2.02, 1.99, 2.03, 2.05, 2.06, 2.004, 2.006],
                          "lat": [48.005, 48.005, 48.005, 48.005, 48.05, 48.05, 48.004, 48.004]})
    ways = pd.DataFrame({"id": [10, 11, 12, 13], "node_ids": [[1, 2], [3, 4], [5, 6], [7, 8]],
                         "tags": [{"highway": "residential"}, {"highway": "footway"}, {"highway": "primary"}, {"building": "yes"}]})
    source = write_osm_pbf(nodes, ways, tmp_path / "dep.osm.pbf")
    target = tmp_path / "commune.osm.pbf"
    # 10 has a node inside, 11 crosses the square with both nodes outside, 12 is far away, 13 is not a street.
    assert clip_extract(source, target, square) == (2, 4)
    assert _way_ids(target) == {10, 11}
    assert {node.id for node in osmium.FileProcessor(str(target), osmium.osm.NODE)} == {1, 2, 3, 4}
    (tmp_path / "cut.osm.pbf").write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    with pytest.raises(InputDataError, match="pyosmium cannot read"):
        clip_extract(tmp_path / "cut.osm.pbf", tmp_path / "out.osm.pbf", square)


def test_overpass_and_extract_both_down_say_where_to_get_the_streets(tmp_path, replay):
    catalogue = write_catalogue(tmp_path / "catalogue.toml", replay)
    replay.faults["/overpass"] = "503"
    report = fetch_commune("75116", tmp_path / "out", catalogue=catalogue, cache_dir=tmp_path / "cache", only=["commune", "streets"])
    streets = next(item for item in report.outcomes if item.source == "streets")
    assert not streets.ok and "503" in streets.error and "département extract" in streets.error and "404" in streets.error
    assert EXTRACT_PATH in streets.drop_hint and "commune_75116.geojson" in streets.drop_hint
    assert replay.hits[EXTRACT_PATH] == 1 and replay.hits["/geofabrik/ile-de-france-latest.osm.pbf"] == 1
