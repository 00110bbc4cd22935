"""Save a Territory as one GeoPackage, and read it back.

Spatial layers are GeoPackage feature tables (Lambert-93); the results and census
tables are GeoPackage attribute tables; provenance and warnings go to a
``metadata`` table as JSON. QGIS opens the file as it is.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from canvass.crs import METRIC_CRS
from canvass.errors import InputDataError
from canvass.territory.model import Territory

SPATIAL_LAYERS = ("bureaux", "iris", "segments", "addresses", "grid")
TABLE_LAYERS = ("results", "census")
STRING_COLUMNS = ("bureau_id", "commune", "label", "name", "iris_code", "iris_name", "iris_type", "candidate", "nuance",
                  "election", "street_name", "highway", "address_id", "housenumber", "source", "cell_id")
FORMAT_VERSION = 1


def save_territory(territory: Territory, path: Path) -> Path:
    """Write ``territory`` to the GeoPackage ``path`` (replaced if it exists) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    for name in SPATIAL_LAYERS + TABLE_LAYERS:
        frame = getattr(territory, name)
        if len(frame) == 0:
            continue
        if isinstance(frame, gpd.GeoDataFrame):
            frame.to_file(path, layer=name, driver="GPKG", engine="pyogrio")
        else:
            pyogrio.write_dataframe(pd.DataFrame(frame), path, layer=name, driver="GPKG")
    metadata = pd.DataFrame(
        {
            "key": ["format_version", "communes", "meta"],
            "value": [str(FORMAT_VERSION), json.dumps(list(territory.communes)), json.dumps(territory.meta, ensure_ascii=False, default=str)],
        }
    )
    pyogrio.write_dataframe(metadata, path, layer="metadata", driver="GPKG")
    return path


def load_territory(path: Path) -> Territory:
    """Read a territory written by :func:`save_territory`.

    Raises
    ------
    InputDataError
        If the file is missing or is not a canvass territory.
    """
    path = Path(path)
    if not path.exists():
        raise InputDataError("territory file not found", source=path, hint="build it first: canvass build DATA_FOLDER --commune CODE --out FILE")
    try:
        layers = {str(name) for name, _ in pyogrio.list_layers(path)}
    except Exception as error:
        raise InputDataError(f"not a GeoPackage ({error})", source=path, hint="give a file written by canvass build") from error
    if "metadata" not in layers:
        raise InputDataError("not a canvass territory (no metadata table)", source=path, hint="give a file written by canvass build")
    metadata = pyogrio.read_dataframe(path, layer="metadata").set_index("key")["value"]
    frames = {}
    for name in SPATIAL_LAYERS + TABLE_LAYERS:
        if name in layers:
            frame = pyogrio.read_dataframe(path, layer=name)
            frames[name] = _restore_types(frame)
        elif name in SPATIAL_LAYERS:
            frames[name] = gpd.GeoDataFrame(geometry=[], crs=METRIC_CRS)
        else:
            frames[name] = pd.DataFrame()
    return Territory(communes=tuple(json.loads(metadata["communes"])), meta=json.loads(metadata["meta"]), **frames)


def _restore_types(frame: pd.DataFrame) -> pd.DataFrame:
    """Codes back to strings (GeoPackage keeps them as text, this makes the dtype explicit)."""
    for column in STRING_COLUMNS:
        if column in frame.columns:
            frame[column] = frame[column].astype("string")
    return frame
