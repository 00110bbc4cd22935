"""What a batch reads: source folders, the groups of communes built together, and each commune's part of a group.

A département folder holds the files of many communes at once. Reading those
files once per commune would re-read (and re-sniff) the same département layer
hundreds of times, so a batch builds a *group* (one source folder, the codes
asked within one département) once, and cuts each commune out of it
(:func:`split_territory`). A group that cannot be built (a bad file) falls back
to building its communes one by one, so that one commune's bad data never
stops the others.
"""

from __future__ import annotations

import re
import time
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from canvass.opendata import codes as codes_
from canvass.territory.model import Territory

IGNORED_NAMES = re.compile(r"^[._]")
"""Hidden files and folders (``.batch``, ``__pycache__``) are never sources."""


@dataclass(frozen=True)
class Group:
    """One build: a source folder and the codes asked that lie in one département."""

    source: Path
    codes: tuple[str, ...]

    @property
    def key(self) -> str:
        """A stable name for logs and task keys."""
        return f"{self.source.name}:{'+'.join(self.codes)}"


@dataclass(frozen=True)
class GroupBuild:
    """A group once built: its territory (None when the build failed), the communes it holds, and the error if any."""

    group: Group
    territory: Territory | None
    communes: tuple[str, ...]
    error: str | None = None
    seconds: float = 0.0


def departement(code: str) -> str:
    """The département of an INSEE commune code or of a département code (``04036 -> 04``, ``97411 -> 974``, ``2A004 -> 2A``)."""
    code = str(code).strip().upper()
    return code[:3] if code.startswith("97") else code[:2]


def find_sources(data: Path) -> list[Path]:
    """The source folders of ``data``: itself when it holds files, else each of its sub-folders (one per commune or département).

    A folder holding files is read whole (recursively), as ``canvass build`` does.
    """
    data = Path(data)
    entries = sorted(path for path in data.iterdir() if not IGNORED_NAMES.match(path.name))
    if any(path.is_file() for path in entries):
        return [data]
    return [path for path in entries if path.is_dir()]


def plan_groups(sources: list[Path], codes: list[str]) -> list[Group]:
    """One group per source folder and département among ``codes``, in a stable order."""
    by_departement: dict[str, list[str]] = {}
    for code in dict.fromkeys(str(code).strip().upper() for code in codes):
        by_departement.setdefault(departement(code), []).append(code)
    return [Group(source, tuple(wanted)) for source in sources for _, wanted in sorted(by_departement.items())]


def job_codes(bureau_ids: pd.Series, asked: tuple[str, ...]) -> tuple[str, ...]:
    """The communes to plan separately among ``bureau_ids``, sorted.

    A commune or arrondissement code asked is one job when it has a bureau; a
    département code asked becomes one job per commune (per arrondissement in
    Paris, Lyon and Marseille).
    """
    keys = pd.Series(bureau_ids, dtype="string").dropna()
    jobs = set()
    for code in asked:
        inside = keys[codes_.keys_in_area(keys, [code])]
        if inside.empty:
            continue
        if len(code) == 5:
            jobs.add(code)
            continue
        arrondissement = codes_.arrondissements_of_keys(inside)
        jobs.update(arrondissement.fillna(codes_.commune_of_key(inside)).unique())
    return tuple(sorted(jobs))


def split_territory(territory: Territory, code: str) -> Territory:
    """The part of a group's ``territory`` that lies in commune (or arrondissement) ``code``.

    Layers are cut by bureau key, IRIS commune and address commune; Filosofi
    cells are those touching the commune's bureaux. Segment ids are kept (stable
    within the batch). Doors are the group's: a grid cell or IRIS spread over
    several communes keeps its split by street length. Join warnings are
    recomputed for the commune; other warnings are kept when they name it.
    """
    if tuple(territory.communes) == (code,):
        return territory
    bureaux = territory.bureaux[codes_.keys_in_area(territory.bureaux["bureau_id"], [code])].reset_index(drop=True)
    results = territory.results[codes_.keys_in_area(territory.results["bureau_id"], [code])].reset_index(drop=True)
    segments = territory.segments
    if len(segments):
        segments = segments[segments["bureau_id"].isin(bureaux["bureau_id"])].reset_index(drop=True)
    iris = territory.iris
    if len(iris):
        iris = iris[codes_.in_area(iris["commune"], [code])].reset_index(drop=True)
    census = territory.census
    if len(census) and "iris_code" in census:
        inside = census["iris_code"].isin(iris["iris_code"]) if len(iris) else codes_.in_area(census["iris_code"].str.slice(0, 5), [code])
        census = census[inside].reset_index(drop=True)
    addresses = territory.addresses
    if len(addresses):
        by_bureau = codes_.keys_in_area(addresses["bureau_id"].fillna(""), [code]) if "bureau_id" in addresses else False
        addresses = addresses[codes_.in_area(addresses["commune"], [code]) | by_bureau].reset_index(drop=True)
    grid = territory.grid
    if len(grid) and len(bureaux):
        hits = shapely.STRtree(grid.geometry.values).query(shapely.union_all(bureaux.geometry.values), predicate="intersects")
        grid = grid.iloc[np.sort(hits)].reset_index(drop=True)
    meta = _split_meta(territory, code, bureaux, results, segments)
    return replace(territory, communes=(code,), bureaux=bureaux, results=results, iris=iris, census=census, segments=segments,
                   addresses=addresses, grid=grid, meta=meta)


def _split_meta(territory: Territory, code: str, bureaux: gpd.GeoDataFrame, results: pd.DataFrame, segments: gpd.GeoDataFrame) -> dict:
    """Provenance of a commune cut from a group: its own join warnings, the group's warnings that name it, its own door figures."""
    meta = dict(territory.meta)
    meta["communes"] = [code]
    meta["batch_group"] = list(territory.communes)
    prefix = code if codes_.arrondissement_number(code) is None else codes_.plm_parent(code)
    named = re.compile(rf"(?<![\dA-Z]){re.escape(prefix)}(?![\d])")
    kept = [text for text in territory.warnings if named.search(text) and not text.startswith(_JOIN_PREFIXES)]
    meta["warnings"] = kept + _join_warnings(results, bureaux)
    doors = dict(meta.get("doors_source", {}))
    if "unplaced_bureaux" in doors:
        doors["unplaced_bureaux"] = {bureau: reason for bureau, reason in doors["unplaced_bureaux"].items() if bureau in set(bureaux["bureau_id"])}
    if doors.get("kind") == "registered_voters" and "n_unplaced" in doors:
        doors["n_unplaced"] = round(_unplaced_registered(bureaux, results, segments), 1)
    elif "n_unplaced" in doors:
        doors["detail"] = f"{doors.get('detail', '')} (doors without a street: figure of the whole build of {', '.join(territory.communes)})"
    meta["doors_source"] = doors
    return meta


_JOIN_PREFIXES = tuple(f"{year}_" for year in range(1990, 2100))
"""Join warnings start with the election name (``2017_pres round 2: …``); they are recomputed per commune."""


def _join_warnings(results: pd.DataFrame, bureaux: gpd.GeoDataFrame) -> list[str]:
    """The build's join warnings, for one commune: result codes without polygon, polygons without results."""
    messages = []
    ids = set(bureaux["bureau_id"])
    for (election, round_), group in results.groupby(["election", "round"], sort=True):
        unmatched = sorted(set(group["bureau_id"]) - ids)
        if unmatched:
            messages.append(f"{election} round {round_}: {len(unmatched)} bureaux with results have no polygon: {', '.join(unmatched[:5])}")
        missing = sorted(ids - set(group["bureau_id"]))
        if missing:
            messages.append(f"{election} round {round_}: {len(missing)} bureaux have no results: {', '.join(missing[:5])}")
    return messages


def registered_per_bureau(bureaux: pd.DataFrame, results: pd.DataFrame) -> pd.Series:
    """Registered voters per bureau: the latest election's results, else the bureau layer's own count (NaN when unknown)."""
    registered = pd.Series(bureaux["n_registered"].to_numpy(dtype=float), index=bureaux["bureau_id"].to_numpy())
    if len(results):
        latest = results.sort_values(["election", "round"]).drop_duplicates("bureau_id", keep="last").set_index("bureau_id")["n_registered"]
        registered = latest.astype(float).reindex(registered.index).fillna(registered)
    return registered


def _unplaced_registered(bureaux: gpd.GeoDataFrame, results: pd.DataFrame, segments: gpd.GeoDataFrame) -> float:
    """Doors estimated from registered voters that found no street in this commune's bureaux."""
    from canvass.territory.doors import ELECTORS_PER_DWELLING

    expected = registered_per_bureau(bureaux, results).fillna(0.0) / ELECTORS_PER_DWELLING
    placed = segments.groupby("bureau_id")["n_doors"].sum().reindex(expected.index).fillna(0.0) if len(segments) else 0.0
    return float((expected - placed).clip(lower=0).sum())


def build_group(group: Group) -> GroupBuild:
    """Build ``group`` once; on failure, find its communes by reading the bureau layers alone (each then builds on its own).

    Never raises: the error is kept on the result, so that a batch goes on.
    """
    from canvass.territory.build import build_territory

    clock = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            territory = build_territory(group.source, group.codes)
        return GroupBuild(group, territory, job_codes(territory.bureaux["bureau_id"], group.codes), seconds=time.perf_counter() - clock)
    except Exception as error:  # noqa: BLE001 - any bad file must stay this group's problem
        return GroupBuild(group, None, _communes_in_files(group), error=f"{group.source}: {describe(error)}", seconds=time.perf_counter() - clock)


def _communes_in_files(group: Group) -> tuple[str, ...]:
    """The communes of ``group`` found in its bureau layers and REU extracts, each file read on its own (unreadable ones skipped)."""
    from canvass.opendata.addresses import read_reu
    from canvass.opendata.bureaux import read_bureaux
    from canvass.opendata.detect import classify_folder

    try:
        files = classify_folder(group.source)
    except Exception:  # noqa: BLE001 - an unreadable folder holds no commune we can plan
        return ()
    keys = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for item in files:
            reader = {"bureaux": read_bureaux, "reu": read_reu}.get(item.kind)
            if reader is None:
                continue
            try:
                keys.append(reader(item.path, communes=group.codes)["bureau_id"])
            except Exception:  # noqa: BLE001 - this file's own error shows when its communes build alone
                continue
    return job_codes(pd.concat(keys), group.codes) if keys else ()


def describe(error: BaseException) -> str:
    """One line for the summary table: the error's message (canvass errors say what, where and what to do), or its type and message."""
    from canvass.errors import CanvassError

    text = str(error) if isinstance(error, CanvassError) else f"{type(error).__name__}: {error}"
    return " ; ".join(part.strip() for part in text.splitlines() if part.strip())
