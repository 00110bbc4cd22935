"""Suggested meeting places: gather the teams where the best doors are, so that their time goes to knocking, not walking.

LMP's "key buildings". The *demand* is the set of units the teams could
serve: best value per minute of work first, until they hold ``DEMAND_FILL``
times the teams' time. Every candidate place (polling place, BAN address,
crossroads) covers each demand unit within walking reach, with a weight that
falls linearly from 1 at the place to 0 at the reach radius (a quarter of a
team's budget walked one way, so that the round trip takes at most half the
budget). Places are chosen greedily by the value they add to the places
already chosen, a unit counting once at its best place (facility location:
diminishing returns, so the places spread over the valuable areas). Teams are
then shared between the places in proportion to the value each covers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import scipy.sparse as sp
from pyproj import Transformer

from canvass.crs import METRIC_CRS, WEB_CRS
from canvass.errors import InputDataError
from canvass.plan.problem import MAX_SNAP_M, OPEN, PlanningProblem, build_problem
from canvass.plan.teams import Team, geocode_address, polling_places
from canvass.territory.model import Territory

ProgressCallback = Callable[[float, str], None]

KINDS = ("bureau", "carrefour", "adresse")
"""Kinds of candidate places, in order of preference when two fall on the same street corner."""
KIND_NAMES = {"all": KINDS, "tous": KINDS, "bureaux": ("bureau",), "bureau": ("bureau",), "polling": ("bureau",),
              "adresses": ("adresse",), "adresse": ("adresse",), "addresses": ("adresse",),
              "carrefours": ("carrefour",), "carrefour": ("carrefour",), "crossroads": ("carrefour",)}
DEMAND_FILL = 1.5
"""Work held by the demand units, relative to the teams' total time (room to choose, as the planner's turfs)."""
REACH_SHARE = 0.25
"""Share of a team's budget it may walk one way to reach a unit (the round trip takes at most half)."""
CHUNK = 256
"""Sources per Dijkstra call: bounds memory on large territories."""
STREET_TYPES = frozenset({"rue", "avenue", "boulevard", "place", "chemin", "allée", "impasse", "route", "quai", "cours", "square",
                          "passage", "venelle", "sentier", "résidence", "rond-point", "voie", "esplanade", "promenade", "parvis"})
_ADDRESS_LIKE = re.compile(r"^\s*\d+\s*(?:bis|ter|[a-d])?\s*,?\s+\D", re.IGNORECASE)


@dataclass(frozen=True)
class SuggestedPlace:
    """A meeting place: its name for people, where it is, the demand value and doors it covers, the teams sent there."""

    name: str
    kind: str
    xy: tuple[float, float]
    lat: float
    lon: float
    value: float
    n_doors: float
    teams: tuple[str, ...]


@dataclass(frozen=True)
class MeetingPlaceSuggestion:
    """Places chosen, best first, and the teams with their meeting places updated (same order as given)."""

    places: tuple[SuggestedPlace, ...]
    teams: tuple[Team, ...]
    radius_m: float
    demand_value: float

    @property
    def covered_value(self) -> float:
        return sum(place.value for place in self.places)

    def table(self) -> pd.DataFrame:
        """One row per place, French headers, for the app and the terminal."""
        rows = [
            {"Lieu": p.name, "Type": p.kind, "Latitude": round(p.lat, 6), "Longitude": round(p.lon, 6),
             "Valeur à portée": round(p.value, 1), "Portes à portée": int(round(p.n_doors)), "Équipes": ", ".join(p.teams)}
            for p in self.places
        ]
        return pd.DataFrame(rows, columns=["Lieu", "Type", "Latitude", "Longitude", "Valeur à portée", "Portes à portée", "Équipes"])

    def teams_table(self) -> pd.DataFrame:
        """The teams in the layout of ``equipes.csv`` (read back by :func:`~canvass.plan.teams.read_teams`), meeting places suggested."""
        place_of = {team: place for place in self.places for team in place.teams}
        return pd.DataFrame([
            {"nom": t.name, "taille": t.size, "point_de_rendez_vous": place_of[t.name].name, "lat": round(place_of[t.name].lat, 6),
             "lon": round(place_of[t.name].lon, 6), "minutes": t.minutes, "vitesse_kmh": t.speed_kmh, "minutes_par_porte": t.minutes_per_door,
             "minutes_entree_immeuble": t.minutes_per_building, "retour": "oui" if t.return_to_start else "non"}
            for t in self.teams
        ])

    def places_by_name(self) -> dict[str, tuple[float, float]]:
        """``{name: (x, y)}`` in Lambert-93, to join the app's meeting-place choices."""
        return {place.name: place.xy for place in self.places}

    def team_rows(self) -> list[dict]:
        """The app's team table rows (French keys) with each team's suggested meeting place."""
        place_of = {team: place.name for place in self.places for team in place.teams}
        return [{"nom": t.name, "taille": t.size, "rendez_vous": place_of[t.name], "adresse": "", "minutes": t.minutes,
                 "vitesse_kmh": t.speed_kmh, "minutes_par_porte": t.minutes_per_door} for t in self.teams]


def suggest_meeting_places(
    territory: Territory,
    segment_values: pd.DataFrame,
    teams: list[Team],
    n: int,
    *,
    candidates: str | Iterable[str] = "all",
    done: set | frozenset = frozenset(),
    problem_options: dict | None = None,
    seed: int = 0,
    on_progress: ProgressCallback | None = None,
) -> MeetingPlaceSuggestion:
    """Choose up to ``n`` meeting places that bring the teams' budgets closest to the best units, and send the teams there.

    Parameters
    ----------
    territory
        Segments (the walking network), bureaux, addresses.
    segment_values
        ``segment_id``, ``n_doors``, ``value`` as for :func:`~canvass.plan.problem.build_problem`.
    teams
        The teams (sizes, budgets, paces); their current meeting places are ignored.
    n
        Number of places, at most the number of teams. Fewer are returned when
        more places would cover no more value.
    candidates
        ``"all"``, or one or several of ``"bureaux"``, ``"adresses"``, ``"carrefours"``.
    done
        Unit (or segment) ids already canvassed: not worth gathering for.
    problem_options
        More keyword arguments of :func:`~canvass.plan.problem.build_problem`
        (``addresses``, ``unit_minutes``…), the same as the plan will use.
    seed
        Breaks ties between places of equal worth.

    Raises
    ------
    InputDataError
        ``n`` not between 1 and the number of teams, an unknown candidate kind,
        no candidate place near a street, or nothing left worth canvassing.
    """
    progress = on_progress or (lambda fraction, message: None)
    if not teams:
        raise InputDataError("no team to send to a meeting place", hint="add at least one team (name, size, minutes)")
    if not 1 <= int(n) <= len(teams):
        raise InputDataError(f"{n} meeting places asked for {len(teams)} teams", hint=f"ask for 1 to {len(teams)} places: each place needs a team")
    kinds = _kinds(candidates)
    anywhere = tuple(territory.segments.geometry.iloc[0].coords[0]) if len(territory.segments) else (0.0, 0.0)
    problem = build_problem(territory.segments, segment_values, [replace(team, start_xy=anywhere) for team in teams], done=done,
                            **(problem_options or {}))
    progress(0.05, "lieux possibles")
    places = candidate_places(territory, problem, kinds)
    demand = _demand(problem)
    if len(demand) == 0:
        raise InputDataError("no street with doors left to canvass", hint="check the scores, or the streets marked done")
    radius = float(np.median([team.metres_per_second * team.minutes * 60.0 * REACH_SHARE for team in teams]))
    progress(0.1, f"distances à pied de {len(places)} lieux possibles")
    cover = _coverage(problem, places["node"].to_numpy(), demand, radius, lambda f: progress(0.1 + 0.7 * f, "distances à pied"))
    weight = problem.value[demand]
    chosen = _greedy(cover, weight, int(n), np.random.default_rng(seed))
    progress(0.85, f"{len(chosen)} lieux choisis")
    attraction = cover[chosen].toarray()
    best = attraction.argmax(axis=0)
    covered = attraction.max(axis=0) > 0
    value = np.bincount(best[covered], weights=weight[covered], minlength=len(chosen))
    doors = np.bincount(best[covered], weights=problem.n_doors[demand][covered], minlength=len(chosen))
    team_place = _share_teams(teams, value)
    to_web = Transformer.from_crs(METRIC_CRS, WEB_CRS, always_xy=True)
    result = []
    for rank, index in enumerate(chosen):
        row = places.iloc[index]
        lon, lat = to_web.transform(row["x"], row["y"])
        names = tuple(team.name for team, place in zip(teams, team_place) if place == rank)
        result.append(SuggestedPlace(row["name"], row["kind"], (float(row["x"]), float(row["y"])), float(lat), float(lon),
                                     float(value[rank]), float(doors[rank]), names))
    moved = tuple(replace(team, start_xy=result[place].xy) for team, place in zip(teams, team_place))
    progress(1.0, "lieux de rendez-vous proposés")
    return MeetingPlaceSuggestion(tuple(result), moved, radius, float(weight.sum()))


def candidate_places(territory: Territory, problem: PlanningProblem, kinds: Iterable[str] = KINDS) -> pd.DataFrame:
    """Candidate meeting places near the network: ``kind``, ``name``, ``x``, ``y`` (Lambert-93), ``node``; one per network node.

    Polling places are the bureaux' polling-place addresses where a bureaux
    column holds addresses found among the territory's, else points inside the
    bureaux snapped to the nearest street corner. Addresses are named after
    the BAN point nearest each corner; crossroads after two of their streets.

    Raises
    ------
    InputDataError
        If no candidate of the kinds asked lies within reach of a street.
    """
    frames = []
    if "bureau" in kinds and len(territory.bureaux):
        frames.append(_polling_place_candidates(territory, problem))
    if "carrefour" in kinds:
        frames.append(_crossroads(territory, problem))
    if "adresse" in kinds and len(territory.addresses):
        frames.append(_address_candidates(territory, problem))
    frame = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else pd.DataFrame()
    if frame.empty:
        raise InputDataError(f"no candidate meeting place ({', '.join(kinds)}) within {MAX_SNAP_M:.0f} m of a street",
                             hint="allow other kinds of places (candidates='all')")
    frame["rank"] = frame["kind"].map({kind: i for i, kind in enumerate(KINDS)})
    frame = frame.sort_values(["rank", "snap_m"], kind="stable").drop_duplicates("node")
    return frame.drop(columns=["rank", "snap_m"]).reset_index(drop=True)


def _kinds(candidates: str | Iterable[str]) -> tuple[str, ...]:
    asked = [candidates] if isinstance(candidates, str) else list(candidates)
    unknown = [kind for kind in asked if str(kind).lower() not in KIND_NAMES]
    if unknown or not asked:
        raise InputDataError(f"unknown kind of meeting place: {', '.join(map(str, unknown)) or 'none given'}",
                             hint="use all, bureaux, adresses or carrefours")
    return tuple(kind for kind in KINDS if any(kind in KIND_NAMES[str(a).lower()] for a in asked))


def _polling_place_candidates(territory: Territory, problem: PlanningProblem) -> pd.DataFrame:
    places = polling_places(territory.bureaux)
    names, xy = list(places), np.array(list(places.values()), dtype=float)
    snapped = np.ones(len(names), dtype=bool)
    column = _address_column(territory.bureaux)
    if column is not None and len(territory.addresses):
        for i, text in enumerate(territory.bureaux[column]):
            try:
                xy[i] = geocode_address(str(text), territory.addresses)
                snapped[i] = False
            except (InputDataError, TypeError):
                continue  # not found among the territory's addresses: the point inside the bureau stands
    node, distance = problem.network.nearest_node(xy)
    xy = np.where(snapped[:, None], problem.network.node_xy[node], xy)
    frame = pd.DataFrame({"kind": "bureau", "name": names, "x": xy[:, 0], "y": xy[:, 1], "node": node, "snap_m": np.where(snapped, 0.0, distance)})
    return frame[frame["snap_m"] <= MAX_SNAP_M]


def _address_column(bureaux: pd.DataFrame) -> str | None:
    """A bureaux column whose values mostly read like street addresses ('12 rue …'), found by content."""
    for column in bureaux.columns.drop(["bureau_id", "commune", "label", "geometry"], errors="ignore"):
        values = bureaux[column].dropna()
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            text = values.astype(str)
            if len(text) and text.str.match(_ADDRESS_LIKE).mean() >= 0.5:
                return column
    return None


def _crossroads(territory: Territory, problem: PlanningProblem) -> pd.DataFrame:
    """Corners where at least two named streets meet: 'carrefour rue A / rue B'."""
    names = np.asarray(problem.street_name, dtype=object)
    table = pd.DataFrame({"node": np.concatenate([problem.tail, problem.head]), "street": np.concatenate([names, names])})
    table = table[table["street"] != ""].drop_duplicates()
    streets = table.groupby("node")["street"].agg(lambda s: sorted(s)[:2])
    streets = streets[streets.str.len() >= 2]
    nodes = streets.index.to_numpy(np.int64)
    xy = problem.network.node_xy[nodes]
    labels = [f"carrefour {_lower_type(a)} / {_lower_type(b)}" for a, b in streets]
    return pd.DataFrame({"kind": "carrefour", "name": labels, "x": xy[:, 0], "y": xy[:, 1], "node": nodes, "snap_m": 0.0})


def _address_candidates(territory: Territory, problem: PlanningProblem) -> pd.DataFrame:
    """The address nearest each street corner that has one: 'près du 29 rue X'."""
    addresses = territory.addresses
    addresses = addresses[addresses["housenumber"].notna() & addresses["street_name"].notna()]
    xy = np.column_stack([addresses.geometry.x.to_numpy(), addresses.geometry.y.to_numpy()])
    if len(xy) == 0:
        return pd.DataFrame(columns=["kind", "name", "x", "y", "node", "snap_m"])
    node, distance = problem.network.nearest_node(xy)
    labels = "près du " + addresses["housenumber"].astype(str).str.strip() + " " + addresses["street_name"].astype(str).map(_lower_type)
    frame = pd.DataFrame({"kind": "adresse", "name": labels.to_numpy(), "x": xy[:, 0], "y": xy[:, 1], "node": node, "snap_m": distance})
    return frame[frame["snap_m"] <= MAX_SNAP_M].sort_values("snap_m", kind="stable").drop_duplicates("node")


def _lower_type(street: str) -> str:
    """'Rue de Brest' → 'rue de Brest' after a preposition; names without a street type stay as they are."""
    first, _, rest = street.partition(" ")
    return f"{first.lower()} {rest}".strip() if first.lower() in STREET_TYPES else street


def _demand(problem: PlanningProblem) -> np.ndarray:
    """Open units with doors, best value per minute of work first, until they hold DEMAND_FILL × the teams' time."""
    open_ = np.flatnonzero((problem.status == OPEN) & (problem.value > 0) & (problem.n_doors > 0))
    work = np.mean([problem.service_seconds(team) for team in problem.teams], axis=0)[open_]
    order = np.argsort(-problem.value[open_] / np.maximum(work, 1e-9), kind="stable")
    capacity = DEMAND_FILL * sum(team.minutes * 60.0 for team in problem.teams)
    cumulative = np.cumsum(work[order])
    return open_[order[: int(np.searchsorted(cumulative, capacity)) + 1]]


def _coverage(problem: PlanningProblem, nodes: np.ndarray, demand: np.ndarray, radius: float, progress: Callable[[float], None]) -> sp.csr_matrix:
    """Places × demand units: 1 − walking distance / radius where positive (distance to the nearer end of the unit)."""
    blocks = []
    for start in range(0, len(nodes), CHUNK):
        distance = problem.network.distances(nodes[start: start + CHUNK], limit=radius)
        near = np.minimum(distance[:, problem.tail[demand]], distance[:, problem.head[demand]])
        weight = np.where(np.isfinite(near), np.maximum(0.0, 1.0 - near / radius), 0.0)
        blocks.append(sp.csr_matrix(weight.astype(np.float32)))
        progress(min(1.0, (start + CHUNK) / len(nodes)))
    return sp.vstack(blocks, format="csr")


def _greedy(cover: sp.csr_matrix, weight: np.ndarray, n: int, rng: np.random.Generator) -> list[int]:
    """Places in order of the weighted cover they add to the places already chosen; stops when none adds any."""
    best = np.zeros(cover.shape[1])
    chosen: list[int] = []
    jitter = rng.permutation(cover.shape[0])  # equal gains: a seeded order, not the file's
    rows = np.repeat(np.arange(cover.shape[0]), np.diff(cover.indptr))
    for _ in range(n):
        gain_data = np.maximum(0.0, cover.data - best[cover.indices]) * weight[cover.indices]
        gain = np.bincount(rows, weights=gain_data, minlength=cover.shape[0])
        gain[chosen] = -1.0
        top = gain.max()
        if top <= 1e-12:
            break
        pick = int(jitter[np.flatnonzero(gain[jitter] >= top - 1e-9 * max(1.0, top))[0]])
        chosen.append(pick)
        best = np.maximum(best, cover[pick].toarray().ravel())
    if not chosen:
        raise InputDataError("no candidate meeting place reaches a street worth canvassing", hint="allow other kinds of places (candidates='all')")
    return chosen


def _share_teams(teams: list[Team], value: np.ndarray) -> np.ndarray:
    """Index of each team's place: one team per place first (largest to richest), then each to the place furthest below its share of work."""
    capacity = np.array([team.minutes * team.n_pairs for team in teams], dtype=float)
    order = np.argsort(-capacity, kind="stable")
    target = capacity.sum() * value / value.sum() if value.sum() > 0 else np.full(len(value), capacity.sum() / len(value))
    assigned = np.zeros(len(value))
    place = np.full(len(teams), -1)
    for rank, team in enumerate(order):
        choice = int(np.argsort(-value, kind="stable")[rank]) if rank < len(value) else int(np.argmax(target - assigned))
        place[team] = choice
        assigned[choice] += capacity[team]
    return place
