"""Teams of each commune of a batch: from a rule on registered voters, or from one file with a commune column."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from canvass.crs import METRIC_CRS, WEB_CRS
from canvass.errors import InputDataError
from canvass.opendata._io import read_text_table
from canvass.opendata.sniff import commune_text, find_commune_columns
from canvass.plan.teams import DEFAULT_MINUTES_PER_DOOR, DEFAULT_SPEED_KMH, Team
from canvass.territory.model import Territory

RULE_KEYS = {"taille": "size", "inscrits": "per_registered", "minutes": "minutes", "vitesse_kmh": "speed_kmh",
             "minutes_par_porte": "minutes_per_door", "max": "max_teams"}
"""French names of the rule's settings, as written in ``--teams-rule``."""


@dataclass(frozen=True)
class TeamsRule:
    """One team of ``size`` volunteers per ``per_registered`` registered voters (at least one, at most ``max_teams``).

    Teams meet at the commune's polling places in turn: for each bureau with
    streets (by key), the street point nearest to a point inside the bureau.
    """

    size: int = 2
    per_registered: float = 1000.0
    minutes: float = 120.0
    speed_kmh: float = DEFAULT_SPEED_KMH
    minutes_per_door: float = DEFAULT_MINUTES_PER_DOOR
    max_teams: int = 200

    def __post_init__(self):
        if self.size < 1 or not self.per_registered > 0 or not self.minutes > 0 or self.max_teams < 1:
            raise InputDataError(f"teams rule {self.describe()} not understood",
                                 hint="give positive values, e.g. --teams-rule taille=2,inscrits=1000,minutes=120")

    @classmethod
    def parse(cls, text: str) -> TeamsRule:
        """Read ``taille=2,inscrits=1000,minutes=120`` (also ``vitesse_kmh``, ``minutes_par_porte``, ``max``)."""
        values = {}
        for item in filter(None, (part.strip() for part in text.split(","))):
            key, separator, value = item.partition("=")
            if not separator or key.strip() not in RULE_KEYS:
                raise InputDataError(f"teams rule item {item!r} not understood",
                                     hint=f"write KEY=VALUE pairs separated by commas, keys among {', '.join(RULE_KEYS)}")
            try:
                values[RULE_KEYS[key.strip()]] = float(value)
            except ValueError as error:
                raise InputDataError(f"teams rule item {item!r}: {value!r} is not a number") from error
        for name in ("size", "max_teams"):
            if name in values:
                values[name] = int(values[name])
        return cls(**values)

    def describe(self) -> str:
        """The rule in the words of ``--teams-rule``."""
        return (f"taille={self.size},inscrits={self.per_registered:g},minutes={self.minutes:g},vitesse_kmh={self.speed_kmh:g},"
                f"minutes_par_porte={self.minutes_per_door:g},max={self.max_teams}")

    def n_teams(self, registered: float) -> int:
        """Teams for ``registered`` voters."""
        return int(min(self.max_teams, max(1, math.ceil(registered / self.per_registered))))

    def teams(self, territory: Territory, registered: float) -> list[Team]:
        """The commune's teams, meeting in turn at :func:`meeting_places`."""
        places = meeting_places(territory)
        return [Team(f"Équipe {i + 1}", self.size, places[i % len(places)], self.minutes, speed_kmh=self.speed_kmh,
                     minutes_per_door=self.minutes_per_door) for i in range(self.n_teams(registered))]


def meeting_places(territory: Territory) -> list[tuple[float, float]]:
    """One meeting place per bureau with streets (all bureaux when there is no street), sorted by bureau key, in Lambert-93.

    On streets, the point of the nearest street to a point inside the bureau, so that
    every team starts on the walking network.
    """
    bureaux = territory.bureaux.sort_values("bureau_id")
    segments = territory.segments
    if len(segments):
        bureaux = bureaux[bureaux["bureau_id"].isin(segments["bureau_id"])]
    points = bureaux.geometry.representative_point().values
    if len(segments):
        lines = segments.geometry.values
        nearest = shapely.STRtree(lines).query_nearest(points, return_distance=False, all_matches=False)[1]
        points = shapely.line_interpolate_point(lines[nearest], shapely.line_locate_point(lines[nearest], points))
    return [(float(x), float(y)) for x, y in shapely.get_coordinates(points)]


def write_teams(teams: list[Team], path: Path) -> Path:
    """Write ``teams`` as the ``equipes.csv`` that ``canvass plan --teams`` reads (``;``, lat/lon in WGS84)."""
    to_web = Transformer.from_crs(METRIC_CRS, WEB_CRS, always_xy=True)
    lon, lat = to_web.transform(np.array([t.start_xy[0] for t in teams]), np.array([t.start_xy[1] for t in teams]))
    frame = pd.DataFrame({
        "nom": [t.name for t in teams], "taille": [t.size for t in teams], "lat": np.round(lat, 6), "lon": np.round(lon, 6),
        "minutes": [t.minutes for t in teams], "vitesse_kmh": [t.speed_kmh for t in teams], "minutes_par_porte": [t.minutes_per_door for t in teams],
    })
    frame.to_csv(path, sep=";", index=False, encoding="utf-8")
    return path


def teams_by_commune(path: Path, communes: list[str]) -> dict[str, pd.DataFrame]:
    """Split a teams file with a commune column into one table per commune (the commune column found by its values).

    Raises
    ------
    InputDataError
        If no column holds INSEE commune codes.
    """
    path = Path(path)
    table = read_text_table(path)
    columns = find_commune_columns(table, communes)
    if not columns:
        raise InputDataError("no column of INSEE commune codes in the teams file", source=path, where=f"columns: {', '.join(table.columns)}",
                             hint="add a commune column (e.g. 04070) to say which commune each team canvasses")
    commune = commune_text(table[columns[0]])
    rest = table.drop(columns=columns[0])
    return {str(code): rest[commune == code].reset_index(drop=True) for code in commune.dropna().unique()}
