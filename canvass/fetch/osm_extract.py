"""Cut one commune's streets out of a département OSM extract (PBF), streaming it twice with pyosmium.

The fallback of the Overpass route: keep the ways tagged ``highway`` that have a node inside
the commune contour or cross it, with all their nodes, as Overpass ``way(area)["highway"];>;``
does. Pass one tests node locations in batches (only the ids of nodes inside the contour are
kept), then the ways: a way without a node inside whose bounding box meets the contour's is
tested as a line, from the node locations kept in a disk-backed index (a temporary file).
Pass two writes the kept ways and their nodes. Memory holds one batch of nodes and what
belongs to the commune, never the extract.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import osmium
import shapely

from canvass.errors import InputDataError

BATCH = 1 << 20
_FIXED_POINT = 1e-7  # libosmium stores degrees as integers of 1e-7 degree
_UNDEFINED = 2**31 - 1  # libosmium's coordinate of a missing location


class _Inside:
    """Node ids inside a polygon, tested a batch at a time (bounding box first, then the polygon)."""

    def __init__(self, contour: shapely.Geometry):
        self.contour = contour
        shapely.prepare(contour)
        self.bounds = np.asarray(contour.bounds) / _FIXED_POINT
        self.ids: list[np.ndarray] = []
        self.batch: list[tuple[int, int, int]] = []

    def add(self, node_id: int, x: int, y: int) -> None:
        if x == _UNDEFINED:
            return
        self.batch.append((node_id, x, y))
        if len(self.batch) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.batch:
            return
        table = np.array(self.batch, dtype="int64")
        self.batch = []
        west, south, east, north = self.bounds
        box = (table[:, 1] >= west) & (table[:, 1] <= east) & (table[:, 2] >= south) & (table[:, 2] <= north)
        table = table[box]
        hit = shapely.contains_xy(self.contour, table[:, 1] * _FIXED_POINT, table[:, 2] * _FIXED_POINT)
        self.ids.append(table[hit, 0])

    def result(self) -> set[int]:
        self.flush()
        return set(np.concatenate(self.ids).tolist()) if self.ids else set()


def _select(source: Path, contour: shapely.Geometry, index: Path) -> tuple[set[int], set[int]]:
    """Ids of the ``highway`` ways with a node inside ``contour`` or crossing it, and of their nodes."""
    inside = _Inside(contour)
    west, south, east, north = inside.bounds
    kept: set[int] = set()
    needed: set[int] = set()
    inside_ids: set[int] | None = None
    crossing: list[tuple[int, list[int], list[tuple[int, int]]]] = []
    processor = osmium.FileProcessor(str(source), osmium.osm.NODE | osmium.osm.WAY).with_locations(f"sparse_file_array,{index}")
    for item in processor:
        if item.is_node():
            inside.add(item.id, item.location.x, item.location.y)
            continue
        if inside_ids is None:  # PBF and OSM XML list every node before the first way
            inside_ids = inside.result()
        if "highway" not in item.tags:
            continue
        refs = [node.ref for node in item.nodes]
        if not inside_ids.isdisjoint(refs):
            kept.add(item.id)
            needed.update(refs)
            continue
        points = [(node.x, node.y) for node in item.nodes if node.x != _UNDEFINED]
        if len(points) >= 2:
            xs, ys = zip(*points)
            if min(xs) <= east and max(xs) >= west and min(ys) <= north and max(ys) >= south:
                crossing.append((item.id, refs, points))
    if crossing:
        coordinates = np.array([point for _, _, points in crossing for point in points], dtype="int64") * _FIXED_POINT
        owner = np.repeat(np.arange(len(crossing)), [len(points) for _, _, points in crossing])
        lines = shapely.linestrings(coordinates, indices=owner)
        for (way_id, refs, _), hit in zip(crossing, shapely.intersects(lines, contour)):
            if hit:
                kept.add(way_id)
                needed.update(refs)
    return kept, needed


def clip_extract(source: Path, target: Path, contour: shapely.Geometry) -> tuple[int, int]:
    """Write to ``target`` the ``highway`` ways of ``source`` with a node inside ``contour`` (WGS84) or crossing it, and their nodes.

    The output format follows the target's name (``.osm.pbf`` or ``.osm``). Returns the numbers
    of ways and nodes written.

    Raises
    ------
    InputDataError
        pyosmium cannot read ``source`` (truncated or not a PBF).
    """
    try:
        with tempfile.TemporaryDirectory(prefix="canvass-osm-") as scratch:
            kept_ways, needed = _select(source, contour, Path(scratch) / "locations.bin")
        temporary = target.with_name(f".part{os.getpid()}.{target.name}")  # the suffix gives the format
        counts = [0, 0]
        with osmium.SimpleWriter(str(temporary), overwrite=True) as writer:
            for item in osmium.FileProcessor(str(source), osmium.osm.NODE | osmium.osm.WAY):
                if item.is_node() and item.id in needed:
                    writer.add_node(item)
                    counts[1] += 1
                elif item.is_way() and item.id in kept_ways:
                    writer.add_way(item)
                    counts[0] += 1
        temporary.replace(target)
    except RuntimeError as error:
        raise InputDataError(f"pyosmium cannot read the OSM extract ({str(error)[:120]})", source=source,
                             hint="the download is probably truncated: delete it from the cache and fetch again") from error
    return counts[0], counts[1]
