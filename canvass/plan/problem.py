"""The canvassing problem: street segments worth doors × priority, teams with time budgets, on the walking network.

Validated once by :func:`build_problem`, then immutable: every array is
read-only. What a later session does not want (segments already done,
forbidden) is marked, not deleted, so that the plan can say why a street was
left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from canvass.errors import PlanningError
from canvass.plan.network import WalkingNetwork
from canvass.plan.teams import Team

MAX_SNAP_M = 300.0
"""A meeting place further than this from every street of the territory is refused."""

OPEN, DONE, FORBIDDEN = 0, 1, 2
STATUS_NAMES = {OPEN: "open", DONE: "done", FORBIDDEN: "forbidden"}


@dataclass(frozen=True)
class PlanningProblem:
    """Segments (arrays indexed by position), teams, and where each team starts on the network."""

    network: WalkingNetwork
    segment_id: np.ndarray
    tail: np.ndarray
    head: np.ndarray
    length_m: np.ndarray
    n_doors: np.ndarray
    value: np.ndarray
    street_name: tuple[str, ...]
    status: np.ndarray
    locked_team: np.ndarray
    teams: tuple[Team, ...]
    start_node: np.ndarray
    start_snap_m: np.ndarray

    @property
    def n_segments(self) -> int:
        return len(self.segment_id)

    def service_seconds(self, team: Team) -> np.ndarray:
        """Time for ``team`` to work each segment: walk its length once and knock every door (pairs in parallel)."""
        return self.length_m / team.metres_per_second + self.n_doors * team.minutes_per_door * 60.0 / team.n_pairs


def build_problem(
    segments: gpd.GeoDataFrame,
    segment_values: pd.DataFrame,
    teams: list[Team],
    *,
    done: set | frozenset = frozenset(),
    forbidden: set | frozenset = frozenset(),
    locked: dict | None = None,
    max_snap_m: float = MAX_SNAP_M,
) -> PlanningProblem:
    """Check the inputs and build the problem.

    Parameters
    ----------
    segments
        The territory's segments (``segment_id``, ``node_from``, ``node_to``,
        ``length_m``, ``street_name``, geometry in Lambert-93).
    segment_values
        ``segment_id``, ``n_doors`` and ``value`` (doors × priority), from scoring.
    teams
        At least one team.
    done, forbidden
        Segment ids already canvassed, or not to be canvassed.
    locked
        ``{segment_id: team name}``: segments kept for one team.

    Raises
    ------
    PlanningError
        No team, no segment, duplicate team names, a meeting place too far from
        every street, unknown segment ids or team names in locks.
    """
    if not teams:
        raise PlanningError("no team: add at least one team (name, meeting place, minutes)")
    if len(segments) == 0:
        raise PlanningError("the territory has no street segment to plan on; add an OSM extract to its folder and build again")
    names = [team.name for team in teams]
    if len(set(names)) != len(names):
        raise PlanningError(f"team names must be unique: {', '.join(sorted({n for n in names if names.count(n) > 1}))}")
    values = segments[["segment_id"]].merge(segment_values[["segment_id", "n_doors", "value"]], on="segment_id", how="left")
    values = values.fillna({"n_doors": 0.0, "value": 0.0})
    # Compact node numbering from the OSM ids; coordinates from the segment ends.
    osm_nodes = np.concatenate([segments["node_from"].to_numpy(np.int64), segments["node_to"].to_numpy(np.int64)])
    unique, inverse = np.unique(osm_nodes, return_inverse=True)
    tail, head = inverse[: len(segments)], inverse[len(segments):]
    lines = segments.geometry.values
    ends = np.vstack([shapely.get_coordinates(shapely.get_point(lines, 0)), shapely.get_coordinates(shapely.get_point(lines, -1))])
    node_xy = np.zeros((len(unique), 2))
    node_xy[inverse] = ends
    network = WalkingNetwork.from_edges(tail, head, segments["length_m"].to_numpy(float), node_xy)
    start_node, snap = network.nearest_node(np.array([team.start_xy for team in teams]))
    too_far = snap > max_snap_m
    if too_far.any():
        details = ", ".join(f"{teams[i].name} ({snap[i]:.0f} m)" for i in np.flatnonzero(too_far))
        raise PlanningError(
            f"meeting place too far from every street of the territory: {details}; "
            f"move it within {max_snap_m:.0f} m of a street, or check that latitude and longitude are not swapped"
        )
    ids = segments["segment_id"].to_numpy(np.int64)
    unknown = (set(done) | set(forbidden) | set(locked or {})) - set(ids.tolist())
    if unknown:
        raise PlanningError(f"unknown segment ids in done/forbidden/locked: {', '.join(map(str, sorted(unknown)[:10]))}")
    status = np.full(len(ids), OPEN, dtype=np.int8)
    status[np.isin(ids, list(done))] = DONE
    status[np.isin(ids, list(forbidden))] = FORBIDDEN
    locked_team = np.full(len(ids), -1, dtype=np.int64)
    for segment, team_name in (locked or {}).items():
        if team_name not in names:
            raise PlanningError(f"segment {segment} is locked to unknown team {team_name!r}; teams are {', '.join(names)}")
        locked_team[np.flatnonzero(ids == segment)] = names.index(team_name)
    arrays = dict(
        segment_id=ids,
        tail=tail.astype(np.int64),
        head=head.astype(np.int64),
        length_m=segments["length_m"].to_numpy(float),
        n_doors=values["n_doors"].to_numpy(float),
        value=values["value"].to_numpy(float),
        status=status,
        locked_team=locked_team,
        start_node=start_node.astype(np.int64),
        start_snap_m=snap.astype(float),
    )
    for array in arrays.values():
        array.flags.writeable = False
    return PlanningProblem(network=network, street_name=tuple(segments["street_name"].fillna("").astype(str)), teams=tuple(teams), **arrays)
