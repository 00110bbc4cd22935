"""The canvassing problem: planning units worth doors × priority, teams with time budgets, on the walking network.

The planner works on units (:mod:`canvass.plan.units`): blocks of doors a pair
can do in one go, cut from the street segments, and apartment buildings. The
walking network is cut where the units are, so that every unit is an arc
between two nodes like a segment (the blocks on the two sides of a stretch
are parallel arcs). Arrays are indexed by unit; ``segment_id`` holds the unit
ids (what a plan's steps and the field log name), ``parent_segment`` the
territory's segment ids.

Validated once by :func:`build_problem`, then immutable: every array is
read-only. What a later session does not want (units already done,
forbidden) is marked, not deleted, so that the plan can say why a street was
left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from canvass.errors import PlanningError
from canvass.plan.network import WalkingNetwork
from canvass.plan.teams import Team
from canvass.plan.units import DEFAULT_UNIT_MINUTES, DEFAULT_UNIT_SHARE, UnitSizing, expand_ids, planning_units

MAX_SNAP_M = 300.0
"""A meeting place further than this from every street of the territory is refused."""

OPEN, DONE, FORBIDDEN = 0, 1, 2
STATUS_NAMES = {OPEN: "open", DONE: "done", FORBIDDEN: "forbidden"}


@dataclass(frozen=True)
class PlanningProblem:
    """Planning units (arrays indexed by position), teams, and where each team starts on the network.

    ``segment_id`` are unit ids, ``parent_segment`` their street segments,
    ``label`` the names volunteers read, ``n_entries`` the buildings to get
    into; ``units`` is the units table with geometries (for maps and files).
    """

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
    parent_segment: np.ndarray
    n_entries: np.ndarray
    label: tuple[str, ...]
    units: gpd.GeoDataFrame = field(repr=False, compare=False)

    @property
    def n_segments(self) -> int:
        """Number of planning units (the name stays: the planner treats units as it treated segments)."""
        return len(self.segment_id)

    def knock_minutes(self, team: Team) -> np.ndarray:
        """Minutes ``team`` spends at the doors of each unit: every door (pairs in parallel), and getting into buildings."""
        return self.n_doors * team.minutes_per_door / team.n_pairs + self.n_entries * team.minutes_per_building

    def service_seconds(self, team: Team) -> np.ndarray:
        """Time for ``team`` to work each unit: walk its length once and knock every door (pairs in parallel)."""
        return self.length_m / team.metres_per_second + self.knock_minutes(team) * 60.0

    def beyond_every_session(self) -> np.ndarray:
        """Units whose work alone is longer than every team's session: no plan can serve them (should be none)."""
        spare = np.max([team.minutes * 60.0 - self.service_seconds(team) for team in self.teams], axis=0)
        return spare < 0

    def doors_out_of_reach(self) -> float:
        """Doors of open units that no team could do in one session."""
        return float(self.n_doors[self.beyond_every_session() & (self.status == OPEN)].sum())


def build_problem(
    segments: gpd.GeoDataFrame,
    segment_values: pd.DataFrame,
    teams: list[Team],
    *,
    addresses: gpd.GeoDataFrame | None = None,
    unit_minutes: float | None = DEFAULT_UNIT_MINUTES,
    unit_share: float = DEFAULT_UNIT_SHARE,
    done: set | frozenset = frozenset(),
    forbidden: set | frozenset = frozenset(),
    locked: dict | None = None,
    max_snap_m: float = MAX_SNAP_M,
) -> PlanningProblem:
    """Check the inputs, cut the segments into planning units and build the problem.

    Parameters
    ----------
    segments
        The territory's segments (``segment_id``, ``node_from``, ``node_to``,
        ``length_m``, ``street_name``, geometry in Lambert-93).
    segment_values
        ``segment_id``, ``n_doors`` and ``value`` (doors × priority), from scoring.
    teams
        At least one team.
    addresses
        The territory's address points, if any: sides, house numbers and buildings of the units.
    unit_minutes, unit_share
        Longest work of one unit, in minutes, and as a share of the shortest session
        (:class:`~canvass.plan.units.UnitSizing`); ``unit_minutes=None`` keeps every segment whole.
    done, forbidden
        Unit ids already canvassed, or not to be canvassed; a segment id stands
        for all its units (a field log of an earlier version).
    locked
        ``{unit or segment id: team name}``: units kept for one team.

    Raises
    ------
    PlanningError
        No team, no segment, duplicate team names, a meeting place too far from
        every street, unknown ids or team names in locks.
    """
    if not teams:
        raise PlanningError("no team: add at least one team (name, meeting place, minutes)")
    if len(segments) == 0:
        raise PlanningError("the territory has no street segment to plan on; add an OSM extract to its folder and build again")
    names = [team.name for team in teams]
    if len(set(names)) != len(names):
        raise PlanningError(f"team names must be unique: {', '.join(sorted({n for n in names if names.count(n) > 1}))}")
    segments = segments.reset_index(drop=True)
    units = planning_units(segments, segment_values, UnitSizing.from_teams(teams, unit_minutes=unit_minutes, unit_share=unit_share),
                           addresses=addresses)
    network, tail, head = _cut_network(segments, units)
    start_node, snap = network.nearest_node(np.array([team.start_xy for team in teams]))
    too_far = snap > max_snap_m
    if too_far.any():
        details = ", ".join(f"{teams[i].name} ({snap[i]:.0f} m)" for i in np.flatnonzero(too_far))
        raise PlanningError(
            f"meeting place too far from every street of the territory: {details}; "
            f"move it within {max_snap_m:.0f} m of a street, or check that latitude and longitude are not swapped"
        )
    ids = units["unit_id"].to_numpy(np.int64)
    chosen = {}
    unknown: set[int] = set()
    for what, given in (("done", done), ("forbidden", forbidden), ("locked", set(locked or {}))):
        chosen[what], missing = expand_ids(given, units, what=what)
        unknown |= missing
    if unknown:
        raise PlanningError(f"unknown segment ids in done/forbidden/locked: {', '.join(map(str, sorted(unknown)[:10]))}")
    status = np.full(len(ids), OPEN, dtype=np.int8)
    status[np.isin(ids, list(chosen["done"]))] = DONE
    status[np.isin(ids, list(chosen["forbidden"]))] = FORBIDDEN
    locked_team = np.full(len(ids), -1, dtype=np.int64)
    for key, team_name in (locked or {}).items():
        if team_name not in names:
            raise PlanningError(f"segment {key} is locked to unknown team {team_name!r}; teams are {', '.join(names)}")
        these, _ = expand_ids([key], units, what="locked")
        locked_team[np.isin(ids, list(these))] = names.index(team_name)
    arrays = dict(
        segment_id=ids,
        tail=tail,
        head=head,
        length_m=units["length_m"].to_numpy(float),
        n_doors=units["n_doors"].to_numpy(float),
        value=units["value"].to_numpy(float),
        status=status,
        locked_team=locked_team,
        start_node=start_node.astype(np.int64),
        start_snap_m=snap.astype(float),
        parent_segment=units["segment_id"].to_numpy(np.int64),
        n_entries=units["n_entries"].to_numpy(np.int64),
    )
    for array in arrays.values():
        array.flags.writeable = False
    return PlanningProblem(network=network, street_name=tuple(units["street_name"].astype(str)), teams=tuple(teams),
                           label=tuple(units["label"].astype(str)), units=units, **arrays)


POSITION_DECIMALS = 6
"""Cut positions are compared to the micrometre."""


def _cut_network(segments: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> tuple[WalkingNetwork, np.ndarray, np.ndarray]:
    """The walking network cut at every unit end, and each unit's tail and head on it.

    Segment ends keep one node per OSM node; each cut inside a segment is a new
    node, and the segment becomes a chain of pieces between its cuts.
    """
    n = len(segments)
    osm_nodes = np.concatenate([segments["node_from"].to_numpy(np.int64), segments["node_to"].to_numpy(np.int64)])
    unique, inverse = np.unique(osm_nodes, return_inverse=True)
    first, last = inverse[:n], inverse[n:]
    lines = segments.geometry.values
    end_xy = np.zeros((len(unique), 2))
    end_xy[inverse] = np.vstack([shapely.get_coordinates(shapely.get_point(lines, 0)), shapely.get_coordinates(shapely.get_point(lines, -1))])
    length = segments["length_m"].to_numpy(float)
    row_of = pd.Series(np.arange(n), index=segments["segment_id"].to_numpy(np.int64))
    unit_row = row_of.reindex(units["segment_id"].to_numpy(np.int64)).to_numpy()
    # Cut positions strictly inside a segment become nodes.
    ends = pd.DataFrame({
        "row": np.concatenate([unit_row, unit_row]),
        "position": np.round(np.concatenate([units["start_m"].to_numpy(float), units["end_m"].to_numpy(float)]), POSITION_DECIMALS),
    })
    inside = (ends["position"] > 0) & (ends["position"] < np.round(length[ends["row"].to_numpy()], POSITION_DECIMALS))
    cuts = ends[inside].drop_duplicates().sort_values(["row", "position"]).reset_index(drop=True)
    cuts["node"] = len(unique) + np.arange(len(cuts))
    geometric = shapely.length(lines)
    scale = np.divide(geometric, length, out=np.ones(n), where=length > 0)
    cut_points = shapely.line_interpolate_point(lines[cuts["row"].to_numpy()], cuts["position"].to_numpy() * scale[cuts["row"].to_numpy()])
    node_xy = np.vstack([end_xy, shapely.get_coordinates(cut_points).reshape(-1, 2)])
    # Each segment as a chain: first node, its cuts in order, last node.
    chain = pd.concat([
        pd.DataFrame({"row": np.arange(n), "position": 0.0, "order": 0, "node": first}),
        cuts.assign(order=1),
        pd.DataFrame({"row": np.arange(n), "position": length, "order": 2, "node": last}),
    ]).sort_values(["row", "order", "position"], kind="stable")
    row, node, position = chain["row"].to_numpy(), chain["node"].to_numpy(np.int64), chain["position"].to_numpy(float)
    same = row[1:] == row[:-1]
    network = WalkingNetwork.from_edges(node[:-1][same], node[1:][same], np.maximum(np.diff(position)[same], 0.0), node_xy)
    lookup = cuts.set_index(["row", "position"])["node"]

    def node_at(positions: np.ndarray, at_start: bool) -> np.ndarray:
        positions = np.round(positions, POSITION_DECIMALS)
        full = np.round(length[unit_row], POSITION_DECIMALS)
        key = pd.MultiIndex.from_arrays([unit_row, positions])
        inner = lookup.reindex(key).to_numpy()
        at_first, at_last = positions <= 0, positions >= full
        # A zero-length segment: its start is the first node, its end the last.
        if at_start:
            at_last &= ~at_first
        else:
            at_first &= ~at_last
        return np.where(at_first, first[unit_row], np.where(at_last, last[unit_row], np.nan_to_num(inner, nan=-1))).astype(np.int64)

    tail, head = node_at(units["start_m"].to_numpy(float), True), node_at(units["end_m"].to_numpy(float), False)
    return network, tail, head
