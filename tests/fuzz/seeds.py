"""Small cuts of the real open data, made at run time in a scratch folder (never committed).

Each cut keeps the publisher's layout (header, separator, encoding, JSON
structure) with a handful of rows, so that one reader call takes milliseconds
and a mutation lands on a meaningful cell. Formats the real folder lacks
(OSM XML, BAN, candidate lists) are written from the real rows of another file.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
from pyproj import Transformer

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"
"""The real open data beside the repository, read in place."""
HANDMADE = Path(__file__).resolve().parents[1] / "data"
"""Small hand-made inputs of the test suite (layouts the real folder lacks: Ministry 2022, data.gouv)."""

_GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"


def _lines(path: Path, keep, limit: int = 8) -> str:
    """Header plus the first ``limit`` data lines whose index passes ``keep`` (text files, gz read transparently)."""
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    lines = raw.decode("utf-8").splitlines()
    kept = [line for index, line in enumerate(lines[1:]) if keep(index, line)][:limit]
    return "\n".join([lines[0], *kept]) + "\n"


def _features(path: Path, keep, *, crs: bool = True) -> str:
    """A GeoJSON with the features that pass ``keep`` (index, properties); the ``crs`` member kept or not."""
    data = json.loads(path.read_text(encoding="utf-8"))
    data["features"] = [feature for index, feature in enumerate(data["features"]) if keep(index, feature["properties"])]
    if not crs:
        data.pop("crs", None)
    return json.dumps(data)


def _overpass_cut(path: Path, n_ways: int, skip: int = 0) -> dict:
    """An Overpass answer with ``n_ways`` walkable ways (after ``skip``) and exactly their nodes."""
    data = json.loads(gzip.decompress(path.read_bytes()))
    ways = [e for e in data["elements"] if e["type"] == "way" and e.get("tags", {}).get("highway") in {"residential", "footway", "secondary", "tertiary"}]
    ways = ways[skip:skip + n_ways]
    wanted = {ref for way in ways for ref in way["nodes"]}
    nodes = [e for e in data["elements"] if e["type"] == "node" and e["id"] in wanted]
    return {"version": data.get("version", 0.6), "generator": data.get("generator", "Overpass API"), "elements": nodes + ways}


def _osm_xml(answer: dict) -> str:
    """The same OSM data as OSM XML 0.6 (the real folder holds no .osm file)."""
    root = ET.Element("osm", version="0.6", generator="canvass fuzz seed")
    for element in answer["elements"]:
        if element["type"] == "node":
            ET.SubElement(root, "node", id=str(element["id"]), version="1", lat=str(element["lat"]), lon=str(element["lon"]))
    for element in answer["elements"]:
        if element["type"] == "way":
            way = ET.SubElement(root, "way", id=str(element["id"]), version="1")
            for ref in element["nodes"]:
                ET.SubElement(way, "nd", ref=str(ref))
            for key, value in element.get("tags", {}).items():
                ET.SubElement(way, "tag", k=key, v=str(value))
    return "<?xml version='1.0' encoding='UTF-8'?>\n" + ET.tostring(root, encoding="unicode")


def _graphml_cut(path: Path, n_nodes: int) -> str:
    """The OSMnx GraphML graph restricted to its first ``n_nodes`` nodes and the edges between them."""
    ET.register_namespace("", _GRAPHML_NS)
    tree = ET.parse(path)
    graph = tree.getroot().find(f"{{{_GRAPHML_NS}}}graph")
    nodes = graph.findall(f"{{{_GRAPHML_NS}}}node")
    kept = {node.get("id") for node in nodes[:n_nodes]}
    for node in nodes[n_nodes:]:
        graph.remove(node)
    for edge in graph.findall(f"{{{_GRAPHML_NS}}}edge"):
        if edge.get("source") not in kept or edge.get("target") not in kept:
            graph.remove(edge)
    return "<?xml version='1.0' encoding='utf-8'?>\n" + ET.tostring(tree.getroot(), encoding="unicode")


def _ban(reu: Path) -> str:
    """A BAN ``adresses-<dep>.csv`` cut built from real REU points (the real folder holds no BAN file)."""
    frame = pd.read_csv(reu, dtype=str).iloc[::900].head(8).reset_index(drop=True)
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True).transform(frame["longitude"].astype(float), frame["latitude"].astype(float))
    table = pd.DataFrame({
        "id": frame["code_commune_ref"] + "_" + pd.Series(range(len(frame))).astype(str).str.zfill(5) + "_00001",
        "id_fantoir": "",
        "numero": [str(3 + 2 * index) for index in range(len(frame))],
        "rep": ["", "bis", "", "", "ter", "", "", ""][: len(frame)],
        "nom_voie": ["Rue de Kerose", "Avenue de la Gare", "Rue Jean Jaurès", "Quai Carnot", "Rue des Écoles", "Place Gambetta",
                     "Rue de Brest", "Impasse des Mouettes"][: len(frame)],
        "code_postal": "29900",
        "code_insee": frame["code_commune_ref"],
        "nom_commune": "Concarneau",
        "x": [f"{value:.2f}" for value in x],
        "y": [f"{value:.2f}" for value in y],
        "lon": frame["longitude"],
        "lat": frame["latitude"],
        "type_position": "entrée",
    })
    return table.to_csv(sep=";", index=False)


def _candidates(results: Path) -> str:
    """A 2024 Ministry candidate list (``;``, UTF-8) built from the candidate blocks of the real 2024 results."""
    frame = pd.read_csv(results, sep=";", dtype=str, nrows=1)
    rows = []
    for number in range(1, 20):
        if f"Nom candidat {number}" not in frame or pd.isna(frame.at[0, f"Nom candidat {number}"]):
            break
        rows.append({
            "Code circonscription": "2902",
            "Libellé circonscription": "Finistère - 2e circonscription",
            "Numéro de panneau": frame.at[0, f"Numéro de panneau {number}"],
            "Sexe": frame.at[0, f"Sexe candidat {number}"],
            "Nom": frame.at[0, f"Nom candidat {number}"],
            "Prénom": frame.at[0, f"Prénom candidat {number}"],
            "Code nuance": frame.at[0, f"Nuance candidat {number}"],
            "Libellé nuance": "",
        })
    return pd.DataFrame(rows).to_csv(sep=";", index=False)


def _toulouse(path: Path, target: Path) -> None:
    pd.read_parquet(path).head(4).to_parquet(target, index=False)


def make_seeds(scratch: Path) -> dict[str, list[Path]]:
    """Write every cut under ``scratch`` and return them by reader name (a folder for ``build_territory``)."""
    scratch = Path(scratch)
    paris, brest, reu_dir = REAL / "paris-16e", REAL / "brest", REAL / "concarneau-douarnenez"
    seeds: dict[str, list[Path]] = {}

    def write(reader: str, name: str, text: str | bytes) -> Path:
        path = scratch / reader / name
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.write_bytes if isinstance(text, bytes) else lambda t: path.write_text(t, encoding="utf-8"))(text)
        seeds.setdefault(reader, []).append(path)
        return path

    east = lambda index, props: props.get("num_bv") in (1, 2, 3, 4)  # noqa: E731 - bureaux of the Overpass cut area
    write("bureaux", "bureaux_secteurs_2017_paris16.geojson", _features(paris / "bureaux_secteurs_2017_paris16.geojson", east))
    write("bureaux", "LIM_ADM_BureauxVote_s.geojson",
          _features(brest / "LIM_ADM_BureauxVote_s_brest_metropole.geojson", lambda i, p: p.get("DEPCO") == "29061"))
    write("bureaux", "Bvote_Propre_Dep_04.geojson",
          _features(REAL / "scale/dep04/Bvote_Propre_Dep_04_reu2022.geojson", lambda i, p: i < 5))

    write("results_mi2024", "legislatives2024_t1_resultats-definitifs-par-bureau-de-vote.csv",
          _lines(brest / "legislatives2024_t1_resultats-definitifs-par-bureau-de-vote_circ29-02-03.csv", lambda i, line: ";29061;" in line))
    write("results_mi2022", "presidentielle-2022-resultats-par-niveau-burvot-t1-france-entiere.txt",
          (HANDMADE / "mi2022_pres/resultats-par-niveau-burvot-t1-france-entiere.txt").read_bytes())
    write("results_wide2017", "2017-presidentielle-2_par_bureau_large_paris16.csv",
          _lines(paris / "2017-presidentielle-2_par_bureau_large_paris16.csv", lambda i, line: i < 4))
    write("results_paris_muni", "ddct_berp_municipales_2020_tour1_ardt_16_20200315.csv",
          _lines(paris / "ddct_berp_municipales_2020_tour1_ardt_16_20200315.csv", lambda i, line: i < 4))
    write("results_brest2022", "legislatives2022_t1_ville-de-brest_circ29-02.csv",
          _lines(brest / "legislatives2022_t1_ville-de-brest_circ29-02.csv", lambda i, line: i < 4))
    toulouse = scratch / "results_toulouse" / "resultats-elections-municipales-2026-1er-tour.parquet"
    toulouse.parent.mkdir(parents=True, exist_ok=True)
    _toulouse(REAL / "scale/toulouse/resultats-elections-municipales-2026-1er-tour.parquet", toulouse)
    seeds["results_toulouse"] = [toulouse]
    for name in ("general_results.csv", "candidats_results.csv"):
        write("results_datagouv", name, (HANDMADE / "datagouv" / name).read_bytes())

    write("iris", "iris_contours_2013_paris16.geojson", _features(paris / "iris_contours_2013_paris16.geojson", lambda i, p: i < 4))
    write("census", "iris_rp2011_cs8_pop15p_paris16.csv", _lines(paris / "iris_rp2011_cs8_pop15p_paris16.csv", lambda i, line: i < 5))
    write("census", "BASE_TD_FILO_DISP_IRIS_2018.csv",
          _lines(REAL / "scale/france/BASE_TD_FILO_DISP_IRIS_2018_france.csv.gz", lambda i, line: line.startswith("75116")))
    write("grid", "filosofi2021_carreaux200m_menages_brest.csv",
          _lines(brest / "filosofi2021_carreaux200m_menages_brest_gouesnou.csv", lambda i, line: i < 6))
    write("grid", "filosofi2021_carreaux200m_menages_douarnenez.csv",
          _lines(reu_dir / "filosofi2021_carreaux200m_menages_douarnenez.csv", lambda i, line: i < 6))

    overpass = _overpass_cut(paris / "osm_overpass_raw_ways_paris16e_east_2022-12-22.json.gz", 12)
    write("overpass_json", "overpass_paris16e.json", json.dumps(overpass))
    write("osm_xml", "paris16e.osm", _osm_xml(overpass))
    write("graphml", "trocadero.graphml", _graphml_cut(paris / "osm_osmnx_graph_trocadero_passy_2022-12-22.graphml", 40))

    write("ban", "adresses-29.csv", _ban(reu_dir / "reu_adresses_geolocalisees_29039_29046_29116.csv"))
    write("reu", "reu_adresses_geolocalisees.csv",
          _lines(reu_dir / "reu_adresses_geolocalisees_29039_29046_29116.csv", lambda i, line: i % 1500 == 0))
    write("candidates", "lg2024_candidatures_t1.csv",
          _candidates(brest / "legislatives2024_t1_resultats-definitifs-par-bureau-de-vote_circ29-02-03.csv"))

    # Whole small folders for build_territory: Paris 16e (4 bureaux, streets, IRIS, census) and Douarnenez-like REU.
    folder = scratch / "territory_paris16"
    folder.mkdir(parents=True, exist_ok=True)
    for reader, index in (("bureaux", 0), ("results_wide2017", 0), ("iris", 0), ("census", 0), ("overpass_json", 0)):
        shutil.copy(seeds[reader][index], folder / seeds[reader][index].name)
    folder_reu = scratch / "territory_reu"
    folder_reu.mkdir(parents=True, exist_ok=True)
    (folder_reu / "reu_adresses_29116.csv").write_text(
        _lines(reu_dir / "reu_adresses_geolocalisees_29039_29046_29116.csv", lambda i, line: line.startswith("29116_"), limit=60))
    (folder_reu / "communes_contours_29116.geojson").write_text(
        _features(reu_dir / "communes_contours_bdtopo_29039_29046_29116.geojson", lambda i, p: p["code_insee"] == "29116"))
    (folder_reu / "2017-presidentielle-2_par_bureau_large_29116.csv").write_text(
        _lines(reu_dir / "2017-presidentielle-2_par_bureau_large_29039_29046_29116.csv", lambda i, line: line.startswith("29,116,")))
    seeds["build_territory"] = [folder, folder_reu]
    return seeds


TERRITORY_COMMUNES = {"territory_paris16": ("75116",), "territory_reu": ("29116",)}
"""The commune each seed folder is built for."""


def csv_dialect(text: str) -> str:
    """The separator of a text table, from its first line."""
    header = text.split("\n", 1)[0]
    return max((";", ",", "\t"), key=header.count)


def read_rows(text: str, separator: str) -> list[list[str]]:
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
    except csv.Error:  # a mutation left a stray quote or line end: treat the text as one cell per line
        return [[line] for line in text.splitlines()]


def write_rows(rows: list[list[str]], separator: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=separator, lineterminator="\n").writerows(rows)
    return out.getvalue()
