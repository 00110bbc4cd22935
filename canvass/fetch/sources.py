"""One function per kind of source: download (through the cache), keep the commune, write the file into the folder.

Each function takes a :class:`Job` and returns a :class:`Fetched` (files written, URLs
used, notes); any failure raises and the caller records it with the URL and where to
drop a hand-downloaded file.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import shapely.geometry

from canvass.errors import InputDataError
from canvass.fetch.cache import Cache, cache_key, copy_to
from canvass.fetch.catalogue import Place
from canvass.fetch.extract import extract_parquet, filter_csv, filter_geojson, largest_table
from canvass.fetch.http import FetchError, RangeFile
from canvass.fetch.osm_extract import clip_extract

KIND_WORDS = {"pres": "presidentielle", "legi": "legislatives", "euro": "europeennes", "muni": "municipales",
              "regi": "regionales", "dept": "departementales"}


@dataclass
class Job:
    """What every source function needs: the place, the folder to fill, the cache and the catalogue."""

    place: Place
    folder: Path
    cache: Cache
    catalogue: dict
    elections: tuple[str, ...]
    feature: dict
    on_bytes: Callable[[str], Callable[[int, int | None], None]] = lambda label: None


@dataclass
class Fetched:
    """What one source produced."""

    files: list[Path] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    info: dict = field(default_factory=dict)


def _get(job: Job, url: str, name: str, fetched: Fetched, *, data: bytes | None = None):
    fetched.urls.append(url)
    cached = job.cache.get(url, name, data=data, on_bytes=job.on_bytes(name))
    if cached.changed:
        fetched.changed.append(f"{url}: {cached.changed}")
    return cached.path


def _wanted(job: Job, values: list[str]) -> set[str]:
    return {job.place.fill(value) for value in values if job.place.fill(value)}


def fetch_commune_contour(job: Job) -> Fetched:
    """The commune contour from geo.api (already fetched to resolve the commune), with a ``code_insee`` column."""
    feature = dict(job.feature)
    feature["properties"] = {**(feature.get("properties") or {}), "code_insee": job.place.code}
    target = job.folder / f"commune_{job.place.code}.geojson"
    target.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}, ensure_ascii=False), encoding="utf-8")
    return Fetched(files=[target], urls=[job.place.fill(job.catalogue["commune"]["url"])], info=job.catalogue["commune"])


def city_layer(catalogue: dict, place: Place) -> dict | None:
    """The city's own bureau layer for this place, when the catalogue has one with a URL."""
    for layer in catalogue.get("bureaux_city", []):
        if place.code in layer.get("communes", []) and layer.get("url"):
            return layer
    return None


def fetch_bureaux(job: Job) -> Fetched:
    """Bureau polygons: the city's own layer where the catalogue has one, else the national REU-based contours."""
    layer = city_layer(job.catalogue, job.place)
    source = layer or job.catalogue["bureaux_national"]
    fetched = Fetched(info=source)
    path = _get(job, job.place.fill(source["url"]), "bureaux.geojson", fetched)
    target = job.folder / f"bureaux_{job.place.code}.geojson"
    wanted = _wanted(job, source["filter"]["equals"])  # empty (a whole PLM city in a city layer): keep every feature
    count = filter_geojson(path, target, source["filter"]["field"], wanted) if wanted else _copy_all(path, target)
    if count == 0:
        target.unlink()
        raise InputDataError(f"no bureau of {job.place.code} in the layer", source=source["url"],
                             where=f"property {source['filter']['field']}", hint="check the catalogue's filter for this layer")
    fetched.files.append(target)
    fetched.notes.append(f"{count} bureaux ({source['title']})")
    return fetched


def _copy_all(path: Path, target: Path) -> int:
    shutil.copyfile(path, target)
    return len(json.loads(target.read_text(encoding="utf-8")).get("features", []))


def _parquet_extract(job: Job, url: str, columns: list[str], wanted: dict[str, set[str]], fetched: Fetched) -> pa.Table:
    """Rows of a remote parquet for this commune, read by Range requests; cached as an extract for --offline."""
    fetched.urls.append(url)
    key = cache_key(url, json.dumps({name: sorted(values) for name, values in wanted.items()}).encode())
    if job.cache.offline:
        path, _ = job.cache.remember(key, url, url, None, None)
        return pq.read_table(path)
    reader = RangeFile(url, job.cache.settings)

    def produce(path: Path) -> None:
        pq.write_table(extract_parquet(reader, columns, wanted, source=url), path)

    path, changed = job.cache.remember(key, url, reader.final_url, reader.etag, produce)
    if changed:
        fetched.changed.append(f"{url}: {changed}")
    fetched.notes.append(f"{reader.bytes_read / 1e6:.1f} MB read of {reader.size / 1e6:.1f} MB")
    return pq.read_table(path)


def election_ids(elections: tuple[str, ...]) -> list[str]:
    """``2022_pres`` → both rounds; ``2022_pres_t1`` → that round."""
    ids = []
    for election in elections:
        ids += [election] if election.rsplit("_", 1)[-1] in ("t1", "t2") else [f"{election}_t1", f"{election}_t2"]
    return ids


def _in_place(job: Job, table: pa.Table) -> pa.Table:
    """For a PLM arrondissement, keep the city's bureaux numbered ``AAxx``."""
    number = job.place.arrondissement
    if number is None or table.num_rows == 0:
        return table
    bureau = table.column("code_bv").to_pylist()
    keep = [str(code).strip().zfill(4)[:-2].lstrip("0") == str(number) for code in bureau]
    return table.filter(pa.array(keep))


def fetch_results(job: Job) -> Fetched:
    """Results per bureau: the data.gouv aggregated parquets, then Ministry raw files for the elections they lack."""
    source = job.catalogue["results"]
    fetched = Fetched(info=source)
    ids = election_ids(job.elections)
    wanted = {"code_commune": {job.place.code, job.place.parent}, "id_election": set(ids)}
    found: set[str] = set()
    errors = []
    try:
        general = _in_place(job, _parquet_extract(job, source["general_url"], source["general_columns"], wanted, fetched))
        candidats = _in_place(job, _parquet_extract(job, source["candidats_url"], source["candidats_columns"], wanted, fetched))
        if general.num_rows:
            pq.write_table(general, job.folder / "general_results.parquet")
            pq.write_table(candidats, job.folder / "candidats_results.parquet")
            fetched.files += [job.folder / "general_results.parquet", job.folder / "candidats_results.parquet"]
            found = set(general.column("id_election").to_pylist())
            fetched.notes.append(f"aggregated files: {', '.join(sorted(found))}")
    except (FetchError, InputDataError) as error:
        errors.append(str(error))
    raw = {entry["election"]: entry for entry in job.catalogue.get("results_raw", [])}
    for election in [item for item in ids if item not in found]:
        if election not in raw:
            fetched.notes.append(f"{election}: not in the aggregated files and no Ministry file in the catalogue")
            continue
        try:
            fetched.files.append(_raw_results(job, raw[election], fetched))
            fetched.info = {**job.catalogue.get("results_raw_info", {}), **source} if found else job.catalogue.get("results_raw_info", source)
        except (FetchError, InputDataError) as error:
            errors.append(str(error))
    if not fetched.files:
        raise FetchError(source["general_url"], "; ".join(errors) or f"no result of {job.place.code} for {', '.join(ids)}")
    fetched.notes += errors
    return fetched


def _raw_results(job: Job, entry: dict, fetched: Fetched) -> Path:
    """One Ministry national file, streamed and cut to the commune's rows (2024+ ``Code commune`` or pre-2024 parts)."""
    path = _get(job, job.place.fill(entry["url"]), f"{entry['election']}.csv", fetched)
    year, kind, round_ = entry["election"].split("_")
    target = job.folder / f"{KIND_WORDS.get(kind, kind)}{year}_{round_}_{job.place.code}.csv"
    codes = {job.place.code, job.place.parent}

    def keep(columns: dict[str, int], row: list[str]) -> bool:
        if "Code commune" in columns:
            return row[columns["Code commune"]].strip().zfill(5) in codes
        dep = row[columns["Code du département"]].strip().zfill(2)
        return dep + row[columns["Code de la commune"]].strip().zfill(3) in codes

    count = filter_csv(path, target, keep, encoding=entry.get("encoding", "utf-8"))
    if count == 0:
        target.unlink()
        raise FetchError(entry["url"], f"no row of commune {job.place.code} in the Ministry file of {entry['election']}")
    fetched.notes.append(f"{entry['election']}: {count} bureaux from the Ministry file")
    return target


def fetch_reu_table(job: Job) -> Fetched:
    """The REU bureau table (polling places, ``id_brut_miom`` ↔ ``id_brut_reu``), rows of the commune."""
    source = job.catalogue["reu_table"]
    fetched = Fetched(info=source)
    (column, values), = source["filter"].items()
    table = _parquet_extract(job, source["url"], [], {column: _wanted(job, values)}, fetched)
    if table.num_rows == 0:
        raise FetchError(source["url"], f"no bureau of {job.place.code} in the REU table")
    target = job.folder / job.place.fill(source["file"])
    table.to_pandas().to_csv(target, sep=";", index=False)
    fetched.files.append(target)
    return fetched


def fetch_copy(job: Job, source: dict) -> Fetched:
    """A small national table copied as is (the nuance grid)."""
    fetched = Fetched(info=source)
    path = _get(job, source["url"], source["file"], fetched)
    fetched.files.append(copy_to(path, job.folder / source["file"]))
    return fetched


def fetch_iris(job: Job) -> Fetched:
    """IRIS contours from the IGN WFS, filtered on the commune's INSEE codes, page by page."""
    source = job.catalogue["iris"]
    fetched = Fetched(info=source)
    codes = job.place.area_codes
    cql = f"code_insee='{codes[0]}'" if len(codes) == 1 else "code_insee IN (" + ",".join(f"'{code}'" for code in codes) + ")"
    page, start, features = int(source.get("page", 1000)), 0, []
    while True:
        url = job.place.fill(source["url"], cql=cql, count=page, start=start)
        batch = json.loads(_get(job, url, f"iris-{start}.geojson", fetched).read_text(encoding="utf-8")).get("features", [])
        features += batch
        if len(batch) < page:
            break
        start += page
    if not features:
        raise FetchError(fetched.urls[0], f"the WFS answered no IRIS for {job.place.code}")
    target = job.folder / f"iris_{job.place.code}.geojson"
    target.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), encoding="utf-8")
    fetched.files.append(target)
    fetched.notes.append(f"{len(features)} IRIS")
    return fetched


def fetch_census(job: Job, source: dict) -> Fetched:
    """One INSEE IRIS table (national zip), rows whose IRIS code starts with the commune's codes."""
    fetched = Fetched(info=source)
    path = _get(job, source["url"], Path(source["url"]).name, fetched)
    prefixes = tuple(job.place.area_codes)
    target = job.folder / job.place.fill(source["file"])
    count = filter_csv(path, target, lambda columns, row: row[columns["IRIS"]].strip().strip('"').startswith(prefixes),
                       header_has="IRIS", member=largest_table)
    if count == 0:
        target.unlink()
        raise FetchError(source["url"], f"no IRIS of {job.place.code} in this table")
    fetched.files.append(target)
    fetched.notes.append(f"{count} IRIS rows")
    return fetched


def fetch_grid(job: Job) -> Fetched:
    """Filosofi 200 m cells whose ``lcog_geo`` (communes the cell touches) holds the commune."""
    source = job.catalogue["grid"]
    fetched = Fetched(info=source)
    path = _get(job, source["url"], Path(source["url"]).name, fetched)
    codes = set(job.place.area_codes)
    target = job.folder / job.place.fill(source["file"])

    def keep(columns: dict[str, int], row: list[str]) -> bool:
        text = row[columns["lcog_geo"]].strip()
        return any(text[index : index + 5] in codes for index in range(0, len(text), 5))

    count = filter_csv(path, target, keep, header_has="lcog_geo", member=largest_table)
    if count == 0:
        target.unlink()
        raise FetchError(source["url"], f"no 200 m cell touches {job.place.code}")
    fetched.files.append(target)
    fetched.notes.append(f"{count} cells")
    return fetched


def fetch_ban(job: Job) -> Fetched:
    """BAN addresses: the per-commune CSV, else the département file streamed and filtered on ``code_insee``."""
    source = job.catalogue["ban"]
    fetched = Fetched(info=source)
    target = job.folder / job.place.fill(source["file"])
    codes = set(job.place.area_codes)
    keep = lambda columns, row: row[columns["code_insee"]].strip() in codes  # noqa: E731
    try:
        path = _get(job, job.place.fill(source["url"]), f"adresses-{job.place.code}.csv", fetched)
        count = filter_csv(path, target, keep, header_has="code_insee")
    except (FetchError, InputDataError) as error:
        fetched.notes.append(f"per-commune file: {error}; département file used")
        path = _get(job, job.place.fill(source["fallback_url"]), f"adresses-{job.place.dep}.csv.gz", fetched)
        count = filter_csv(path, target, keep, header_has="code_insee")
    if count == 0:
        target.unlink()
        raise FetchError(fetched.urls[-1], f"no address of {job.place.code}")
    fetched.files.append(target)
    fetched.notes.append(f"{count} addresses")
    return fetched


def fetch_streets(job: Job) -> Fetched:
    """OSM ways with ``highway`` inside the commune: Overpass (``ref:INSEE``), else the département extract clipped to the contour."""
    fallback = job.catalogue.get("streets_extract")
    try:
        fetched = _streets_overpass(job)
    except FetchError as error:
        if not fallback:
            raise
        try:
            fetched = _streets_extract(job, fallback)
        except (FetchError, InputDataError) as extract_error:
            raise FetchError(error.url, f"{error.reason}; département extract: {extract_error}") from extract_error
        fetched.notes.insert(0, f"Overpass failed ({error.reason[:200]}): département extract used")
    # A street file of the other route, left by an earlier fetch, would be read instead of this one.
    for other in (job.catalogue["streets"], fallback or {}):
        stale = job.folder / job.place.fill(other.get("file", ""))
        if other.get("file") and stale not in fetched.files:
            stale.unlink(missing_ok=True)
    return fetched


def _streets_overpass(job: Job) -> Fetched:
    """The ways of the commune's boundary (``ref:INSEE``) from the first Overpass endpoint that answers."""
    source = job.catalogue["streets"]
    fetched = Fetched(info=source)
    query = job.place.fill(source["query"]).encode()
    errors = []
    for endpoint in source["endpoints"]:
        try:
            path = _get(job, endpoint, f"overpass-{job.place.code}.json", fetched, data=b"data=" + _form(query))
            break
        except FetchError as error:
            errors.append(str(error))
    else:
        raise FetchError(source["endpoints"][0], "; ".join(errors))
    answer = json.loads(path.read_text(encoding="utf-8"))
    if not any(element.get("type") == "way" for element in answer.get("elements", [])):
        raise FetchError(fetched.urls[-1], f"Overpass answered no street for ref:INSEE={job.place.code} "
                         f"(admin_level {job.place.fill('{admin_level}')}): {answer.get('remark', 'empty answer')}")
    target = job.folder / job.place.fill(source["file"])
    fetched.files.append(copy_to(path, target))
    fetched.notes.append(f"{sum(element.get('type') == 'way' for element in answer['elements'])} ways")
    return fetched


def extract_urls(source: dict, place: Place) -> list[str]:
    """The département extract's URLs, in the catalogue's order, skipping templates the département has no names for."""
    region, departement = source.get("departements", {}).get(place.dep, ["", ""])
    names = {"region": region, "departement": departement, "geofabrik": region.replace("_", "-")}
    urls = []
    for template in source["urls"]:
        used = [name for name in names if "{" + name + "}" in template]
        if all(names[name] for name in used):
            for name in used:
                template = template.replace("{" + name + "}", names[name])
            urls.append(place.fill(template))
    return urls


def _streets_extract(job: Job, source: dict) -> Fetched:
    """The first département extract that downloads, cut to the ``highway`` ways inside or crossing the commune contour."""
    fetched = Fetched(info=source)
    urls = extract_urls(source, job.place)
    if not urls:
        raise FetchError(source["urls"][0], f"no extract of département {job.place.dep} in the catalogue's table")
    if not (job.feature.get("geometry") or {}).get("coordinates"):
        raise FetchError(urls[0], f"geo.api gave no contour of {job.place.code} to cut the extract with")
    errors = []
    for url in urls:
        try:
            path = _get(job, url, f"osm-extract-{job.place.dep}.osm.pbf", fetched)
            break
        except FetchError as error:
            errors.append(str(error))
    else:
        raise FetchError(urls[0], "; ".join(errors))
    contour = shapely.geometry.shape(job.feature["geometry"])
    target = job.folder / job.place.fill(source["file"])
    ways, nodes = clip_extract(path, target, contour)
    if ways == 0:
        target.unlink()
        raise FetchError(fetched.urls[-1], f"the extract has no highway way inside the contour of {job.place.code}")
    fetched.files.append(target)
    fetched.notes.append(f"{ways} ways, {nodes} nodes cut from the extract")
    return fetched


def _form(query: bytes) -> bytes:
    from urllib.parse import quote_from_bytes

    return quote_from_bytes(query, safe="").encode()
