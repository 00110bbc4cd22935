"""Planning units: the blocks of doors a pair can do in one go, cut from the street segments.

A long or dense segment is more than a pair can canvass in a session, so the
planner works on units instead of whole segments:

- a segment that fits stays whole (both sides, one unit);
- otherwise it is split by side of the street where address points say which
  side each door is on, and each side by house-number range (cuts fall between
  addresses, never through one), else into equal stretches ("tronçons");
- an address holding many dwellings (an apartment building) is its own unit:
  its doors are the dwellings, its service time adds the time to get in
  (digicode, interphone); a building too big for one go is cut into parts.

Every unit is a sub-line of its segment, ``start_m`` to ``end_m`` metres from
the segment's first node, with its own stable id (:func:`unit_ids`: the
segment id and the block's rank along the segment), so that a field log or a
re-plan can name it. Doors and value are conserved: a segment's doors go to its
address points in proportion to their weight (``n_addresses``), or along its
length without addresses, and value follows doors (the priority per door is
the segment's).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops

from canvass.errors import DataQualityWarning, PlanningError
from canvass.plan.teams import Team
from canvass.scores.camps import plain

UNIT_ID_BASE = 10_000_000_000
"""Block ids start here, so that they never collide with segment ids (0, 1, 2 … as the territory numbers them)."""
BLOCKS_PER_SEGMENT = 1000
"""A block id is ``UNIT_ID_BASE + segment_id × BLOCKS_PER_SEGMENT + block``; a segment left whole keeps its own id."""
DEFAULT_UNIT_MINUTES = 30.0
"""Longest service (walking the unit and knocking its doors) of one unit, in minutes."""
DEFAULT_UNIT_SHARE = 1.0
"""And at most this share of the shortest session (by default: a unit never outlasts a session, even a short one)."""
BUILDING_MIN_DWELLINGS = 10.0
"""An address with at least this many doors is an apartment building: a unit of its own."""
BUILDING_FRONTAGE_M = 15.0
"""Street length a building unit spans (its entrance, centred on the address point)."""
MAX_SNAP_DISTANCE_M = 80.0
"""Same rule as the door counts (:mod:`canvass.territory.doors`): an address further away is on no street."""
PARITY_MAJORITY = 0.75
"""A side is 'côté pair' (or 'impair') when this share of its house numbers are even (odd)."""

KINDS = ("street", "stretch", "side", "building")
"""``street``: a whole segment; ``stretch``: a length cut of it (no addresses); ``side``: one side's block; ``building``: a building or part."""


@dataclass(frozen=True)
class UnitSizing:
    """How long a unit may take, at the pace of the slowest team (so that every team can do every unit)."""

    max_minutes: float
    metres_per_minute: float
    minutes_per_door: float
    minutes_per_building: float

    @classmethod
    def from_teams(cls, teams: list[Team] | tuple[Team, ...], *, unit_minutes: float | None = DEFAULT_UNIT_MINUTES,
                   unit_share: float = DEFAULT_UNIT_SHARE) -> UnitSizing:
        """The limit is ``unit_minutes``, and at most ``unit_share`` of the shortest session; ``None``: no limit (whole segments)."""
        if not teams:
            raise PlanningError("no team: add at least one team (name, meeting place, minutes)")
        if unit_minutes is None:
            unit_minutes, unit_share = math.inf, math.inf
        elif not unit_minutes > 0 or not 0 < unit_share <= 1:
            raise PlanningError(f"unit size {unit_minutes} min / share {unit_share} not understood; give positive minutes and a share in (0, 1]")
        return cls(
            max_minutes=min(unit_minutes, unit_share * min(team.minutes for team in teams)),
            metres_per_minute=min(team.speed_kmh for team in teams) * 1000 / 60,
            minutes_per_door=max(team.minutes_per_door / team.n_pairs for team in teams),
            minutes_per_building=max(team.minutes_per_building for team in teams),
        )

    def minutes(self, length_m, doors, entries=0.0):
        """Service minutes: walk the length once, knock every door, get into every building."""
        return np.asarray(length_m) / self.metres_per_minute + np.asarray(doors) * self.minutes_per_door + np.asarray(entries) * self.minutes_per_building


def unit_ids(segment_id, block, n_blocks) -> np.ndarray:
    """Stable unit ids: a segment left whole keeps its id; a block's id says its segment and its rank along it."""
    segment_id = np.asarray(segment_id, dtype=np.int64)
    return np.where(np.asarray(n_blocks) > 1, UNIT_ID_BASE + segment_id * BLOCKS_PER_SEGMENT + np.asarray(block, dtype=np.int64), segment_id)


def is_block_id(ids) -> np.ndarray:
    """True for the ids of blocks (part of a segment), False for segment ids."""
    return np.asarray(ids, dtype=np.int64) >= UNIT_ID_BASE


def parent_segments(ids) -> np.ndarray:
    """The segment id of each unit id (segment ids are returned unchanged)."""
    ids = np.asarray(ids, dtype=np.int64)
    return np.where(ids >= UNIT_ID_BASE, (ids - UNIT_ID_BASE) // BLOCKS_PER_SEGMENT, ids)


def planning_units(segments: gpd.GeoDataFrame, segment_values: pd.DataFrame, sizing: UnitSizing, *,
                   addresses: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Cut the segments into planning units (Lambert-93), in segment order then along each segment.

    Parameters
    ----------
    segments
        The territory's segments (``segment_id``, ``street_name``, ``length_m``, geometry).
    segment_values
        ``segment_id``, ``n_doors``, ``value`` (from scoring); segments missing here have no door.
    sizing
        The longest unit allowed and the pace it is measured at; without a limit, every segment stays whole.
    addresses
        Address points (``n_addresses``, ``housenumber``, ``street_name``), if any: they give
        sides, number ranges and buildings.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per unit: ``unit_id``, ``segment_id`` (the parent), ``block``, ``kind``
        (:data:`KINDS`), ``side`` (``both``/``left``/``right`` of the segment's direction),
        ``parity`` (``pair``/``impair``/''), ``first_number``, ``last_number``, ``n_doors``,
        ``value``, ``n_entries`` (buildings to get into), ``dwellings`` (of the whole building),
        ``part``, ``n_parts``, ``floors``, ``start_m``, ``end_m``, ``length_m``,
        ``street_name``, ``bureau_id`` (when the segments have one), ``label``, geometry.

    Raises
    ------
    PlanningError
        If a segment would need more blocks than a unit id can number.
    """
    segments = segments.reset_index(drop=True)
    n = len(segments)
    values = segments[["segment_id"]].merge(segment_values[["segment_id", "n_doors", "value"]], on="segment_id", how="left")
    doors = values["n_doors"].fillna(0.0).to_numpy(float)
    value = values["value"].fillna(0.0).to_numpy(float)
    length = segments["length_m"].to_numpy(float)
    points = _snap(segments, addresses if math.isfinite(sizing.max_minutes) else None)
    weight_sum = np.bincount(points["segment"], weights=points["weight"], minlength=n)
    points["doors"] = doors[points["segment"]] * points["weight"] / weight_sum[points["segment"]]
    has_points = np.bincount(points["segment"], minlength=n) > 0

    rows = [_without_addresses(np.flatnonzero(~has_points), length, doors, sizing)]
    building = _is_building(points, sizing)
    whole = has_points & (np.bincount(points["segment"], weights=building, minlength=n) == 0) & (sizing.minutes(length, doors) <= sizing.max_minutes)
    rows.append(_whole_with_addresses(np.flatnonzero(whole), points[whole[points["segment"]]], length, doors))
    for segment, mine in points[~whole[points["segment"]]].groupby("segment", sort=True):
        rows.append(_with_addresses(int(segment), mine.sort_values("along_m", kind="stable"), length[segment], doors[segment], sizing))
    units = pd.concat([r for r in rows if len(r)], ignore_index=True) if any(len(r) for r in rows) else _empty()
    units = units.sort_values(["segment", "start_m", "side_rank", "part"], kind="stable").reset_index(drop=True)
    units["block"] = units.groupby("segment").cumcount()
    if len(units) and units["block"].max() >= BLOCKS_PER_SEGMENT:
        worst = int(segments["segment_id"].iloc[units.loc[units["block"].idxmax(), "segment"]])
        raise PlanningError(f"segment {worst} would need more than {BLOCKS_PER_SEGMENT} blocks; give units more minutes (unit_minutes)")
    seg = units["segment"].to_numpy()
    share = np.divide(units["n_doors"].to_numpy(float), doors[seg], out=np.zeros(len(units)), where=doors[seg] > 0)
    # A segment with value but no door keeps its value on its single unit.
    share = np.where(doors[seg] > 0, share, 1.0)
    units["value"] = value[seg] * share
    units["segment_id"] = segments["segment_id"].to_numpy(np.int64)[seg]
    units["unit_id"] = unit_ids(units["segment_id"], units["block"], units.groupby("segment")["block"].transform("size"))
    units["street_name"] = segments["street_name"].fillna("").astype(str).to_numpy()[seg]
    if "bureau_id" in segments.columns:
        units["bureau_id"] = segments["bureau_id"].to_numpy()[seg]
    units["length_m"] = units["end_m"] - units["start_m"]
    units["label"] = _labels(units, segments)
    geometry = _sub_lines(segments.geometry.values, length, units)
    columns = ["unit_id", "segment_id", "block", "kind", "side", "parity", "first_number", "last_number", "n_doors", "value", "n_entries",
               "dwellings", "part", "n_parts", "floors", "start_m", "end_m", "length_m", "street_name", *(["bureau_id"] if "bureau_id" in units else []), "label"]
    frame = gpd.GeoDataFrame(units[columns], geometry=geometry, crs=segments.crs)
    for column in ("first_number", "last_number", "floors"):
        frame[column] = frame[column].astype("Int64")
    return frame


def expand_ids(ids, units: pd.DataFrame, *, what: str) -> tuple[set[int], set[int]]:
    """Unit ids meant by ``ids`` (unit ids, or segment ids meaning all their units), and the ids matching nothing.

    A unit id that is no longer a unit (the segment was cut differently since)
    stands for every unit of its segment, with a warning.
    """
    wanted = np.array(sorted({int(i) for i in ids}), dtype=np.int64)
    unit = units["unit_id"].to_numpy(np.int64)
    parent = units["segment_id"].to_numpy(np.int64)
    exact = np.isin(wanted, unit)
    as_segment = ~exact & np.isin(parent_segments(wanted), parent)
    stale = as_segment & is_block_id(wanted)
    if stale.any():
        warnings.warn(f"{int(stale.sum())} {what} block id(s) were cut differently since; their whole street segment is taken instead: "
                      f"{', '.join(map(str, wanted[stale][:5]))}", DataQualityWarning, stacklevel=3)
    chosen = set(wanted[exact].tolist()) | set(unit[np.isin(parent, parent_segments(wanted[as_segment]))].tolist())
    return chosen, set(wanted[~exact & ~as_segment].tolist())


def done_units(unit_ids: Iterable[int], logged: Iterable[int]) -> np.ndarray:
    """Which of ``unit_ids`` are done: logged by their own id, or their whole segment logged (an older log)."""
    units = np.asarray(list(unit_ids), dtype=np.int64)
    logged = np.asarray(sorted({int(i) for i in logged}), dtype=np.int64)
    whole_segments = logged[~is_block_id(logged)]
    return np.isin(units, logged) | np.isin(parent_segments(units), whole_segments)


# --- address points -----------------------------------------------------------------------------------------------------


def _snap(segments: gpd.GeoDataFrame, addresses: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """Each address on its nearest segment (as the door counts were made): position, side, weight, number."""
    columns = ["segment", "along_m", "side", "weight", "number", "housenumber", "street_ok", "address_street", "floors"]
    if addresses is None or not len(addresses) or not len(segments):
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "segment" else "float64") for c in columns})
    lines = segments.geometry.values
    points = addresses.geometry.values
    point_index, segment_index = shapely.STRtree(lines).query_nearest(points, max_distance=MAX_SNAP_DISTANCE_M, all_matches=False)
    matched = lines[segment_index]
    along = shapely.line_locate_point(matched, points[point_index])
    geometric = shapely.length(matched)
    step = np.minimum(1.0, geometric / 2)
    before = shapely.line_interpolate_point(matched, np.clip(along - step, 0, geometric))
    after = shapely.line_interpolate_point(matched, np.clip(along + step, 0, geometric))
    direction = shapely.get_coordinates(after) - shapely.get_coordinates(before)
    offset = shapely.get_coordinates(points[point_index]) - shapely.get_coordinates(before)
    cross = direction[:, 0] * offset[:, 1] - direction[:, 1] * offset[:, 0]
    scale = np.divide(segments["length_m"].to_numpy(float)[segment_index], geometric, out=np.ones(len(geometric)), where=geometric > 0)
    picked = addresses.iloc[point_index]
    housenumber = picked["housenumber"].astype("string") if "housenumber" in picked else pd.Series(pd.NA, index=picked.index, dtype="string")
    address_street = plain(picked["street_name"].astype("string")) if "street_name" in picked else pd.Series(pd.NA, index=picked.index, dtype="string")
    segment_street = plain(segments["street_name"].astype("string")).fillna("").to_numpy(object)[segment_index]
    weights = picked["n_addresses"].fillna(1.0).to_numpy(float) if "n_addresses" in picked else np.ones(len(picked))
    return pd.DataFrame({
        "segment": segment_index.astype(np.int64),
        "along_m": along * scale,
        "side": np.where(cross > 0, 1, -1),
        "weight": weights,
        "number": pd.to_numeric(housenumber.str.extract(r"^\s*(\d+)")[0], errors="coerce").to_numpy(float),
        "housenumber": housenumber.fillna("").str.strip().to_numpy(object),
        # A corner house snapped here but numbered on the cross street gives no number to this street.
        "street_ok": address_street.isna().to_numpy(bool) | (address_street.fillna("").to_numpy(object) == segment_street),
        "address_street": picked["street_name"].astype("string").fillna("").to_numpy(object) if "street_name" in picked else "",
        "floors": pd.to_numeric(picked["floors"], errors="coerce").to_numpy(float) if "floors" in picked else np.nan,
    })


# --- cutting --------------------------------------------------------------------------------------------------------------


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in _UNIT_COLUMNS.items()})


_UNIT_COLUMNS = {"segment": "int64", "kind": "object", "side": "object", "side_rank": "int64", "parity": "object", "first_number": "float64",
                 "last_number": "float64", "n_doors": "float64", "n_entries": "int64", "dwellings": "float64", "part": "int64", "n_parts": "int64",
                 "floors": "float64", "start_m": "float64", "end_m": "float64", "address": "object", "side_blocks": "int64", "odd": "object",
                 "even": "object"}


def _frame(**columns) -> pd.DataFrame:
    size = max((len(v) for v in columns.values() if isinstance(v, (np.ndarray, list))), default=1)
    defaults = {"kind": "street", "side": "both", "side_rank": 0, "parity": "", "first_number": np.nan, "last_number": np.nan, "n_entries": 0,
                "dwellings": np.nan, "part": 0, "n_parts": 1, "floors": np.nan, "address": "", "side_blocks": 1, "odd": "", "even": ""}
    data = {c: columns.get(c, defaults.get(c)) for c in _UNIT_COLUMNS}
    return pd.DataFrame({c: np.broadcast_to(np.asarray(v, dtype=object if _UNIT_COLUMNS[c] == "object" else None), (size,)).astype(_UNIT_COLUMNS[c])
                         for c, v in data.items()})


def _without_addresses(index: np.ndarray, length: np.ndarray, doors: np.ndarray, sizing: UnitSizing) -> pd.DataFrame:
    """Segments without address points: whole, or cut into equal stretches (doors spread along the length)."""
    if not len(index):
        return _empty()
    pieces = np.maximum(1, np.ceil(sizing.minutes(length[index], doors[index]) / sizing.max_minutes - 1e-9)).astype(np.int64)
    segment = np.repeat(index, pieces)
    count = pieces.repeat(pieces)
    rank = np.arange(len(segment)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    return _frame(segment=segment, kind=np.where(count > 1, "stretch", "street"), start_m=length[segment] * rank / count,
                  end_m=np.where(rank + 1 == count, length[segment], length[segment] * (rank + 1) / count), n_doors=doors[segment] / count,
                  side_blocks=count)


def _is_building(points: pd.DataFrame, sizing: UnitSizing) -> np.ndarray:
    """Address points that are apartment buildings: many dwellings, or more than half a unit of knocking."""
    doors = points["doors"].to_numpy(float)
    return (doors >= BUILDING_MIN_DWELLINGS) | (doors * sizing.minutes_per_door > sizing.max_minutes / 2)


def _whole_with_addresses(index: np.ndarray, points: pd.DataFrame, length: np.ndarray, doors: np.ndarray) -> pd.DataFrame:
    """Segments with addresses, no building, short enough to stay whole (most of them): one unit each, with its number ranges.

    The vectorised twin of the whole-segment branch of :func:`_with_addresses`.
    """
    if not len(index):
        return _empty()
    numbered = points[points["street_ok"].to_numpy(bool) & points["number"].notna().to_numpy()]
    parity = np.where(numbered["number"].to_numpy(float) % 2 == 1, "odd", "even")
    spans = numbered.groupby([numbered["segment"].to_numpy(), parity])["number"].agg(["min", "max"])
    text = np.where(spans["min"] == spans["max"], spans["min"].astype(int).astype(str),
                    spans["min"].astype(int).astype(str) + "–" + spans["max"].astype(int).astype(str))
    ranges = pd.Series(text, index=spans.index)
    odd = ranges.xs("odd", level=1).reindex(index).fillna("") if "odd" in parity else pd.Series("", index=index)
    even = ranges.xs("even", level=1).reindex(index).fillna("") if "even" in parity else pd.Series("", index=index)
    return _frame(segment=index, start_m=np.zeros(len(index)), end_m=length[index], n_doors=doors[index],
                  odd=odd.to_numpy(object), even=even.to_numpy(object))


def _with_addresses(segment: int, points: pd.DataFrame, length: float, doors: float, sizing: UnitSizing) -> pd.DataFrame:
    """One segment with address points: its buildings, then the rest whole, or by side and number range."""
    building = _is_building(points, sizing)
    parts = [_buildings(segment, points[building], length, sizing)]
    rest = points[~building]
    rest_doors = float(rest["doors"].sum())
    if rest_doors > 0 or not building.any():
        if sizing.minutes(length, rest_doors) <= sizing.max_minutes:
            odd, even = _ranges(rest)
            parts.append(_frame(segment=[segment], start_m=0.0, end_m=length, n_doors=rest_doors, odd=odd, even=even))
        else:
            for side, rank in ((1, 1), (-1, 2)):
                chain = rest[rest["side"] == side]
                if chain["doors"].sum() > 0:
                    parts.append(_side_blocks(segment, chain, length, side, rank, sizing))
    return pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else _empty()


def _buildings(segment: int, points: pd.DataFrame, length: float, sizing: UnitSizing) -> pd.DataFrame:
    """Each building as one unit, or as parts of equal size when it is more than one go."""
    if not len(points):
        return _empty()
    half = min(BUILDING_FRONTAGE_M, length) / 2
    start = np.clip(points["along_m"].to_numpy() - half, 0.0, max(length - 2 * half, 0.0))
    room = sizing.max_minutes - sizing.minutes_per_building - 2 * half / sizing.metres_per_minute
    capacity = max(1.0, math.floor(room / sizing.minutes_per_door)) if room > sizing.minutes_per_door else 1.0
    dwellings = points["doors"].to_numpy(float)
    n_parts = np.maximum(1, np.ceil(dwellings / capacity - 1e-9)).astype(np.int64)
    which = np.repeat(np.arange(len(points)), n_parts)
    part = np.arange(len(which)) - np.repeat(np.cumsum(n_parts) - n_parts, n_parts)
    numbers = points["number"].to_numpy(float)[which]
    street = points["address_street"].to_numpy(object)[which]
    address = [f"{h} {s}".strip() if h else "" for h, s in zip(points["housenumber"].to_numpy(object)[which], street)]
    return _frame(segment=np.full(len(which), segment), kind="building", side=np.where(points["side"].to_numpy()[which] > 0, "left", "right"),
                  side_rank=3, first_number=numbers, last_number=numbers, n_doors=dwellings[which] / n_parts[which], n_entries=1,
                  dwellings=dwellings[which], part=part + 1, n_parts=n_parts[which], floors=points["floors"].to_numpy(float)[which],
                  start_m=start[which], end_m=start[which] + 2 * half, address=np.asarray(address, dtype=object))


def _side_blocks(segment: int, chain: pd.DataFrame, length: float, side: int, rank: int, sizing: UnitSizing) -> pd.DataFrame:
    """One side of a segment cut into blocks along the street, each within the limit, cuts between addresses."""
    cuts = _cuts(length, chain["along_m"].to_numpy(float), chain["doors"].to_numpy(float), sizing)
    bounds = np.concatenate([[0.0], cuts, [length]])
    block = np.searchsorted(cuts, chain["along_m"].to_numpy(float), side="right")
    rows = []
    numbered = chain["street_ok"].to_numpy(bool) & ~np.isnan(chain["number"].to_numpy(float))
    numbers = chain["number"].to_numpy(float)
    parity = _parity(numbers[numbered])
    for b in range(len(bounds) - 1):
        mine = block == b
        values = numbers[mine & numbered]
        rows.append(dict(start_m=bounds[b], end_m=bounds[b + 1], n_doors=float(chain["doors"].to_numpy(float)[mine].sum()),
                         first_number=values.min() if len(values) else np.nan, last_number=values.max() if len(values) else np.nan))
    table = pd.DataFrame(rows)
    return _frame(segment=np.full(len(table), segment), kind="side", side="left" if side > 0 else "right", side_rank=rank, parity=parity,
                  first_number=table["first_number"].to_numpy(), last_number=table["last_number"].to_numpy(), n_doors=table["n_doors"].to_numpy(),
                  start_m=table["start_m"].to_numpy(), end_m=table["end_m"].to_numpy(), side_blocks=len(table))


def _cuts(length: float, along: np.ndarray, doors: np.ndarray, sizing: UnitSizing) -> np.ndarray:
    """Cut positions on [0, length] so that each block's service stays within the limit, blocks as even as possible.

    Candidate cuts lie midway between consecutive addresses, and every half a
    unit's walk along long empty stretches; the fewest blocks are found
    greedily, then their cuts are moved towards equal work when that keeps
    every block within the limit.
    """
    limit = sizing.max_minutes
    order = np.argsort(along, kind="stable")
    along, doors = along[order], doors[order]
    step = max(limit * sizing.metres_per_minute / 2, 1.0)
    grid = np.arange(step, length, step)
    middles = (along[1:] + along[:-1]) / 2
    candidates = np.unique(np.concatenate([middles[along[1:] > along[:-1]], grid]))
    candidates = candidates[(candidates > 0) & (candidates < length)]
    # Work (minutes) before each candidate: the walk to it and the doors before it.
    before = np.concatenate([[0.0], np.cumsum(doors)])[np.searchsorted(along, candidates, side="left")]
    work = candidates / sizing.metres_per_minute + before * sizing.minutes_per_door
    total = float(sizing.minutes(length, doors.sum()))
    greedy, done = [], 0.0
    while total - done > limit + 1e-9:
        reach = int(np.searchsorted(work, done + limit + 1e-9, side="right")) - 1
        if reach < 0 or work[reach] <= done + 1e-12:
            reach = int(np.searchsorted(work, done + 1e-12, side="right"))  # one address alone is over the limit
            if reach >= len(work):
                break
        greedy.append(reach)
        done = work[reach]
    k = len(greedy) + 1
    if k > 1:
        targets = total * np.arange(1, k) / k
        even = np.unique(np.clip(np.searchsorted(work, targets), 0, len(work) - 1))
        nearer = np.clip(even - 1, 0, None)
        even = np.where(np.abs(work[nearer] - targets[: len(even)]) < np.abs(work[even] - targets[: len(even)]), nearer, even) if len(even) == k - 1 else even
        blocks = np.diff(np.concatenate([[0.0], work[np.unique(even)], [total]]))
        if len(np.unique(even)) == k - 1 and blocks.max() <= limit + 1e-9:
            return candidates[np.unique(even)]
    return candidates[np.array(greedy, dtype=np.int64)]


# --- names ---------------------------------------------------------------------------------------------------------------


def _parity(numbers: np.ndarray) -> str:
    if not len(numbers):
        return ""
    even = float(np.mean(numbers % 2 == 0))
    return "pair" if even >= PARITY_MAJORITY else "impair" if even <= 1 - PARITY_MAJORITY else ""


def _ranges(points: pd.DataFrame) -> tuple[str, str]:
    """Odd and even house-number ranges of a whole segment's addresses (this street's numbers only)."""
    numbers = points.loc[points["street_ok"].to_numpy(bool), "number"].dropna().to_numpy(float)
    text = lambda values: "" if not len(values) else f"{int(values.min())}" if values.min() == values.max() else f"{int(values.min())}–{int(values.max())}"  # noqa: E731
    return text(numbers[numbers % 2 == 1]), text(numbers[numbers % 2 == 0])


def _ordinal(rank: int) -> str:
    return "1er" if rank == 1 else f"{rank}e"


def _compass(segments: gpd.GeoDataFrame, units: pd.DataFrame) -> np.ndarray:
    """'nord', 'est', 'sud' or 'ouest': where each unit's side of the street faces, from the segment's overall direction."""
    lines = segments.geometry.values[units["segment"].to_numpy()]
    a = shapely.get_coordinates(shapely.get_point(lines, 0))
    b = shapely.get_coordinates(shapely.get_point(lines, -1))
    dx, dy = (b - a).T
    sign = np.where(units["side"].to_numpy() == "left", 1.0, -1.0)
    angle = np.degrees(np.arctan2(sign * dx, -sign * dy))  # the left normal is (-dy, dx)
    names = np.array(["est", "nord", "ouest", "sud"])
    return names[(np.round(angle / 90).astype(int)) % 4]


def _cross_streets(segments: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per segment, a cross street at its first and at its last node ('' when none): where a stretch without numbers lies."""
    n = len(segments)
    names = segments["street_name"].astype("string").fillna("").to_numpy(object)
    if not {"node_from", "node_to"} <= set(segments.columns):
        return np.full(n, "", dtype=object), np.full(n, "", dtype=object)
    ends = pd.DataFrame({"node": np.concatenate([segments["node_from"].to_numpy(), segments["node_to"].to_numpy()]),
                         "name": np.concatenate([names, names])})
    at_node = ends[ends["name"] != ""].drop_duplicates().sort_values("name").groupby("node")["name"].agg(list)

    def cross(nodes: np.ndarray) -> np.ndarray:
        found = at_node.reindex(nodes)
        return np.array([next((x for x in (options if isinstance(options, list) else []) if x != own), "") for options, own in zip(found, names)],
                        dtype=object)

    return cross(segments["node_from"].to_numpy()), cross(segments["node_to"].to_numpy())


def _between(first: str, last: str) -> str:
    if first and last and first != last:
        return f" (entre {first} et {last})"
    return f" (près de {first or last})" if first or last else ""


def _labels(units: pd.DataFrame, segments: gpd.GeoDataFrame) -> list[str]:
    """How volunteers read a unit: 'Rue de Passy, n° 2–40 (côté pair)', 'Rue X, 2e tronçon (entre Rue A et Rue B)', '12 Rue Y (immeuble, 40 logements)'.

    A unit without house numbers also names the cross streets at its segment's ends, so that
    two stretches of one long street on a sheet cannot be mistaken for each other.
    """
    compass = _compass(segments, units) if len(units) else np.array([], dtype=object)
    cross_first, cross_last = _cross_streets(segments)
    between = [_between(a, b) for a, b in zip(cross_first[units["segment"].to_numpy()], cross_last[units["segment"].to_numpy()])]
    side_rank = units.groupby(["segment", "side", "kind"]).cumcount().to_numpy() + 1
    labels = []
    for row, facing, rank, where_on in zip(units.itertuples(index=False), compass, side_rank, between):
        street = row.street_name or "Voie sans nom"
        first, last = row.first_number, row.last_number
        numbers = "" if np.isnan(first) else f"n° {int(first)}" if first == last else f"n° {int(first)}–{int(last)}"
        if row.kind == "building":
            where = row.address or (f"{int(first)} {street}" if numbers else f"{street}, côté {facing}")
            floors = f", R+{int(row.floors)}" if not np.isnan(row.floors) else ""
            text = f"{where} (immeuble, {row.dwellings:.0f} logements{floors})"
            labels.append(text + (f", partie {row.part}/{row.n_parts}" if row.n_parts > 1 else ""))
        elif row.kind == "side":
            side = f"côté {row.parity}" if row.parity else f"côté {facing}"
            labels.append(f"{street}, {numbers} ({side})" if numbers else (f"{street}, {side}" + (f", {_ordinal(rank)} tronçon" if row.side_blocks > 1 else "")
                                                                           + where_on))
        elif row.kind == "stretch":
            labels.append(f"{street}, {_ordinal(rank)} tronçon{where_on}")
        else:
            ranges = " et ".join(r for r in (row.odd, row.even) if r)
            labels.append(f"{street}, n° {ranges}" if ranges else street + where_on)
    return labels


def _sub_lines(lines: np.ndarray, length: np.ndarray, units: pd.DataFrame) -> np.ndarray:
    """Each unit's part of its segment's line (the whole line when the unit spans it)."""
    seg = units["segment"].to_numpy()
    geometry = lines[seg].copy()
    start, end = units["start_m"].to_numpy(float), units["end_m"].to_numpy(float)
    partial = (start > 1e-9) | (end < length[seg] - 1e-9)
    geometric = shapely.length(lines)
    scale = np.divide(geometric, length, out=np.ones(len(length)), where=length > 0)
    for i in np.flatnonzero(partial):
        s = seg[i]
        geometry[i] = shapely.ops.substring(lines[s], start[i] * scale[s], end[i] * scale[s])
    return geometry
