"""Cut one commune's streets out of a département OSM extract (PBF), streaming it twice with pyosmium.

The fallback of the Overpass route: keep the ways tagged ``highway`` that have a node inside
the commune contour, with all their nodes, as Overpass ``way(area)["highway"];>;`` does.
Pass one reads node locations in batches (only the ids of nodes inside the contour are kept)
and then the ways (only the kept ways' node ids are kept); pass two writes those nodes and
ways. Nothing grows with the size of the extract but one batch of nodes.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import osmium
import shapely

from canvass.errors import InputDataError

BATCH = 1 << 20
_FIXED_POINT = 1e-7  # libosmium stores degrees as integers of 1e-7 degree


class _Inside:
    """Node ids inside a polygon, tested a batch at a time (bounding box first, then the polygon)."""

    def __init__(self, contour: shapely.Geometry):
        self.contour = contour
        shapely.prepare(contour)
        self.bounds = np.asarray(contour.bounds) / _FIXED_POINT
        self.ids: list[np.ndarray] = []
        self.batch: list[tuple[int, int, int]] = []

    def add(self, node_id: int, x: int, y: int) -> None:
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


def clip_extract(source: Path, target: Path, contour: shapely.Geometry) -> tuple[int, int]:
    """Write to ``target`` the ``highway`` ways of ``source`` with a node inside ``contour`` (WGS84), and their nodes.

    The output format follows the target's name (``.osm.pbf`` or ``.osm``). Returns the numbers
    of ways and nodes written.

    Raises
    ------
    InputDataError
        pyosmium cannot read ``source`` (truncated or not a PBF).
    """
    try:
        inside = _Inside(contour)
        kept_ways: set[int] = set()
        needed: set[int] = set()
        inside_ids: set[int] | None = None
        first = osmium.FileProcessor(str(source), osmium.osm.NODE | osmium.osm.WAY)
        for item in first:
            if item.is_node():
                if item.location.valid():
                    inside.add(item.id, item.location.x, item.location.y)
                continue
            if inside_ids is None:  # PBF and OSM XML list every node before the first way
                inside_ids = inside.result()
            if "highway" in item.tags:
                refs = [node.ref for node in item.nodes]
                if not inside_ids.isdisjoint(refs):
                    kept_ways.add(item.id)
                    needed.update(refs)
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
