"""Cut one commune's streets out of a département OSM extract (PBF), streaming it twice with pyosmium.

The fallback of the Overpass route: keep the ways tagged ``highway`` that have a node inside
the commune contour or cross it, with all their nodes, as Overpass ``way(area)["highway"];>;``
does. Pass one hands Python only the ``highway`` ways (libosmium filters the rest and keeps
node locations in a disk-backed index, a temporary file); their node coordinates are tested
in batches, first against the contour's bounding box, then as lines against the contour.
Pass two writes the kept ways and their nodes. Memory holds one batch of ways and what belongs
to the commune, never the extract.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import osmium
import shapely

from canvass.errors import InputDataError

BATCH = 1 << 18
"""Way nodes gathered before a vectorised bounding-box test."""

_FIXED_POINT = 1e-7  # libosmium stores degrees as integers of 1e-7 degree
_UNDEFINED = 2**31 - 1  # libosmium's coordinate of a missing location


class _Candidates:
    """``highway`` ways whose bounding box meets the contour's, gathered a batch at a time."""

    def __init__(self, bounds: tuple[float, float, float, float]):
        self.bounds = np.asarray(bounds) / _FIXED_POINT
        self.ids: list[int] = []
        self.sizes: list[int] = []
        self.nodes: list[tuple[int, int, int]] = []
        self.kept: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (way ids, sizes, node table) per batch

    def add(self, way_id: int, nodes: list[tuple[int, int, int]]) -> None:
        if not nodes:
            return
        self.ids.append(way_id)
        self.sizes.append(len(nodes))
        self.nodes.extend(nodes)
        if len(self.nodes) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.ids:
            return
        ids, sizes = np.array(self.ids, dtype="int64"), np.array(self.sizes, dtype="int64")
        table = np.array(self.nodes, dtype="int64").reshape(-1, 3)
        self.ids, self.sizes, self.nodes = [], [], []
        located = np.where(table[:, 1:] == _UNDEFINED, np.nan, table[:, 1:].astype("float64"))
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        with np.errstate(invalid="ignore"):
            low, high = np.fmin.reduceat(located, starts), np.fmax.reduceat(located, starts)
        west, south, east, north = self.bounds
        meets = (low[:, 0] <= east) & (high[:, 0] >= west) & (low[:, 1] <= north) & (high[:, 1] >= south)
        if meets.any():
            self.kept.append((ids[meets], sizes[meets], table[np.repeat(meets, sizes)]))

    def touching(self, contour: shapely.Geometry) -> tuple[set[int], set[int]]:
        """Ids of the candidate ways that have a node inside ``contour`` or cross it, and of their nodes."""
        self.flush()
        if not self.kept:
            return set(), set()
        ids = np.concatenate([item[0] for item in self.kept])
        sizes = np.concatenate([item[1] for item in self.kept])
        table = np.concatenate([item[2] for item in self.kept])
        owner = np.repeat(np.arange(len(ids)), sizes)
        located = table[:, 1] != _UNDEFINED
        points = table[located, 1:] * _FIXED_POINT
        counts = np.bincount(owner[located], minlength=len(ids))
        hit = np.zeros(len(ids), dtype=bool)
        lines = counts >= 2
        if lines.any():
            keep = lines[owner[located]]
            renumbered = np.cumsum(lines) - 1
            geometries = shapely.linestrings(points[keep], indices=renumbered[owner[located][keep]])
            hit[lines] = shapely.intersects(geometries, contour)
        single = counts == 1
        if single.any():
            keep = single[owner[located]]
            hit[owner[located][keep]] = shapely.contains_xy(contour, points[keep, 0], points[keep, 1])
        return set(ids[hit].tolist()), set(table[hit[owner], 0].tolist())


def _select(source: Path, contour: shapely.Geometry, index: Path) -> tuple[set[int], set[int]]:
    """Ids of the ``highway`` ways with a node inside ``contour`` or crossing it, and of their nodes."""
    candidates = _Candidates(contour.bounds)
    processor = (
        osmium.FileProcessor(str(source), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations(f"sparse_file_array,{index}")
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    for way in processor:
        candidates.add(way.id, [(node.ref, node.x, node.y) for node in way.nodes])
    return candidates.touching(contour)


def clip_extract(source: Path, target: Path, contour: shapely.Geometry) -> tuple[int, int]:
    """Write to ``target`` the ``highway`` ways of ``source`` with a node inside ``contour`` (WGS84) or crossing it, and their nodes.

    The output format follows the target's name (``.osm.pbf`` or ``.osm``). Returns the numbers
    of ways and nodes written.

    Raises
    ------
    InputDataError
        pyosmium cannot read ``source`` (truncated or not a PBF).
    """
    shapely.prepare(contour)
    try:
        with tempfile.TemporaryDirectory(prefix="canvass-osm-") as scratch:
            ways, nodes = _select(source, contour, Path(scratch) / "locations.bin")
        temporary = target.with_name(f".part{os.getpid()}.{target.name}")  # the suffix gives the format
        counts = [0, 0]
        with osmium.SimpleWriter(str(temporary), overwrite=True) as writer:
            # Ids are tested in Python: libosmium's IdFilter holds a bitmap up to the largest node id (a gigabyte).
            for item in osmium.FileProcessor(str(source), osmium.osm.NODE | osmium.osm.WAY):
                if item.is_node():
                    if item.id in nodes:
                        writer.add_node(item)
                        counts[1] += 1
                elif item.id in ways:
                    writer.add_way(item)
                    counts[0] += 1
        temporary.replace(target)
    except RuntimeError as error:
        raise InputDataError(f"pyosmium cannot read the OSM extract ({str(error)[:120]})", source=source,
                             hint="the download is probably truncated: delete it from the cache and fetch again") from error
    return counts[0], counts[1]
