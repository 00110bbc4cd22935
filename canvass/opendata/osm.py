"""Walkable street segments from OpenStreetMap files, split at intersections.

:func:`read_streets` reads four kinds of file and returns the same table
(:data:`~canvass.opendata.schemas.SEGMENT_COLUMNS`, Lambert-93):

- ``osm_xml``: OSM XML 0.6 (``.osm``, ``.osm.gz``, ``.osm.bz2``), read with pyosmium;
- ``pbf``: OSM PBF (``.osm.pbf``), read with pyosmium;
- ``overpass_json``: an Overpass API answer in JSON (``.json``, ``.json.gz``),
  e.g. the files OSMnx caches;
- ``graphml``: a graph saved by OSMnx (``ox.save_graphml``), already simplified.

Raw OSM ways are kept when :func:`walkable` accepts their tags, then cut at
every node they share with another kept way (or that they visit twice) and at
their ends. The chain of nodes between two cuts is one segment, so degree-2
nodes inside a way never cut it. A way that continues as another way at its end
node is cut there, because the OSM way id changes.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import ParseError

import geopandas as gpd
import networkx as nx
import numpy as np
import osmium
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from canvass.crs import METRIC_CRS, WEB_CRS
from canvass.errors import InputDataError
from canvass.opendata._geo import check_in_france
from canvass.opendata.schemas import SEGMENT_COLUMNS

FORMATS = ("osm_xml", "pbf", "overpass_json", "graphml")
"""File formats :func:`read_streets` accepts, as given to its ``format=`` argument."""

WALKABLE_HIGHWAYS = frozenset({
    "residential", "living_street", "pedestrian", "unclassified", "road",
    "tertiary", "tertiary_link", "secondary", "secondary_link", "primary", "primary_link",
    "service", "footway", "path", "steps", "track",
})
"""``highway`` values kept unless another tag forbids walking (see :func:`walkable`).

This follows the spirit of the OSMnx "walk" filter, with choices made for door-to-door
canvassing: motorways and trunk roads (French *voies rapides*, Paris riverside
expressways) are out; so are indoor ``corridor`` ways (metro stations, malls), ``elevator``
ways and everything that is not (yet, or any more) a road: ``construction``, ``proposed``,
``abandoned``, ``platform``, ``raceway``, ``bus_guideway``.
"""

FOOT_ONLY_HIGHWAYS = frozenset({"cycleway", "bridleway"})
"""``highway`` values kept only when ``foot`` explicitly allows walkers (:data:`FOOT_ALLOWED`)."""

FOOT_ALLOWED = frozenset({"yes", "designated", "permissive"})
"""``foot`` values that allow walking on a cycleway or bridleway, and override ``access=private|no``."""

FOOT_DENIED = frozenset({"no", "private"})
"""``foot`` values that exclude a way, whatever its ``highway``."""

ACCESS_DENIED = frozenset({"private", "no"})
"""``access`` values that exclude a way unless ``foot`` is in :data:`FOOT_ALLOWED`."""

EXCLUDED_SERVICES = frozenset({"private", "parking_aisle", "drive-through", "emergency_access"})
"""``service`` values that exclude a way.

Parking aisles and drive-throughs have no doors and would add kilometres of car-park
lanes; ``service=private`` is excluded as in OSMnx. Driveways and alleys are **kept**:
in suburbs and Paris *villas* they are the only way to the doors they serve.
"""

TAG_KEYS = ("highway", "name", "ref", "foot", "access", "service", "area")
"""OSM tags read from each way: the walk filter and the street name need no others."""

_UNDEFINED_COORDINATE = 2**31 - 1  # libosmium's fixed-point value of a missing location
_FIXED_POINT = 1e-7  # libosmium stores degrees as integers of 1e-7 degree
_HEAD_BYTES = 8192
_SUFFIXES = {
    ".osm": "osm_xml", ".xml": "osm_xml", ".pbf": "pbf",
    ".json": "overpass_json", ".graphml": "graphml",
}
_COMPLETE_WAYS_HINT = (
    "the extract was probably cut without complete ways: cut it again with "
    "`osmium extract --strategy complete_ways`, or download it with an Overpass query that "
    "recurses down to nodes (`way[highway](…); (._;>;); out;`)"
)


@dataclass(frozen=True)
class _RawWays:
    """OSM ways as flat arrays: per way, and per node reference of all ways one after the other."""

    way_id: np.ndarray
    tags: pd.DataFrame
    n_nodes: np.ndarray
    refs: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    n_read: int


def read_streets(path: str | Path, *, format: str | None = None, clip: shapely.Geometry | None = None) -> gpd.GeoDataFrame:
    """Read the walkable street segments of an OSM file, split at intersections.

    Parameters
    ----------
    path
        OSM XML, PBF, Overpass JSON or OSMnx GraphML file (optionally gzipped, or bzip2 for XML).
    format
        One of :data:`FORMATS`; by default the format is detected from the content, else from the name.
    clip
        A polygon in Lambert-93: only segments intersecting it are kept (they are not cut).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`~canvass.opendata.schemas.SEGMENT_COLUMNS` in EPSG:2154, one row per segment,
        ``segment_id`` numbering the rows from 0, ``attrs["format"]`` the format read. ``street_name`` is the ``name`` tag, else ``ref``,
        else NA. For GraphML, each undirected edge is one segment (reverse duplicates are dropped),
        and an edge merged from several OSM ways keeps the first way id, name and ``highway``.

    Raises
    ------
    InputDataError
        Missing or empty file, unknown format, invalid XML/JSON/PBF, content that is not OSM,
        values of the wrong type (ids, coordinates, node lists, tags), no walkable way, ways whose
        nodes are missing from the file, or walkable nodes outside France or with swapped
        coordinates (:class:`~canvass.errors.CoordinateError`).
    """
    path = Path(path)
    kind = _detect_format(path, format)
    if kind == "graphml":
        frame = _graphml_segments(path)
    elif kind == "overpass_json":
        frame = _split_at_intersections(_read_overpass_json(path), path)
    else:
        frame = _split_at_intersections(_read_with_pyosmium(path, kind), path)
    if clip is not None:
        shapely.prepare(clip)
        frame = frame[shapely.intersects(frame.geometry.array, clip)]
    frame = frame.reset_index(drop=True)
    frame["segment_id"] = np.arange(len(frame), dtype="int64")
    frame["length_m"] = shapely.length(frame.geometry.array)
    frame = frame[list(SEGMENT_COLUMNS)]
    frame.attrs["format"] = kind
    return frame


def walkable(tags: pd.DataFrame) -> np.ndarray:
    """Return a boolean mask of the ways (rows) a canvasser can walk.

    ``tags`` has one column per key of :data:`TAG_KEYS` (NA when the tag is absent). A way is kept
    when its ``highway`` is in :data:`WALKABLE_HIGHWAYS` (or in :data:`FOOT_ONLY_HIGHWAYS` with
    ``foot`` in :data:`FOOT_ALLOWED`), it is not an area (``area=yes``), ``foot`` is not in
    :data:`FOOT_DENIED`, ``access`` is not in :data:`ACCESS_DENIED` unless walkers are explicitly
    allowed, and ``service`` is not in :data:`EXCLUDED_SERVICES`. Roads tagged
    ``sidewalk=separate`` are kept (OSMnx drops them): doors are numbered on the named street,
    not on its unnamed sidewalk ways.
    """
    highway = tags["highway"]
    foot_allowed = tags["foot"].isin(FOOT_ALLOWED)
    keep = highway.isin(WALKABLE_HIGHWAYS) | (highway.isin(FOOT_ONLY_HIGHWAYS) & foot_allowed)
    keep &= ~tags["area"].isin(["yes"])
    keep &= ~tags["foot"].isin(FOOT_DENIED)
    keep &= ~(tags["access"].isin(ACCESS_DENIED) & ~foot_allowed)
    keep &= ~tags["service"].isin(EXCLUDED_SERVICES)
    return keep.to_numpy(dtype=bool)


def _open_stream(path: Path, raw_head: bytes) -> io.BufferedIOBase:
    """Open ``path`` for reading bytes, decompressing gzip or bzip2 according to its magic bytes."""
    if raw_head.startswith(b"\x1f\x8b"):
        return gzip.open(path, "rb")
    if raw_head.startswith(b"BZh"):
        return bz2.open(path, "rb")
    return path.open("rb")


def _read_bytes(path: Path, *, limit: int = -1) -> bytes:
    """Return the (decompressed) bytes of ``path``, the first ``limit`` of them if given."""
    with path.open("rb") as handle:
        raw_head = handle.read(4)
    try:
        with _open_stream(path, raw_head) as stream:
            return stream.read(limit)
    except (OSError, EOFError) as error:
        raise InputDataError(
            f"the compressed file cannot be read ({error})",
            source=path,
            hint="download the file again, or decompress it by hand to check it",
        ) from error


def _sniff(head: bytes, raw_head: bytes) -> str | None:
    """Return the format the first bytes of a file show, or None if they show none."""
    if b"OSMHeader" in raw_head[:32]:
        return "pbf"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith((b"{", b"[")):
        return "overpass_json"
    if text.startswith(b"<"):
        if b"<graphml" in head:
            return "graphml"
        if b"<osm" in head:
            return "osm_xml"
    return None


def _detect_format(path: Path, requested: str | None) -> str:
    """Check that ``path`` is a non-empty file and return its format, requested or detected."""
    if requested is not None and requested not in FORMATS:
        raise InputDataError(
            f"unknown OSM format {requested!r}",
            source=path,
            hint=f"give one of: {', '.join(FORMATS)}, or leave the format to automatic detection",
        )
    if not path.is_file():
        raise InputDataError("file not found", source=path, hint="check the path and the folder given")
    with path.open("rb") as handle:
        raw_head = handle.read(_HEAD_BYTES)
    head = _read_bytes(path, limit=_HEAD_BYTES)
    if not head.strip():
        raise InputDataError("the file is empty", source=path, hint="download or export the OSM data again")
    sniffed = _sniff(head, raw_head)
    suffixes = [suffix for suffix in path.suffixes if suffix not in (".gz", ".bz2")]
    by_name = _SUFFIXES.get(suffixes[-1]) if suffixes else None
    kind = requested or sniffed or by_name
    if kind is None:
        raise InputDataError(
            "this is not a known OSM file: neither its name nor its first bytes show the format",
            source=path,
            where=f"first bytes: {head[:60]!r}",
            hint=f"accepted formats: {', '.join(FORMATS)}; give the format explicitly if the file is one of them",
        )
    if sniffed != kind:
        raise InputDataError(
            f"the file does not look like {kind.replace('_', ' ')}"
            + (f" (its content looks like {sniffed.replace('_', ' ')})" if sniffed else ""),
            source=path,
            where=f"first bytes: {head[:60]!r}",
            hint=f"check that this is the OSM file meant; accepted formats: {', '.join(FORMATS)}",
        )
    return kind


def _read_with_pyosmium(path: Path, kind: str) -> _RawWays:
    """Stream the ways of an OSM XML or PBF file, with their node locations, through pyosmium."""
    with path.open("rb") as handle:
        magic = handle.read(3)
    compression = ".gz" if magic.startswith(b"\x1f\x8b") else ".bz2" if magic == b"BZh" else ""
    osm_file = osmium.io.File(str(path), "pbf" if kind == "pbf" else f"osm{compression}")
    processor = (
        osmium.FileProcessor(osm_file)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
    )
    way_ids: list[int] = []
    tag_values: dict[str, list[str | None]] = {key: [] for key in TAG_KEYS}
    n_nodes: list[int] = []
    nodes: list[tuple[int, int, int]] = []
    n_read = 0
    try:
        for way in processor:
            n_read += 1
            tags = way.tags
            if "highway" not in tags:
                continue
            way_ids.append(way.id)
            for key in TAG_KEYS:
                tag_values[key].append(tags.get(key))
            way_nodes = [(node.ref, node.x, node.y) for node in way.nodes]
            n_nodes.append(len(way_nodes))
            nodes.extend(way_nodes)
    except (RuntimeError, ValueError, osmium.InvalidLocationError) as error:  # corrupt file, bad id, bad coordinate text
        raise InputDataError(
            f"pyosmium cannot read this {'PBF' if kind == 'pbf' else 'OSM XML'} file ({str(error)[:120]})",
            source=path,
            hint="the file is probably truncated or corrupt: download or export it again",
        ) from error
    table = np.array(nodes, dtype="int64").reshape(-1, 3)
    missing = table[:, 1] == _UNDEFINED_COORDINATE
    lon = np.where(missing, np.nan, table[:, 1] * _FIXED_POINT)
    lat = np.where(missing, np.nan, table[:, 2] * _FIXED_POINT)
    return _RawWays(
        way_id=np.array(way_ids, dtype="int64"),
        tags=pd.DataFrame(tag_values, dtype="string"),
        n_nodes=np.array(n_nodes, dtype="int64"),
        refs=table[:, 0],
        lon=lon,
        lat=lat,
        n_read=n_read,
    )


def _read_overpass_json(path: Path) -> _RawWays:
    """Read the nodes and ways of an Overpass API JSON answer (``{"elements": [...]}``), checking every value's type."""
    try:
        answer = json.loads(_read_bytes(path))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as error:
        raise InputDataError(
            f"this is not valid JSON ({str(error)[:120]})",
            source=path,
            hint="the file is probably truncated: download it again from the Overpass API",
        ) from error
    elements = answer.get("elements") if isinstance(answer, dict) else None
    if not isinstance(elements, list) or not all(isinstance(element, dict) for element in elements):
        keys = list(answer)[:8] if isinstance(answer, dict) else [type(answer).__name__]
        raise InputDataError(
            "this JSON is not an Overpass API answer: it has no list of OSM elements",
            source=path,
            where="top level" if not isinstance(elements, list) else "elements that are not objects",
            codes=keys,
            hint='an Overpass answer looks like {"elements": [{"type": "node", ...}, {"type": "way", ...}]}; '
            "ask Overpass for `[out:json]` and `out;` (not `out geom;` or GeoJSON)",
        )
    table = pd.DataFrame.from_records(elements, columns=["type", "id", "lat", "lon", "nodes", "tags"])
    table["id"] = _osm_ids(table["id"], path, "element ids", table.index + 1, prefix="element ")
    nodes = table[table["type"] == "node"].drop_duplicates("id")
    ways = table[table["type"] == "way"].drop_duplicates("id").reset_index(drop=True)
    lat, lon = _degrees(nodes["lat"]), _degrees(nodes["lon"])
    bad = np.isnan(lat) | np.isnan(lon)
    if bad.any():
        raise InputDataError(
            f"{int(bad.sum())} nodes have no usable lat/lon (missing, empty or not a number)",
            source=path,
            where="elements " + ", ".join(str(i + 1) for i in nodes.index[bad][:5]),
            codes=[f"node {i}: lat={a!r}, lon={b!r}" for i, a, b in zip(nodes["id"][bad][:5], nodes["lat"][bad][:5], nodes["lon"][bad][:5])],
            hint="ask Overpass for `out;` (or `out body;`), which gives every node its coordinates",
        )
    lists = ways["nodes"].map(lambda refs: isinstance(refs, list))
    if not lists.all():
        raise InputDataError(
            f"{int((~lists).sum())} ways have no list of node ids",
            source=path,
            where="ways " + ", ".join(map(str, ways["id"][~lists][:5])),
            codes=[repr(value)[:40] for value in ways["nodes"][~lists][:5]],
            hint="ask Overpass for `out;` (or `out body;`), which lists the nodes of every way",
        )
    refs = ways["nodes"].explode().dropna()
    refs = _osm_ids(refs, path, "node ids of ways", ways["id"].to_numpy()[refs.index.to_numpy(dtype="int64")], prefix="way ")
    node_index = pd.Index(nodes["id"]).get_indexer(refs)
    found = node_index >= 0
    tags = ways["tags"].map(lambda value: value if isinstance(value, dict) else {} if value is None or value != value else None)
    if tags.isna().any():
        raise InputDataError(
            f"{int(tags.isna().sum())} ways have tags that are not a key/value object",
            source=path,
            where="ways " + ", ".join(map(str, ways["id"][tags.isna()][:5])),
            codes=[repr(value)[:40] for value in ways["tags"][tags.isna()][:5]],
            hint='tags look like {"highway": "residential", "name": "Rue X"}; download the file again',
        )
    tag_table = pd.DataFrame({key: tags.map(lambda t, key=key: None if t.get(key) is None else str(t.get(key))) for key in TAG_KEYS})
    return _RawWays(
        way_id=ways["id"].to_numpy(dtype="int64"),
        tags=tag_table.astype("string"),
        n_nodes=np.bincount(refs.index.to_numpy(dtype="int64"), minlength=len(ways)),
        refs=refs.to_numpy(dtype="int64"),
        lon=np.where(found, lon[node_index], np.nan),
        lat=np.where(found, lat[node_index], np.nan),
        n_read=len(ways),
    )


def _is_int64(value: object) -> bool:
    return type(value) is int and -(2**63) <= value < 2**63


def _osm_ids(values: pd.Series, path: Path, what: str, labels: np.ndarray, *, prefix: str) -> pd.Series:
    """``values`` as int64 OSM ids; anything but an integer that fits (text, float, bool, 2**70) is an error naming ``labels``."""
    good = values.map(_is_int64).to_numpy(dtype=bool)
    if not good.all():
        raise InputDataError(
            f"{int((~good).sum())} {what} are not OSM ids (integers)",
            source=path,
            where=", ".join(f"{prefix}{label}" for label in np.asarray(labels)[~good][:5]),
            codes=[repr(value)[:40] for value in values[~good][:5]],
            hint="OSM ids are whole numbers; the file was probably edited by hand or is corrupt: download it again",
        )
    return values.astype("int64")


def _degrees(values: pd.Series) -> np.ndarray:
    """JSON numbers as floats; anything else (text, bool, null, lists) is NaN, and numbers too large for a float are infinite."""
    def number(value: object) -> float:
        if type(value) not in (int, float):
            return np.nan
        try:
            return float(value)
        except OverflowError:
            return np.inf
    return np.array([number(value) for value in values], dtype=float)


def _no_walkable_way(path: Path, highway: pd.Series, n_read: int, unit: str) -> InputDataError:
    """Build the error for a file without any walkable way, listing the highway kinds read."""
    kinds = highway.value_counts()
    return InputDataError(
        f"no walkable street: {n_read} {unit} read, {int(kinds.sum())} of them with a highway tag",
        source=path,
        where="highway kinds read" if len(kinds) else None,
        codes=[f"{kind} ({count})" for kind, count in kinds.items()],
        hint="check that the extract covers the streets of the area (not only buildings or motorways); "
        f"walkable highways are {', '.join(sorted(WALKABLE_HIGHWAYS))}",
    )


def _split_at_intersections(ways: _RawWays, path: Path) -> gpd.GeoDataFrame:
    """Keep the walkable ways and cut them at intersections and ends into segments."""
    keep_way = walkable(ways.tags)
    if not keep_way.any():
        raise _no_walkable_way(path, ways.tags["highway"].dropna(), ways.n_read, "ways")
    keep = np.repeat(keep_way, ways.n_nodes)
    way_index = np.repeat(np.arange(len(ways.way_id)), ways.n_nodes)[keep]
    refs, lon, lat = ways.refs[keep], ways.lon[keep], ways.lat[keep]
    missing = np.isnan(lon)
    if missing.any():
        raise InputDataError(
            f"{len(np.unique(way_index[missing]))} walkable ways refer to {len(np.unique(refs[missing]))} nodes "
            "that are missing from the file",
            source=path,
            where="ways " + ", ".join(map(str, ways.way_id[np.unique(way_index[missing])][:5])) + ", nodes",
            codes=np.unique(refs[missing]),
            hint=_COMPLETE_WAYS_HINT,
        )
    check_in_france(lon, lat, source=path, where="nodes of walkable ways", labels=refs, prefix="node ")
    # The same node twice in a row adds nothing; a way must keep two nodes to be a line.
    repeated = np.r_[False, (refs[1:] == refs[:-1]) & (way_index[1:] == way_index[:-1])]
    kept_nodes = np.bincount(way_index[~repeated], minlength=len(ways.way_id))
    keep = ~repeated & (kept_nodes[way_index] >= 2)
    way_index, refs, lon, lat = way_index[keep], refs[keep], lon[keep], lat[keep]

    new_way = way_index[1:] != way_index[:-1]
    is_last = np.r_[new_way, True]
    _, inverse, uses = np.unique(refs, return_inverse=True, return_counts=True)
    cut = np.r_[True, new_way] | is_last | (uses[inverse] >= 2)
    cuts = np.flatnonzero(cut)
    starts = cuts[~is_last[cuts]]
    ends = cuts[np.searchsorted(cuts, starts, side="right")]

    n_vertices = ends - starts + 1
    segment_of_vertex = np.repeat(np.arange(len(starts)), n_vertices)
    first_vertex = np.cumsum(n_vertices) - n_vertices
    position = starts[segment_of_vertex] + np.arange(n_vertices.sum()) - first_vertex[segment_of_vertex]
    x, y = Transformer.from_crs(WEB_CRS, METRIC_CRS, always_xy=True).transform(lon, lat)
    lines = shapely.linestrings(np.column_stack([x, y])[position], indices=segment_of_vertex)

    segment_way = way_index[starts]
    tags = ways.tags.iloc[segment_way].reset_index(drop=True)
    return gpd.GeoDataFrame(
        {
            "osm_way_id": ways.way_id[segment_way],
            "node_from": refs[starts],
            "node_to": refs[ends],
            "street_name": tags["name"].fillna(tags["ref"]),
            "highway": tags["highway"],
        },
        geometry=lines,
        crs=METRIC_CRS,
    )


def _first_of_list(values: pd.Series) -> pd.Series:
    """Return the first item of OSMnx list attributes written as text (``"['footway', 'steps']"``)."""
    text = values.astype("string")
    first = text.str.extract(r"""^\[\s*(?P<quote>['"]?)(?P<item>.*?)(?P=quote)\s*[,\]]""")["item"]
    return text.where(~text.str.startswith("[").fillna(False), first)


def _graphml_segments(path: Path) -> gpd.GeoDataFrame:
    """Read an OSMnx GraphML graph: one segment per undirected edge, reverse duplicates dropped."""
    try:
        graph = nx.read_graphml(io.BytesIO(_read_bytes(path)), force_multigraph=True)
    except (ParseError, nx.NetworkXError, KeyError, ValueError) as error:
        raise InputDataError(
            f"this GraphML file cannot be parsed ({error})",
            source=path,
            hint="the file is probably truncated: save it again with osmnx.save_graphml",
        ) from error
    nodes = pd.DataFrame.from_dict(dict(graph.nodes(data=True)), orient="index")
    edges = nx.to_pandas_edgelist(graph, edge_key="key")
    if edges.empty or not {"x", "y"} <= set(nodes.columns) or not {"highway", "osmid"} <= set(edges.columns):
        raise InputDataError(
            "this GraphML file is not an OSMnx street graph: it needs node x/y and edge highway/osmid attributes",
            source=path,
            where=f"{len(nodes)} nodes, {len(edges)} edges",
            hint="save the graph with osmnx.save_graphml, or give the raw OSM file instead",
        )
    try:
        node_ids = pd.Index(nodes.index.astype("int64"))
        source = edges["source"].astype("int64").to_numpy()
        target = edges["target"].astype("int64").to_numpy()
    except (ValueError, OverflowError) as error:
        raise InputDataError(
            f"the graph's node ids are not OSM node ids ({error})",
            source=path,
            hint="save the graph with osmnx.save_graphml without relabelling its nodes",
        ) from error
    if node_ids.has_duplicates:  # "7" and "+7" are two GraphML ids but one OSM node
        raise InputDataError(
            "several graph nodes have the same OSM node id",
            source=path,
            codes=node_ids[node_ids.duplicated()].unique(),
            hint="save the graph with osmnx.save_graphml without relabelling its nodes",
        )
    tags = pd.DataFrame(
        {key: _first_of_list(edges[key]) if key in edges else pd.Series(pd.NA, index=edges.index, dtype="string")
         for key in (*TAG_KEYS, "osmid")}
    )
    keep_edge = walkable(tags)
    if not keep_edge.any():
        raise _no_walkable_way(path, tags["highway"].dropna(), len(edges), "edges")
    xy = nodes[["x", "y"]].apply(pd.to_numeric, errors="coerce").astype(float).to_numpy()
    ends_xy = np.stack([xy[node_ids.get_indexer(source)], xy[node_ids.get_indexer(target)]], axis=1)
    missing = ~np.isfinite(ends_xy).all(axis=(1, 2))
    if (missing & keep_edge).any():
        raise InputDataError(
            f"{int((missing & keep_edge).sum())} walkable edges end at nodes without finite x/y coordinates",
            source=path,
            codes=node_ids[~np.isfinite(xy).all(axis=1)],
            hint="save the graph again with osmnx.save_graphml; nodes must keep their x and y attributes",
        )
    try:
        graph_crs = CRS.from_user_input(graph.graph.get("crs", WEB_CRS))
    except CRSError as error:
        raise InputDataError(f"the graph's crs attribute is not a coordinate system ({error})", source=path,
                             codes=[str(graph.graph.get("crs"))[:40]], hint="save the graph again with osmnx.save_graphml") from error
    straight = shapely.linestrings(np.where(np.isfinite(ends_xy), ends_xy, 0.0))
    wkt = edges["geometry"].astype(object) if "geometry" in edges else pd.Series(None, index=edges.index, dtype=object)
    stored = shapely.from_wkt(wkt.where(wkt.notna(), None).to_numpy(), on_invalid="ignore")
    unreadable = (wkt.notna().to_numpy() & (shapely.is_missing(stored) | (shapely.get_type_id(stored) != 1) | shapely.is_empty(stored))) & keep_edge
    if unreadable.any():
        raise InputDataError(
            f"{int(unreadable.sum())} walkable edges have a geometry that is not a line in WKT",
            source=path,
            where="edges " + ", ".join(f"{a}-{b}" for a, b in zip(source[unreadable][:5], target[unreadable][:5])),
            codes=[str(value)[:60] for value in wkt[unreadable][:5]],
            hint="save the graph again with osmnx.save_graphml; edge geometries are written as LINESTRING (x y, ...)",
        )
    lines = np.where(shapely.is_missing(stored) | ~keep_edge, straight, stored)
    reverse_pair = pd.DataFrame({
        "low": np.minimum(source, target),
        "high": np.maximum(source, target),
        "shape": shapely.to_wkb(shapely.normalize(lines)),
    }).duplicated().to_numpy()
    keep = keep_edge & ~reverse_pair
    coords, owner = shapely.get_coordinates(lines[keep], return_index=True)
    lon, lat = Transformer.from_crs(graph_crs, WEB_CRS, always_xy=True).transform(coords[:, 0], coords[:, 1])
    check_in_france(lon, lat, source=path, where="vertices of walkable edges", labels=source[keep][owner], prefix="edge from node ")
    osmid = pd.to_numeric(tags["osmid"][keep], errors="coerce")
    if osmid.isna().any() or not osmid.between(-(2**63), 2**63 - 1).all() or (osmid % 1 != 0).any():
        bad = ~(osmid.notna() & osmid.between(-(2**63), 2**63 - 1) & (osmid % 1 == 0))
        raise InputDataError(
            f"{int(bad.sum())} walkable edges have an osmid that is not an OSM way id",
            source=path,
            codes=tags["osmid"][keep][bad.to_numpy()].astype(str).str.slice(0, 30).head(5),
            hint="save the graph again with osmnx.save_graphml; osmid holds the way id (or a list of them)",
        )
    to_metric = Transformer.from_crs(graph_crs, METRIC_CRS, always_xy=True)
    metric_lines = shapely.transform(
        lines[keep], lambda coords: np.column_stack(to_metric.transform(coords[:, 0], coords[:, 1]))
    )
    kept = tags[keep].reset_index(drop=True)
    return gpd.GeoDataFrame(
        {
            "osm_way_id": osmid.to_numpy(dtype="int64"),
            "node_from": source[keep],
            "node_to": target[keep],
            "street_name": kept["name"].fillna(kept["ref"]),
            "highway": kept["highway"],
        },
        geometry=metric_lines,
        crs=METRIC_CRS,
    )
