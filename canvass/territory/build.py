"""Build a Territory from a folder of official files: read, key, clip, join, place doors."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from canvass.crs import METRIC_CRS
from canvass.errors import CanvassWarning, InputDataError, JoinWarning
from canvass.opendata import codes
from canvass.opendata._geo import read_vector
from canvass.opendata.addresses import read_ban, read_reu
from canvass.opendata.bureaux import bureaux_from_reu, read_bureaux
from canvass.opendata.detect import SOURCES_FILE, VECTOR_SUFFIXES, InputFile, classify_folder
from canvass.opendata.insee import read_census, read_filosofi_grid, read_iris
from canvass.opendata.osm import read_streets
from canvass.opendata.results import read_results
from canvass.opendata.schemas import ADDRESS_COLUMNS, IRIS_COLUMNS, RESULTS_COLUMNS, SEGMENT_COLUMNS
from canvass.opendata.sniff import commune_text, find_commune_columns
from canvass.territory import doors
from canvass.territory.model import Territory

ProgressCallback = Callable[[float, str], None]

# Raw OSM is complete and unsimplified: preferred over a derived OSMnx graph.
STREET_FORMAT_PRIORITY = {"pbf": 0, "osm_xml": 0, "overpass_json": 1, "graphml": 2}


def build_territory(
    folder: Path,
    communes: Iterable[str],
    *,
    forced: dict[Path, str] | None = None,
    on_progress: ProgressCallback | None = None,
) -> Territory:
    """Read every recognised file of ``folder`` and build the territory of ``communes``.

    Parameters
    ----------
    folder
        Folder holding the commune's official files (any names; kinds are detected).
    communes
        INSEE codes (``29019``), or Paris/Lyon/Marseille arrondissement codes (``75116``).
    forced
        Paths whose kind is forced (``results:mi2022``, ``ignore``…), see :func:`classify_folder`.
    on_progress
        Called with (fraction done, message) as each layer is read.

    Raises
    ------
    InputDataError
        No bureau layer (nor REU extract), several bureau layers, or a file that
        cannot be read; warnings (unmatched codes, repaired geometries) are kept
        in ``territory.meta["warnings"]`` instead.
    """
    communes = tuple(dict.fromkeys(str(code).strip() for code in communes))
    if not communes:
        raise InputDataError("no commune given", hint="give at least one INSEE code, e.g. --commune 29019")
    progress = on_progress or (lambda fraction, message: None)
    files = classify_folder(folder, forced=forced)
    by_kind: dict[str, list[InputFile]] = {}
    for item in files:
        by_kind.setdefault(item.kind, []).append(item)
    meta: dict = {
        "communes": list(communes),
        "inputs": [{"path": str(item.path), "kind": item.kind, "layout": item.layout} for item in files if item.kind != "ignore"],
        "ignored": [{"path": str(item.path), "reason": item.reason} for item in files if item.kind == "ignore"],
    }
    sources = Path(folder) / SOURCES_FILE
    if sources.exists():  # written by canvass fetch: licences, vintages and attributions travel with the territory
        meta["sources"] = json.loads(sources.read_text(encoding="utf-8"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CanvassWarning)
        progress(0.05, "adresses")
        addresses = _read_addresses(by_kind, communes)
        progress(0.15, "résultats électoraux")
        results = _read_results(by_kind, communes, meta)
        progress(0.3, "bureaux de vote")
        bureaux = _read_bureaux(by_kind, communes, addresses, results, meta)
        _warn_unjoined_results(results, bureaux)
        progress(0.45, "IRIS et recensement")
        iris = _read_iris(by_kind, communes, bureaux)
        census = _read_census(by_kind, iris, communes)
        grid = _read_grid(by_kind, bureaux)
        progress(0.6, "rues")
        segments = _read_segments(by_kind, bureaux, meta)
        progress(0.85, "portes")
        segments = _place_doors(segments, addresses, census, iris, grid, bureaux, results, meta)
    meta["warnings"] = [str(item.message) for item in caught if issubclass(item.category, CanvassWarning)]
    progress(1.0, "territoire prêt")
    return Territory(communes, bureaux, results, iris, census, segments, addresses, grid, meta)


def _read_addresses(by_kind: dict, communes: tuple[str, ...]) -> gpd.GeoDataFrame:
    frames = [_lenient(read_ban, item, communes) for item in by_kind.get("ban", [])]
    frames += [_lenient(read_reu, item, communes) for item in by_kind.get("reu", [])]
    frames = [frame for frame in frames if frame is not None]
    if not frames:
        return gpd.GeoDataFrame({column: [] for column in ADDRESS_COLUMNS[:-1]}, geometry=[], crs=METRIC_CRS)
    return pd.concat(frames, ignore_index=True)


def _read_bureaux(by_kind: dict, communes: tuple[str, ...], addresses: gpd.GeoDataFrame, results: pd.DataFrame, meta: dict) -> gpd.GeoDataFrame:
    layers = []
    for item in by_kind.get("bureaux", []):
        try:
            layers.append((item, read_bureaux(item.path, communes=communes)))
        except InputDataError as error:
            if "no bureau of commune" not in error.what and "not their commune" not in error.what:
                raise
            # The communes the layer does hold are the user's best clue: keep them in the reason.
            held = f" (values: {', '.join(map(str, error.codes[:8]))}{' …' if len(error.codes) > 8 else ''})" if error.codes else ""
            meta["ignored"].append({"path": str(item.path), "reason": error.what + held})
    if len(layers) > 1:
        # Several vintages of contours: keep the one the results join best, say which and why.
        result_keys = set(results["bureau_id"])
        layers.sort(key=lambda layer: (-len(result_keys & set(layer[1]["bureau_id"])), str(layer[0].path)))
        for item, layer in layers[1:]:
            matched = len(result_keys & set(layer["bureau_id"]))
            meta["ignored"].append({"path": str(item.path), "reason": f"another bureau layer joins the results better ({matched} result bureaux matched here)"})
        layers = layers[:1]
    if layers:
        item, bureaux = layers[0]
        meta["bureaux_source"] = {"kind": "polygons", "path": str(item.path)}
        return bureaux
    reu = addresses[addresses["source"] == "REU"] if len(addresses) else addresses
    if len(reu) == 0:
        layers = [item for item in meta["ignored"] if _is_vector(item["path"])]
        raise InputDataError(
            f"no bureau polygons and no REU address extract for commune {', '.join(communes)}",
            where="; ".join(f"{Path(item['path']).name} ignored: {item['reason']}" for item in layers) or "the folder holds no vector layer",
            hint="add the bureaux de vote contours (GeoJSON, GeoPackage, shapefile) or INSEE's REU geolocated addresses to the folder; "
            "a layer ignored above can be forced with --file bureaux=<path> to see the full error",
        )
    contours = _read_contours(by_kind)
    bureaux = bureaux_from_reu(reu, contours)
    inside = gpd.sjoin(reu[["bureau_id", "geometry"]], bureaux[["bureau_id", "geometry"]], predicate="within", how="left")
    inside = inside[~inside.index.duplicated()]
    meta["bureaux_source"] = {
        "kind": "reu_voronoi",
        "n_points": int(len(reu)),
        "n_points_in_own_cell": int((inside["bureau_id_left"] == inside["bureau_id_right"]).sum()),
        "n_points_shared_location": int(bureaux.attrs.get("n_points_shared", 0)),
        "n_points_outside_commune": int(inside["bureau_id_right"].isna().sum()),
    }
    return bureaux


def _read_contours(by_kind: dict) -> gpd.GeoDataFrame:
    frames = []
    for item in by_kind.get("contours", []):
        raw = read_vector(item.path)
        columns = find_commune_columns(raw)
        if not columns:
            raise InputDataError(
                "no column of INSEE commune codes in this contour layer",
                source=item.path,
                where=f"columns: {', '.join(map(str, raw.columns[:15]))}",
                hint="commune contours need the 5-character INSEE code of each commune (e.g. 29039)",
            )
        frames.append(gpd.GeoDataFrame({"commune": commune_text(raw[columns[0]])}, geometry=raw.geometry.values, crs=METRIC_CRS))
    if not frames:
        raise InputDataError(
            "REU address points need commune contours to build bureau cells",
            hint="add the commune contour (IGN ADMIN EXPRESS / BD TOPO GeoJSON with a code_insee column) to the folder",
        )
    return pd.concat(frames, ignore_index=True)


def _read_results(by_kind: dict, communes: tuple[str, ...], meta: dict) -> pd.DataFrame:
    frames = []
    for item in by_kind.get("results", []):
        table = read_results(item.path, layout=item.layout)
        table = table[codes.keys_in_area(table["bureau_id"], list(communes))]
        if table.empty:
            meta["ignored"].append({"path": str(item.path), "reason": f"no result for commune {', '.join(communes)}"})
            continue
        frames.append(table)
    if not frames:
        return pd.DataFrame({column: [] for column in RESULTS_COLUMNS})
    results = pd.concat(frames, ignore_index=True)
    duplicated = results.duplicated(["election", "round", "bureau_id", "candidate"])
    if duplicated.any():
        warnings.warn(JoinWarning(f"{int(duplicated.sum())} result rows appear in two files and were kept once"), stacklevel=2)
        results = results[~duplicated].reset_index(drop=True)
    return results


def _warn_unjoined_results(results: pd.DataFrame, bureaux: gpd.GeoDataFrame) -> None:
    """Warn, per election and round, about result codes without polygon and polygons without results."""
    for (election, round_), group in results.groupby(["election", "round"], sort=True):
        unmatched = sorted(set(group["bureau_id"]) - set(bureaux["bureau_id"]))
        if unmatched:
            warnings.warn(JoinWarning(f"{election} round {round_}: {len(unmatched)} bureaux with results have no polygon: {', '.join(unmatched[:5])}"), stacklevel=2)
        missing = sorted(set(bureaux["bureau_id"]) - set(group["bureau_id"]))
        if missing:
            warnings.warn(JoinWarning(f"{election} round {round_}: {len(missing)} bureaux have no results: {', '.join(missing[:5])}"), stacklevel=2)


def _iris_mask(iris_communes: pd.Series, communes: tuple[str, ...]) -> pd.Series:
    """IRIS of the communes asked: an arrondissement by its own code, a PLM commune by all its arrondissements."""
    return codes.in_area(iris_communes, list(communes))


def _read_iris(by_kind: dict, communes: tuple[str, ...], bureaux: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frames = [read_iris(item.path) for item in by_kind.get("iris", [])]
    frames = [frame[_iris_mask(frame["commune"], communes)] for frame in frames]
    frames = [frame for frame in frames if len(frame)]
    if not frames:
        return gpd.GeoDataFrame({column: [] for column in IRIS_COLUMNS[:-1]}, geometry=[], crs=METRIC_CRS)
    iris = pd.concat(frames, ignore_index=True).drop_duplicates("iris_code")
    return iris.reset_index(drop=True)


def _read_census(by_kind: dict, iris: gpd.GeoDataFrame, communes: tuple[str, ...]) -> pd.DataFrame:
    merged = None
    for item in by_kind.get("census", []):
        table = read_census(item.path)
        if len(iris):
            table = table[table["iris_code"].isin(iris["iris_code"])]
        else:
            table = table[_iris_mask(table["iris_code"].str.slice(0, 5), communes)]
        if table.empty:
            continue
        numeric = table.drop(columns=[column for column in table.columns if column != "iris_code" and merged is not None and column in merged.columns])
        merged = numeric if merged is None else merged.merge(numeric, on="iris_code", how="outer")
    if merged is None:
        return pd.DataFrame({"iris_code": pd.Series([], dtype="string")})
    if len(iris):
        unmatched = sorted(set(iris["iris_code"]) - set(merged["iris_code"]))
        if unmatched:
            warnings.warn(JoinWarning(f"{len(unmatched)} IRIS have no census row: {', '.join(unmatched[:5])}"), stacklevel=2)
    return merged.reset_index(drop=True)


def _read_grid(by_kind: dict, bureaux: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frames = [read_filosofi_grid(item.path) for item in by_kind.get("grid", [])]
    if not frames:
        return gpd.GeoDataFrame({"cell_id": []}, geometry=[], crs=METRIC_CRS)
    grid = pd.concat(frames, ignore_index=True).drop_duplicates("cell_id")
    hits = shapely.STRtree(grid.geometry.values).query(shapely.union_all(bureaux.geometry.values), predicate="intersects")
    return grid.iloc[np.sort(hits)].reset_index(drop=True)


def _read_segments(by_kind: dict, bureaux: gpd.GeoDataFrame, meta: dict) -> gpd.GeoDataFrame:
    street_files = by_kind.get("streets", [])
    empty = gpd.GeoDataFrame({column: [] for column in SEGMENT_COLUMNS[:-1]} | {"bureau_id": []}, geometry=[], crs=METRIC_CRS)
    if not street_files:
        return empty
    area = shapely.union_all(bureaux.geometry.values)
    candidates = []
    for item in street_files:
        segments = read_streets(item.path, format=item.layout, clip=area)
        candidates.append((STREET_FORMAT_PRIORITY[segments.attrs["format"]], -float(segments["length_m"].sum()), str(item.path), segments))
    candidates.sort(key=lambda entry: entry[:3])
    chosen = candidates[0]
    meta["streets_source"] = chosen[2]
    for _, _, path, _ in candidates[1:]:
        meta["ignored"].append({"path": path, "reason": f"another street file was used ({Path(chosen[2]).name}): raw OSM is preferred"})
    segments = chosen[3]
    midpoints = shapely.line_interpolate_point(segments.geometry.values, 0.5, normalized=True)
    point_index, bureau_index = shapely.STRtree(bureaux.geometry.values).query(midpoints, predicate="within")
    first = np.unique(point_index, return_index=True)[1]
    bureau_of = pd.Series(pd.NA, index=range(len(segments)), dtype="string")
    bureau_of.iloc[point_index[first]] = bureaux["bureau_id"].to_numpy()[bureau_index[first]]
    segments = segments.assign(bureau_id=bureau_of.to_numpy())
    segments = segments[segments["bureau_id"].notna()].reset_index(drop=True)
    return segments.assign(segment_id=np.arange(len(segments), dtype="int64"))


def _place_doors(segments, addresses, census, iris, grid, bureaux, results, meta) -> gpd.GeoDataFrame:
    """Choose the best door source available and put doors on the segments."""
    if len(addresses):
        allocation = doors.doors_from_addresses(segments, addresses)
        detail = f"{len(addresses)} address points ({', '.join(sorted(addresses['source'].unique()))}), nearest segment and side"
    elif len(iris) and (column := doors.dwelling_column(census)) is not None:
        counts = iris[["iris_code"]].merge(census[["iris_code", column]], how="left")[column].to_numpy()
        allocation = doors.doors_from_area_counts(segments, iris, counts, source="census_dwellings")
        detail = f"census {column} per IRIS spread over residential street length"
    elif len(grid):
        allocation = doors.doors_from_area_counts(segments, grid, grid["men"].to_numpy(), source="filosofi_households")
        detail = "Filosofi households per 200 m cell spread over residential street length"
    else:
        allocation = doors.doors_from_registered(segments, bureaux, doors.registered_per_bureau(bureaux, results))
        detail = f"registered voters per bureau / {doors.ELECTORS_PER_DWELLING} spread over residential street length"
    meta["doors_source"] = {"kind": allocation.source, "detail": detail, "n_unplaced": round(allocation.n_unplaced, 1),
                            "unplaced_bureaux": dict(allocation.unplaced_bureaux)}
    return segments.assign(
        n_doors=allocation.n_doors,
        n_doors_left=allocation.n_doors_left,
        n_doors_right=allocation.n_doors_right,
    )


def _is_vector(path: str) -> bool:
    """Whether a path names a vector layer (the files that could have held bureau polygons)."""
    name = Path(path).name.lower().removesuffix(".gz")
    return any(name.endswith(suffix) for suffix in VECTOR_SUFFIXES + (".json",))


def _lenient(reader, item: InputFile, communes: tuple[str, ...]):
    """Read an address file; one that holds none of the communes is skipped (a département file may)."""
    try:
        return reader(item.path, communes=communes)
    except InputDataError as error:
        if "no address of commune" in error.what:
            return None
        raise
