"""A local HTTP server that replays publishers' answers, cut at test time from the real files of ../shared/data/real.

Nothing here is committed data: every response is built in tmp_path from the shared files
(read in place), in the publisher's own format: geo.api features, city bureau layers,
data.gouv aggregated parquets, Ministry raw CSVs, an IGN WFS, INSEE zips, an Overpass answer
(the département PBF extract of the fallback is built by its own test).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import urllib.parse
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Request, Response

from canvass.errors import DataQualityWarning
from canvass.opendata.results import read_results
from tests.helpers import real

ROW_GROUP = 5000


class Replay:
    """Bytes served at paths, with ETag and Range support; ``faults`` injects failures per path."""

    def __init__(self, server: HTTPServer):
        self.server = server
        self.files: dict[str, bytes] = {}
        self.faults: dict[str, str] = {}
        self.hits: dict[str, int] = {}
        server.expect_request(re.compile(".*")).respond_with_handler(self.handle)

    def url(self, path: str) -> str:
        return self.server.url_for(path)

    def handle(self, request: Request) -> Response:
        path = request.path
        self.hits[path] = self.hits.get(path, 0) + 1
        fault = self.faults.get(path)
        if fault == "timeout":
            import time

            time.sleep(1.5)
        if fault == "503":
            return Response("server busy", status=503)
        if path == "/wfs":
            return Response(self.wfs(request.args), mimetype="application/json")
        if path == "/overpass":
            query = urllib.parse.unquote_plus(request.get_data(as_text=True).removeprefix("data="))
            code = re.search(r'"ref:INSEE"="(\w+)"', query).group(1)
            return Response(self.files.get(f"/overpass/{code}", b'{"elements": []}'), mimetype="application/json")
        if path == "/geo/search":
            return Response(self.search(request.args["nom"]), mimetype="application/json")
        if path not in self.files:
            return Response("not found", status=404)
        data = self.files[path]
        if fault == "truncate" and self.hits[path] == 1 and "Range" not in request.headers:
            # Announce the whole length, send half, close: the client must resume with Range.
            return Response(iter([data[: len(data) // 2]]), headers={"Content-Length": str(len(data)), "Connection": "close"})
        response = Response(data, mimetype="application/octet-stream")
        response.set_etag(hashlib.md5(data).hexdigest())
        return response.make_conditional(request, accept_ranges=True, complete_length=len(data))

    def wfs(self, args) -> bytes:
        codes = re.findall(r"'(\w+)'", args["CQL_FILTER"])
        features = [item for item in self.iris["features"] if item["properties"]["code_insee"] in codes]
        start, count = int(args["STARTINDEX"]), int(args["COUNT"])
        return json.dumps({"type": "FeatureCollection", "features": features[start : start + count]}).encode()

    def search(self, name: str) -> bytes:
        return json.dumps([item for item in self.communes if item["nom"].lower().startswith(name.lower())]).encode()


def _datagouv(tidy: pd.DataFrame) -> tuple[bytes, bytes]:
    """The data.gouv ``general_results`` / ``candidats_results`` parquets of a tidy results table."""
    tidy = tidy.sort_values(["commune", "bureau_id", "election", "round"], kind="stable")
    ids = tidy["election"] + "_t" + tidy["round"].astype(str)
    bureau = tidy["bureau_id"].str.slice(6)
    counts = {"inscrits": "n_registered", "abstentions": "n_abstentions", "votants": "n_voters", "blancs": "n_blank",
              "nuls": "n_null", "exprimes": "n_expressed"}
    frame = pd.DataFrame({"id_election": ids, "id_brut_miom": tidy["bureau_id"], "code_departement": tidy["commune"].str.slice(0, 2),
                          "code_commune": tidy["commune"], "code_bv": bureau} | {key: tidy[value] for key, value in counts.items()})
    general = frame.drop_duplicates(["id_election", "id_brut_miom"])
    candidats = pd.DataFrame({"id_election": ids, "id_brut_miom": tidy["bureau_id"], "code_commune": tidy["commune"], "code_bv": bureau,
                              "no_panneau": tidy.groupby(["election", "round", "bureau_id"]).cumcount() + 1,
                              "nom": tidy["candidate"], "nuance": tidy["nuance"], "voix": tidy["n_votes"]})
    out = []
    for table in (general, candidats):
        buffer = io.BytesIO()
        pq.write_table(pa.Table.from_pandas(table.reset_index(drop=True), preserve_index=False), buffer, row_group_size=ROW_GROUP)
        out.append(buffer.getvalue())
    return out[0], out[1]


def _feature_collection(frame: gpd.GeoDataFrame) -> bytes:
    return frame.to_crs(4326).to_json(drop_id=True).encode()


def _contour(name: str, code: str, dep: str, polygons: gpd.GeoSeries) -> bytes:
    geometry = shapely.union_all(polygons.to_crs(4326).values)
    return json.dumps({"type": "Feature", "properties": {"nom": name, "code": code, "codeDepartement": dep},
                       "geometry": json.loads(shapely.to_geojson(geometry))}).encode()


@pytest.fixture(scope="session")
def publishers(tmp_path_factory) -> dict[str, bytes]:
    """Every replayed response body, keyed by server path (built once per session)."""
    files: dict[str, bytes] = {}
    paris = gpd.read_file(real("scale/paris/bureaux_secteurs_2017_paris.geojson"))
    brest = gpd.read_file(real("brest/LIM_ADM_BureauxVote_s_brest_metropole.geojson"))
    files["/paris/bureaux.geojson"] = real("scale/paris/bureaux_secteurs_2017_paris.geojson").read_bytes()
    files["/brest/bureaux.geojson"] = real("brest/LIM_ADM_BureauxVote_s_brest_metropole.geojson").read_bytes()
    files["/geo/communes/75116"] = _contour("Paris 16e Arrondissement", "75116", "75", paris[paris["arrondissement"] == 16].geometry)
    files["/geo/communes/29019"] = _contour("Brest", "29019", "29", brest[brest["DEPCO"] == "29019"].geometry)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)  # 81 Caen-style bureau codes of the France file
        france = read_results(real("scale/france/2017-presidentielle-2_par_bureau_large.csv.gz"))
    tidy = pd.concat([
        france,
        read_results(real("brest/2017-presidentielle-2_par_bureau_large_brest_gouesnou_plougastel.csv")),
        read_results(real("paris-16e/ddct_berp_municipales_2020_tour1_ardt_16_20200315.csv")),
        *(read_results(real(f"brest/legislatives2022_t{round_}_ville-de-brest_circ29-0{circ}.csv")) for round_ in (1, 2) for circ in (2, 3)),
    ]).drop_duplicates(["election", "round", "bureau_id", "candidate"])
    files["/dg/general_results.parquet"], files["/dg/candidats_results.parquet"] = _datagouv(tidy)
    for round_ in (1, 2):
        files[f"/mi/2024_legi_t{round_}.csv"] = real(
            f"brest/legislatives2024_t{round_}_resultats-definitifs-par-bureau-de-vote_circ29-02-03.csv").read_bytes()
    files["/overpass/75116"] = gzip.decompress(real("paris-16e/osm_overpass_raw_ways_paris16e_east_2022-12-22.json.gz").read_bytes())
    census = pd.read_csv(real("scale/paris/iris_rp2011_cs8_pop15p_paris.csv"), dtype={"IRIS": str})
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("meta_base-ic-test.csv", "COD_VAR;LIB_VAR\nIRIS;Code IRIS\n")
        zipped.writestr("base-ic-test.csv", census.assign(COM=census["IRIS"].str.slice(0, 5)).to_csv(sep=";", index=False))
    files["/insee/base-ic.zip"] = archive.getvalue()
    grid = pd.read_csv(real("brest/filosofi2021_carreaux200m_menages_brest_gouesnou.csv"), dtype=str)
    x, y = grid["x_3035"].astype(float), grid["y_3035"].astype(float)
    cells = gpd.GeoSeries(shapely.box(x, y, x + 200, y + 200), crs=3035).to_crs(brest.crs)
    lcog = pd.Series("", index=grid.index)
    for code, group in brest.groupby("DEPCO"):
        touches = shapely.intersects(cells.values, shapely.union_all(group.geometry.values))
        lcog = lcog.where(~touches, lcog + code)
    insee_grid = grid.drop(columns=["commune_centroid", "bvote_centroid", "x_3035", "y_3035"]).rename(columns={"imputed": "i_est_200"})
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("carreaux_200m_met.csv", insee_grid.assign(lcog_geo=lcog).to_csv(index=False))
    files["/insee/filosofi.zip"] = archive.getvalue()
    return files


@pytest.fixture(scope="session")
def iris_wfs() -> dict:
    """The IRIS contours in the IGN WFS property names (code_insee, code_iris, nom_iris, iris, type_iris)."""
    raw = gpd.read_file(real("scale/paris/iris_contours_2013_paris.geojson"))
    wfs = gpd.GeoDataFrame({"code_insee": raw["DEPCOM"], "code_iris": raw["DCOMIRIS"], "nom_iris": raw["NOM_IRIS"],
                            "iris": raw["IRIS"], "type_iris": raw["TYP_IRIS"]}, geometry=raw.geometry, crs=raw.crs)
    return json.loads(_feature_collection(wfs))


COMMUNES = [
    {"nom": "Brest", "code": "29019", "codeDepartement": "29", "population": 139926},
    {"nom": "Paris 16e Arrondissement", "code": "75116", "codeDepartement": "75", "population": 162820},
    {"nom": "Saint-Denis", "code": "93066", "codeDepartement": "93", "population": 113116},
    {"nom": "Saint-Denis", "code": "97411", "codeDepartement": "974", "population": 153810},
]


@pytest.fixture
def replay(publishers, iris_wfs):
    server = HTTPServer(threaded=True)
    server.start()
    replay = Replay(server)
    replay.files.update(publishers)
    replay.iris = iris_wfs
    replay.communes = COMMUNES
    yield replay
    server.clear()
    if server.is_running():
        server.stop()


def write_catalogue(path: Path, replay: Replay, **settings) -> Path:
    """The packaged catalogue with every URL pointing at the replay server."""
    from canvass.fetch.catalogue import load_catalogue

    catalogue = load_catalogue()
    u = replay.url
    catalogue["settings"] |= {"timeout_s": 0.5, "retries": 1, "backoff_s": 0.01, **settings}
    catalogue["commune"] |= {"url": u("/geo/communes/{code}"), "arrondissement_url": u("/geo/communes/{code}"),
                             "search_url": u("/geo/search") + "?nom={name}"}
    catalogue["bureaux_city"][0]["url"] = u("/paris/bureaux.geojson")
    catalogue["bureaux_city"][1]["url"] = u("/brest/bureaux.geojson")
    catalogue["bureaux_national"]["url"] = u("/etalab/contours.geojson")
    catalogue["reu_table"]["url"] = u("/reu/table-bv.parquet")
    catalogue["results"] |= {"general_url": u("/dg/general_results.parquet"), "candidats_url": u("/dg/candidats_results.parquet")}
    for entry in catalogue["results_raw"]:
        entry["url"] = u(f"/mi/{entry['election']}.csv")
    catalogue["nuances"]["url"] = u("/dg/nuances.csv")
    catalogue["iris"] |= {"url": u("/wfs") + "?COUNT={count}&STARTINDEX={start}&CQL_FILTER={cql}", "page": 30}
    catalogue["census"] = [catalogue["census"][0] | {"url": u("/insee/base-ic.zip")}]
    catalogue["grid"]["url"] = u("/insee/filosofi.zip")
    catalogue["ban"] |= {"url": u("/ban/{code}.csv"), "fallback_url": u("/ban/adresses-{dep}.csv.gz")}
    catalogue["streets"]["endpoints"] = [u("/overpass")]
    catalogue["streets_extract"]["urls"] = [u("/osmfr/{region}/{departement}-latest.osm.pbf"), u("/geofabrik/{geofabrik}-latest.osm.pbf")]
    path.write_text(_toml(catalogue), encoding="utf-8")
    return path


def _toml(value: dict) -> str:
    """A minimal TOML writer for the catalogue's shapes (tables, arrays of tables, inline filter tables)."""
    def scalar(item) -> str:
        if isinstance(item, bool):
            return "true" if item else "false"
        if isinstance(item, (int, float)):
            return repr(item)
        if isinstance(item, list):
            return "[" + ", ".join(scalar(element) for element in item) + "]"
        if isinstance(item, dict):
            return "{" + ", ".join(f"{json.dumps(key)} = {scalar(element)}" for key, element in item.items()) + "}"
        return json.dumps(item, ensure_ascii=False)

    lines = []
    for name, table in value.items():
        for entry in table if isinstance(table, list) else [table]:
            lines.append(f"[[{name}]]" if isinstance(table, list) else f"[{name}]")
            lines += [f"{key} = {scalar(item)}" for key, item in entry.items()]
    return "\n".join(lines) + "\n"
