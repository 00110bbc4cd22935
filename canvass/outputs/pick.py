"""Points an organiser can pick on a map as a meeting place: polling places and street intersections."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from canvass.crs import METRIC_CRS, WEB_CRS
from canvass.plan.teams import polling_places
from canvass.territory.model import Territory


def meeting_point_candidates(territory: Territory) -> pd.DataFrame:
    """Polling places and street intersections (three streets or more), named for people, in both CRSs.

    Returns
    -------
    pandas.DataFrame
        ``kind`` (``bureau`` or ``carrefour``), ``name`` (``Bureau 3 – École…``,
        ``Rue A × Rue B``), ``x``, ``y`` (Lambert-93) and ``lon``, ``lat`` (WGS84, for the map).
    """
    places = polling_places(territory.bureaux)
    rows = [("bureau", name, x, y) for name, (x, y) in places.items()]
    segments = territory.segments
    if len(segments):
        ends = np.concatenate([segments["node_from"].to_numpy(), segments["node_to"].to_numpy()])
        names = np.concatenate([segments["street_name"].fillna("").to_numpy(), segments["street_name"].fillna("").to_numpy()])
        lines = segments.geometry.values
        xy = np.vstack([shapely.get_coordinates(shapely.get_point(lines, 0)), shapely.get_coordinates(shapely.get_point(lines, -1))])
        table = pd.DataFrame({"node": ends, "street": names, "x": xy[:, 0], "y": xy[:, 1]})
        degree = table.groupby("node")["street"].transform("size")
        crossings = table[degree >= 3]
        streets = crossings[crossings["street"] != ""].groupby("node")["street"].agg(lambda s: " × ".join(sorted(set(s))[:2]))
        located = crossings.drop_duplicates("node").set_index("node")
        for node, label in streets.items():
            if " × " in label:
                rows.append(("carrefour", label, located.at[node, "x"], located.at[node, "y"]))
    frame = pd.DataFrame(rows, columns=["kind", "name", "x", "y"]).drop_duplicates("name")
    web = gpd.GeoSeries(gpd.points_from_xy(frame["x"], frame["y"]), crs=METRIC_CRS).to_crs(WEB_CRS)
    return frame.assign(lon=web.x.to_numpy(), lat=web.y.to_numpy()).reset_index(drop=True)
