"""Volunteer teams: who walks, from where, for how long, at what pace."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Transformer

from canvass.crs import METRIC_CRS, WEB_CRS
from canvass.errors import InputDataError, PlanningError
from canvass.opendata._io import first_match, read_text_table, to_number
from canvass.scores.camps import plain

DEFAULT_SPEED_KMH = 3.5
"""Walking pace of canvassers between doors (slower than a commuter's 5 km/h)."""
DEFAULT_MINUTES_PER_DOOR = 1.0
"""Knock, wait, a short talk or a leaflet: most doors do not open."""
DEFAULT_MINUTES_PER_BUILDING = 3.0
"""Getting into an apartment building (digicode, interphone, a resident who opens), once per building."""

COLUMNS = {
    "name": ("name", "nom", "equipe", "équipe", "team"),
    "size": ("size", "taille", "nb", "volontaires", "members"),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "lng", "longitude"),
    "address": ("address", "adresse", "lieu", "meeting_place", "rendez-vous"),
    "place": ("point_de_rendez_vous", "lieu_de_rendez_vous", "place_name", "nom_du_lieu"),
    "minutes": ("minutes", "duree", "durée", "budget_min", "temps"),
    "speed_kmh": ("speed_kmh", "speed", "vitesse", "vitesse_kmh"),
    "minutes_per_door": ("minutes_per_door", "minutes_par_porte", "min_porte"),
    "return_to_start": ("return_to_start", "retour", "boucle"),
    "minutes_per_building": ("minutes_per_building", "minutes_entree_immeuble", "entree_immeuble", "min_immeuble"),
}


@dataclass(frozen=True)
class Team:
    """A team of volunteers: pairs knock together, so a team of 4 works two doors at once.

    ``start_xy`` is the meeting place in Lambert-93; ``place_name`` is how people call it
    ('Bureau 1 – Mairie', '12 rue Victor Hugo'), printed on sheets and maps ('' when unnamed).
    """

    name: str
    size: int
    start_xy: tuple[float, float]
    minutes: float
    speed_kmh: float = DEFAULT_SPEED_KMH
    minutes_per_door: float = DEFAULT_MINUTES_PER_DOOR
    return_to_start: bool = True
    minutes_per_building: float = DEFAULT_MINUTES_PER_BUILDING
    place_name: str = ""

    def __post_init__(self):
        problems = []
        if not self.name:
            problems.append("a team has no name")
        if self.size < 1:
            problems.append(f"team {self.name!r}: size {self.size} (at least 1 volunteer)")
        if not self.minutes > 0:
            problems.append(f"team {self.name!r}: {self.minutes} minutes (give a positive time budget, e.g. 120)")
        if not self.speed_kmh > 0:
            problems.append(f"team {self.name!r}: speed {self.speed_kmh} km/h (give a positive pace, e.g. 3.5)")
        if not self.minutes_per_door > 0:
            problems.append(f"team {self.name!r}: {self.minutes_per_door} minutes per door (give a positive time, e.g. 1)")
        if not self.minutes_per_building >= 0:
            problems.append(f"team {self.name!r}: {self.minutes_per_building} minutes to get into a building (give 0 or more, e.g. 3)")
        if not np.isfinite(self.start_xy).all():
            problems.append(f"team {self.name!r}: no meeting place")
        if problems:
            raise PlanningError("; ".join(problems))

    @property
    def n_pairs(self) -> int:
        """Pairs knocking in parallel (a lone volunteer counts as one)."""
        return max(1, self.size // 2)

    @property
    def metres_per_second(self) -> float:
        return self.speed_kmh / 3.6


def read_teams(path: Path, *, addresses: pd.DataFrame | None = None) -> list[Team]:
    """Read teams from a CSV: name, size, meeting place (lat/lon, or an address of the territory), minutes, pace.

    Column names may be English or French (``nom``, ``taille``, ``adresse``,
    ``minutes``, ``vitesse_kmh``, ``minutes_par_porte``). An address is looked up
    in the territory's address points (number and street, accents and case
    ignored), never online.

    Raises
    ------
    InputDataError
        Missing columns, an address not found, a meeting place given neither way.
    PlanningError
        Impossible values (zero minutes, no volunteer).
    """
    path = Path(path)
    raw = read_text_table(path)
    found = {key: first_match(list(raw.columns), names) for key, names in COLUMNS.items()}
    missing = [key for key in ("name", "minutes") if found[key] is None]
    if missing or (found["address"] is None and (found["lat"] is None or found["lon"] is None)):
        raise InputDataError(
            f"missing columns: {', '.join(missing) or 'lat/lon or address'}",
            source=path,
            where=f"columns: {', '.join(raw.columns)}",
            hint="teams.csv needs name, minutes, and a meeting place as lat + lon or address (size, speed_kmh, minutes_per_door, minutes_entree_immeuble optional)",
        )
    to_metric = Transformer.from_crs(WEB_CRS, METRIC_CRS, always_xy=True)
    teams = []
    for row_number, row in enumerate(raw.to_dict("records"), start=2):
        value = lambda key, default=None: row.get(found[key]) if found[key] and pd.notna(row.get(found[key])) else default  # noqa: E731
        number = lambda key, default: float(to_number(pd.Series([value(key)])).iloc[0]) if value(key) is not None else default  # noqa: E731
        place = str(value("place", "") or value("address", "") or "").strip()
        if value("lat") is not None and value("lon") is not None:
            lat, lon = number("lat", np.nan), number("lon", np.nan)
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise InputDataError(f"team {value('name')!r}: latitude/longitude {lat}, {lon} out of range", source=path, where=f"line {row_number}")
            start = to_metric.transform(lon, lat)
        elif value("address") is not None:
            start = geocode_address(str(value("address")), addresses, source=path, where=f"line {row_number}")
        else:
            raise InputDataError(f"team {value('name')!r} has no meeting place", source=path, where=f"line {row_number}", hint="give lat and lon, or an address of the commune")
        teams.append(
            Team(
                name=str(value("name", "")).strip(),
                size=int(number("size", 2)),
                start_xy=(float(start[0]), float(start[1])),
                minutes=number("minutes", np.nan),
                speed_kmh=number("speed_kmh", DEFAULT_SPEED_KMH),
                minutes_per_door=number("minutes_per_door", DEFAULT_MINUTES_PER_DOOR),
                return_to_start=str(value("return_to_start", "oui")).strip().lower() not in {"non", "no", "false", "0"},
                minutes_per_building=number("minutes_per_building", DEFAULT_MINUTES_PER_BUILDING),
                place_name=place,
            )
        )
    names = [team.name for team in teams]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise InputDataError("team names must be unique", source=path, codes=duplicated, hint="name each team once (they become the names of the maps and sheets)")
    return teams


def geocode_address(address: str, addresses: pd.DataFrame | None, *, source: Path | str | None = None, where: str | None = None) -> tuple[float, float]:
    """Find '12 rue Victor Hugo' among the territory's address points (offline), in Lambert-93.

    Raises
    ------
    InputDataError
        If the territory has no address points or the address is not among them (similar streets listed).
    """
    if addresses is None or len(addresses) == 0:
        raise InputDataError(f"address {address!r} cannot be looked up: the territory has no address points", source=source, where=where, hint="give lat and lon instead")
    wanted = plain(address).replace(",", " ")
    keys = (plain(addresses["housenumber"].astype("string").fillna("")) + " " + plain(addresses["street_name"].astype("string").fillna(""))).str.strip()
    hit = keys == " ".join(wanted.split())
    if not hit.any():
        street = plain(addresses["street_name"].astype("string").fillna(""))
        close = sorted(set(addresses.loc[street.str.contains(wanted.split()[-1], regex=False), "street_name"].dropna()))[:5]
        raise InputDataError(
            f"address {address!r} not found in the territory",
            source=source,
            where=where,
            codes=close,
            hint="write it as '<number> <street>' like the BAN does, or give lat and lon; similar streets are listed",
        )
    point = addresses.loc[hit].geometry.iloc[0]
    return point.x, point.y


def polling_places(bureaux: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Meeting places at the polling places: 'Bureau 3 – École Jules Ferry' → a point inside the bureau (Lambert-93)."""
    points = bureaux.geometry.representative_point()
    names = bureaux["name"].fillna("").astype(str)
    return {f"Bureau {label} – {name}".strip(" –"): (p.x, p.y) for label, name, p in zip(bureaux["label"], names, points)}


def teams_from_rows(rows: list[dict], places: dict[str, tuple[float, float]], addresses: pd.DataFrame | None) -> list[Team]:
    """Teams from the app's table rows (French keys): meeting place by name among ``places``, or by address.

    Raises
    ------
    InputDataError
        A meeting place that is neither a known place nor an address of the territory.
    PlanningError
        Impossible values (see :class:`Team`).
    """
    teams = []
    for row in rows:
        name = str(row.get("nom") or "").strip()
        if row.get("adresse"):
            start = geocode_address(str(row["adresse"]), addresses, source="équipes", where=f"team {name!r}")
            place = str(row["adresse"]).strip()
        elif row.get("rendez_vous") in places:
            start, place = places[row["rendez_vous"]], str(row["rendez_vous"])
        else:
            raise InputDataError(f"team {name!r} has no meeting place", hint="choose a polling place or type an address of the commune")
        building = row.get("minutes_entree_immeuble")
        teams.append(Team(name, int(row.get("taille") or 2), start, float(row["minutes"]),
                          float(row.get("vitesse_kmh") or DEFAULT_SPEED_KMH), float(row.get("minutes_par_porte") or DEFAULT_MINUTES_PER_DOOR),
                          minutes_per_building=DEFAULT_MINUTES_PER_BUILDING if building is None or pd.isna(building) else float(building),
                          place_name=place))
    return teams
