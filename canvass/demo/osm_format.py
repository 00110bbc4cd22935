"""Write demo street networks as real OSM files, so that the demo goes through :func:`read_streets`.

Both writers take the same two tables:

- ``nodes``: columns ``id`` (int), ``lon``, ``lat`` (WGS84 degrees);
- ``ways``: columns ``id`` (int), ``node_ids`` (list of node ids, in order) and ``tags``
  (dict of OSM tags, e.g. ``{"highway": "residential", "name": "Rue de la Paix"}``).

Nodes are written before ways, each sorted by id, as OSM tools expect. Serialising is one
element at a time by nature; demo territories are a few thousand elements.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import osmium
import pandas as pd

GENERATOR = "canvass demo"
"""Value of the ``generator`` attribute (XML) or header field (PBF) of the files written here."""


def write_osm_xml(nodes: pd.DataFrame, ways: pd.DataFrame, path: str | Path) -> Path:
    """Write ``nodes`` and ``ways`` as an OSM XML 0.6 file and return its path.

    Every element carries ``version="1"`` and ``visible="true"``, as in files exported from the
    OSM API; coordinates are written with 7 decimals (OSM precision).
    """
    path = Path(path)
    root = ElementTree.Element("osm", version="0.6", generator=GENERATOR)
    for node_id, lon, lat in nodes.sort_values("id")[["id", "lon", "lat"]].itertuples(index=False):
        ElementTree.SubElement(
            root, "node", id=str(node_id), visible="true", version="1", lat=f"{lat:.7f}", lon=f"{lon:.7f}"
        )
    for way_id, node_ids, tags in ways.sort_values("id")[["id", "node_ids", "tags"]].itertuples(index=False):
        way = ElementTree.SubElement(root, "way", id=str(way_id), visible="true", version="1")
        for node_id in node_ids:
            ElementTree.SubElement(way, "nd", ref=str(node_id))
        for key, value in tags.items():
            ElementTree.SubElement(way, "tag", k=str(key), v=str(value))
    ElementTree.indent(root, space=" ")
    ElementTree.ElementTree(root).write(path, encoding="UTF-8", xml_declaration=True)
    return path


def write_osm_pbf(nodes: pd.DataFrame, ways: pd.DataFrame, path: str | Path) -> Path:
    """Write ``nodes`` and ``ways`` as an OSM PBF file with pyosmium and return its path.

    An existing file at ``path`` is replaced.
    """
    path = Path(path)
    header = osmium.io.Header()
    header.set("generator", GENERATOR)
    with osmium.SimpleWriter(str(path), header=header, overwrite=True) as writer:
        for node_id, lon, lat in nodes.sort_values("id")[["id", "lon", "lat"]].itertuples(index=False):
            writer.add_node(osmium.osm.mutable.Node(id=int(node_id), version=1, visible=True, location=(lon, lat)))
        for way_id, node_ids, tags in ways.sort_values("id")[["id", "node_ids", "tags"]].itertuples(index=False):
            writer.add_way(
                osmium.osm.mutable.Way(
                    id=int(way_id), version=1, visible=True, nodes=[int(node) for node in node_ids], tags=dict(tags)
                )
            )
    return path
