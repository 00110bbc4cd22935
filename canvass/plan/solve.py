"""Plan the walks: choose and order the units each team canvasses.

Every team is planned in one instance (each unit allowed only to the teams
that can reach it) unless more than :data:`DECOMPOSE_ABOVE` units are within
reach: then regions first (:func:`regions`), each meeting place drawing the
units nearest it (value first) until they hold three times its teams' minutes of
work, its teams planned together on that region (sectors when one place's
region would still be too large). Memory then grows with the largest region,
not with the whole territory. The search starts from a greedy plan (best value per minute first,
the first feasible plan reported); OR-Tools' guided local search reorders it
(instances up to :data:`ORTOOLS_MAX_UNITS` units), then the prize-collecting
improvement phase (:mod:`canvass.plan.improve`) chooses which units are served,
for :data:`IMPROVE_SHARE` of the time (all of it on larger instances). The
final plan is re-checked by the independent checker.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from canvass.errors import PlanningError
from canvass.plan import engine
from canvass.plan.bounds import plan_bounds
from canvass.plan.check import check_plan
from canvass.plan.improve import improve
from canvass.plan.construct import greedy_orienteering
from canvass.plan.problem import DONE, FORBIDDEN, PlanningProblem
from canvass.plan.result import Plan, Step, TeamWalk

ProgressCallback = Callable[[float, str], None]

VALUE_SCALE = 10_000
"""Metres of walking one unit of value (a door of top priority) is worth: serving dominates, walking breaks ties."""
DECOMPOSE_ABOVE = 500
"""Units within reach above which the problem is planned regions first (:func:`regions`). Measured at 60 s on a loaded
machine: regions keep or beat the whole model everywhere (demo 30 teams 0.702 vs 0.699; Paris 16e 30 teams 0.852 vs 0.85;
2,000 and 3,000-segment cuts of the Paris extract 0.78 vs 0.67 and 0.55), with a first plan in under a second and the
memory of the largest region."""
ORTOOLS_MAX_UNITS = 500
"""Units above which OR-Tools' model is not built: its dense matrices grow with their square (1,266 units: 550 MiB and 20 s to
build on a loaded machine) and it adds nothing measurable there (demo, 30 teams, 60 s: 0.702 of the bound with it, 0.699
without); the improvement phase alone searches."""
REGION_FILL = 3.0
"""Work (service time) a region holds, relative to its teams' budgets: room for the search to choose (walking between units takes the rest)."""
IMPROVE_SHARE = 0.8
"""Share of each search's time given to the improvement phase after OR-Tools (measured: OR-Tools adds 2–4 % to the greedy
start, the improvement phase 10 % and more)."""
REGION_VALUE_WEIGHT = 1.0
"""How much value brings a unit nearer a meeting place when regions are drawn: distance ÷ (value density ÷ mean) ** this
(measured at 30 s on the 3,000-segment cut: 0.55 with 1.0 and a fill of 3, 0.52 with a fill of 2, 0.44 with 0.5 and 2)."""
UNREACHABLE_M = 10_000_000
"""Metres standing for "no path" in the model (OR-Tools wants finite costs)."""
WRAP_UP_SHARE = 0.1
"""Share of the time kept for turning routes into walks, re-checking them and the bound (5–7 s of a minute on the 5,069-segment
extract on a loaded machine), so that the whole plan keeps to the time limit."""
LOCK_BONUS = 100.0
"""Prize multiplier of a segment locked to a team: served first unless truly out of reach."""


def plan_walks(
    problem: PlanningProblem,
    *,
    time_limit_s: float = 30.0,
    seed: int = 0,
    decompose_above: int = DECOMPOSE_ABOVE,
    search: bool = True,
    improve_share: float = IMPROVE_SHARE,
    on_progress: ProgressCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Plan:
    """Plan every team's walk within ``time_limit_s`` seconds (sooner if ``should_stop()`` turns true).

    ``search=False`` stops at the greedy start (see :func:`greedy_plan`);
    ``improve_share`` of each search's time goes to the prize-collecting
    improvement (:func:`canvass.plan.improve.improve`) after OR-Tools (0: OR-Tools alone).

    Returns
    -------
    Plan
        Walks in order; unserved segments (``done``, ``forbidden``, ``no doors``,
        ``unreachable``, ``budget``); the seed and timings.

    Raises
    ------
    PlanningError
        If the time limit is not positive.
    """
    if not time_limit_s > 0:
        raise PlanningError(f"time limit {time_limit_s} s not understood; give a positive number of seconds")
    progress = on_progress or (lambda fraction, message: None)
    clock = time.perf_counter()
    rng = np.random.default_rng(seed)
    candidates, reasons = _candidates(problem)
    progress(0.02, f"{len(candidates)} rues à répartir entre {len(problem.teams)} équipes")
    if len(candidates) == 0:
        walks = tuple(TeamWalk(team.name, (), 0.0, team.minutes) for team in problem.teams)
        return Plan(walks, _unserved(problem, reasons, set()), "engine", seed, time.perf_counter() - clock, time.perf_counter() - clock,
                    service_bound=0.0)
    everyone = np.arange(len(problem.teams))
    candidates = _within_reach(problem, everyone, candidates)  # the others are left out for "budget"
    if len(candidates) > decompose_above and len(problem.teams) > 1:
        groups = regions(problem, candidates, rng, max_units=decompose_above)
        layout = "regions first"
    else:
        groups = [(everyone, candidates)]
        layout = "whole"
    # Every region's greedy start first: the first feasible plan is a whole plan, and each search then gets its share of the clock.
    starts = []
    for team_ids, arcs in groups:
        arcs = _within_reach(problem, team_ids, arcs)
        if len(arcs) == 0:
            continue
        instance, _ = _arc_instance(problem, team_ids, arcs)
        starts.append((team_ids, arcs, instance, greedy_orienteering(instance, seed=int(rng.integers(2**31)))))
    first_feasible = time.perf_counter() - clock
    searches = set()
    routes: dict[int, list[tuple[int, bool]]] = {team: [] for team in everyone}
    searched: dict[tuple, tuple] = {}
    total_work = sum(len(arcs) for _, arcs, _, _ in starts) or 1
    done_work = 0
    search_clock, search_time = time.perf_counter(), clock + time_limit_s * (1 - WRAP_UP_SHARE) - time.perf_counter()
    for team_ids, arcs, instance, start in starts:
        base = done_work / total_work
        done_work += len(arcs)
        deadline = search_clock + search_time * done_work / total_work - 0.05  # each region's share of what is left of the clock
        found = start
        if search:
            share = len(arcs) / total_work
            report = lambda fraction, message, base=base, share=share: progress(0.05 + 0.9 * (base + fraction * share), message)  # noqa: E731
            or_tools = (1 - improve_share) if len(arcs) <= ORTOOLS_MAX_UNITS else 0.0
            if or_tools > 0:
                found = engine.solve(instance, initial=start, time_limit_s=max(0.1, (deadline - time.perf_counter()) * or_tools),
                                     seed=int(rng.integers(2**31)), should_stop=should_stop,
                                     on_progress=lambda fraction, message, report=report: report(fraction * or_tools, message)).routes
                searched[tuple(team_ids)] = (arcs, found)
            if improve_share > 0:
                found = improve(instance, found, time_limit_s=deadline - time.perf_counter(), seed=int(rng.integers(2**31)), should_stop=should_stop)
                searched.setdefault(tuple(team_ids), (arcs, start))
            searches |= {"OR-Tools"} if or_tools > 0 else set()
            searches |= {"improvement"} if improve_share > 0 else set()
        for vehicle, route in enumerate(found):
            routes[int(team_ids[vehicle])] = [(int(arcs[arc]), reverse) for arc, reverse in route]
    del starts
    method = f"{' + '.join(sorted(searches)) or 'greedy'} ({layout})"
    walks = _walks(problem, routes)
    if improve_share > 0 and searched and not check_plan(problem, Plan(walks, _unserved(problem, reasons, _served(walks)), method, seed, 0.0, 0.0)).ok:
        # Never expected: the improvement counts time as OR-Tools does. Should it slip, OR-Tools' walks stand.
        for team_ids, (arcs, found) in searched.items():
            for vehicle, route in enumerate(found):
                routes[int(team_ids[vehicle])] = [(int(arcs[arc]), reverse) for arc, reverse in route]
        walks = _walks(problem, routes)
    served = _served(walks)
    seconds = time.perf_counter() - clock
    progress(1.0, "plan prêt")
    params = {"time_limit_s": time_limit_s, "decompose_above": decompose_above, "value_scale": VALUE_SCALE, "region_fill": REGION_FILL,
              "improve_share": improve_share}
    return Plan(walks, _unserved(problem, reasons, served), method, seed, seconds, first_feasible or seconds, params, plan_bounds(problem).service)


def greedy_plan(problem: PlanningProblem, *, seed: int = 0, decompose_above: int = DECOMPOSE_ABOVE) -> Plan:
    """The planner's greedy start alone (best value per minute first, same turfs), without any search: a yardstick of the search."""
    plan = plan_walks(problem, seed=seed, decompose_above=decompose_above, search=False)
    return replace(plan, method=f"greedy start ({plan.method.split('(')[-1]}")


def _served(walks) -> set:
    return {step.segment_id for walk in walks for step in walk.steps}


def _candidates(problem: PlanningProblem) -> tuple[np.ndarray, dict[int, str]]:
    """Segments worth planning, and the reason each other segment is left out."""
    components = problem.network.components()
    reachable = np.isin(components[problem.tail], components[problem.start_node])
    reasons = {}
    for index in range(problem.n_segments):
        if problem.status[index] == DONE:
            reasons[index] = "done"
        elif problem.status[index] == FORBIDDEN:
            reasons[index] = "forbidden"
        elif problem.n_doors[index] <= 0 or problem.value[index] <= 0:
            reasons[index] = "no doors"
        elif not reachable[index]:
            reasons[index] = "unreachable"
    candidates = np.array([i for i in range(problem.n_segments) if i not in reasons], dtype=np.int64)
    return candidates, reasons


def regions(problem: PlanningProblem, candidates: np.ndarray, rng: np.random.Generator, *, max_units: int = DECOMPOSE_ABOVE,
            fill: float = REGION_FILL) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split the candidates into regions, each planned as one model by a group of teams: ``[(team ids, units)]``.

    Sized by what teams can do, not by doors: each meeting place draws the
    units closest to it by walking distance, discounted for value (a unit
    worth four times the average counts as a quarter as far), until they hold
    ``fill`` × its teams' minutes of work. A meeting place whose area holds
    more than ``max_units`` units is cut into compact sectors (value-weighted
    k-means), each with its share of the place's teams and as much work as
    they can do × ``fill``. Inside a region the search moves units freely
    between its teams (one turf per team loses a fifth of the value).
    """
    hubs, team_hub = np.unique(problem.start_node, return_inverse=True)
    from_hub = problem.network.distances(hubs)
    distance = np.minimum(from_hub[:, problem.tail[candidates]], from_hub[:, problem.head[candidates]]).T  # (units, hubs)
    work = np.column_stack([problem.service_seconds(team)[candidates] for team in problem.teams]).mean(axis=1)
    density = problem.value[candidates] / work
    key = distance / np.power(np.maximum(density / density.mean(), 1e-6), REGION_VALUE_WEIGHT)[:, None]
    team_capacity = np.array([team.minutes * 60.0 * fill for team in problem.teams])
    hub_capacity = np.bincount(team_hub, weights=team_capacity, minlength=len(hubs))
    hub_of = _capacitated(key, work[:, None].repeat(len(hubs), axis=1), hub_capacity)
    groups = []
    for hub in range(len(hubs)):
        teams_here = np.flatnonzero(team_hub == hub)
        members = np.flatnonzero(hub_of == hub)
        k = min(len(teams_here), -(-len(members) // max_units))
        if k <= 1:
            groups.append((teams_here, candidates[members]))
            continue
        xy = problem.network.node_xy
        midpoints = (xy[problem.tail[candidates[members]]] + xy[problem.head[candidates[members]]]) / 2
        centres = _kmeans(midpoints, work[members], k, rng)
        crews = np.array_split(teams_here, k)
        spread = np.linalg.norm(midpoints[:, None, :] - centres[None, :, :], axis=2)
        sector = _capacitated(spread, work[members][:, None].repeat(k, axis=1), np.array([team_capacity[crew].sum() for crew in crews]))
        groups += [(crew, candidates[members[sector == s]]) for s, crew in enumerate(crews)]
    return groups


def equal_door_turfs(problem: PlanningProblem, candidates: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The baseline's turfs: k-means over the whole territory, equal door counts, each matched to its nearest team."""
    xy = problem.network.node_xy
    midpoints = (xy[problem.tail[candidates]] + xy[problem.head[candidates]]) / 2
    doors = problem.n_doors[candidates]
    k = len(problem.teams)
    centres = _kmeans(midpoints, doors + 1e-9, k, rng)
    spread = np.linalg.norm(midpoints[:, None, :] - centres[None, :, :], axis=2)
    turf = _capacitated(spread, np.repeat(doors[:, None], k, axis=1), np.full(k, doors.sum() / k + doors.max()))
    starts = xy[problem.start_node]
    rows, columns = linear_sum_assignment(np.linalg.norm(starts[:, None, :] - centres[None, :, :], axis=2))
    team_of_turf = np.empty(k, dtype=int)
    team_of_turf[columns] = rows
    return np.where(turf >= 0, team_of_turf[np.maximum(turf, 0)], -1)


def _capacitated(distance: np.ndarray, work: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Assign rows to columns nearest first, while each column's work stays within its capacity (-1: unassigned)."""
    n_rows, n_columns = distance.shape
    assignment = np.full(n_rows, -1)
    load = np.zeros(n_columns)
    for flat in np.argsort(distance, axis=None, kind="stable"):
        row, column = divmod(int(flat), n_columns)
        if assignment[row] >= 0 or load[column] + work[row, column] > capacity[column]:
            continue
        assignment[row] = column
        load[column] += work[row, column]
    return assignment


def _kmeans(points: np.ndarray, weights: np.ndarray, k: int, rng: np.random.Generator, iterations: int = 20) -> np.ndarray:
    """Weighted k-means with k-means++ seeding; returns the centres."""
    centres = [points[rng.choice(len(points), p=weights / weights.sum())]]
    for _ in range(1, k):
        nearest = np.min(np.linalg.norm(points[:, None] - np.array(centres)[None], axis=2), axis=1) ** 2 * weights
        total = nearest.sum()
        centres.append(points[rng.choice(len(points), p=nearest / total)] if total > 0 else points[rng.integers(len(points))])
    centres = np.array(centres, dtype=float)
    for _ in range(iterations):
        label = np.linalg.norm(points[:, None, :] - centres[None, :, :], axis=2).argmin(axis=1)
        for cluster in range(k):
            members = label == cluster
            if members.any():
                centres[cluster] = np.average(points[members], axis=0, weights=weights[members])
    return centres


def _within_reach(problem: PlanningProblem, team_ids: np.ndarray, arcs: np.ndarray) -> np.ndarray:
    """The arcs at least one of the teams can walk to (and back, if it returns) within its budget."""
    from_start = problem.network.distances(problem.start_node[team_ids])
    near = np.minimum(from_start[:, problem.tail[arcs]], from_start[:, problem.head[arcs]])
    reach = np.array([
        problem.teams[t].metres_per_second * problem.teams[t].minutes * 60.0 / (2 if problem.teams[t].return_to_start else 1) for t in team_ids
    ])
    return arcs[(near <= reach[:, None]).any(axis=0)]


def _arc_instance(problem: PlanningProblem, team_ids: np.ndarray, arcs: np.ndarray) -> tuple[engine.ArcInstance, np.ndarray]:
    """The engine's instance for ``team_ids`` serving ``arcs``: distances in metres, time in seconds, prizes in metre-equivalents.

    A segment no team can reach and walk back from within its budget never enters the
    model (a restricted neighbourhood that also keeps the model small); the time
    dimension keeps each team within its own reach.
    """
    teams = [problem.teams[t] for t in team_ids]
    starts = problem.start_node[team_ids]
    keys, inverse = np.unique(np.concatenate([problem.tail[arcs], problem.head[arcs], starts]), return_inverse=True)
    n_arcs = len(arcs)
    # An open walk ends at a virtual node reached for free from anywhere.
    sink = len(keys)
    deadhead = np.zeros((sink + 1, sink + 1), dtype=np.int32)  # metres: 4 bytes a pair, the largest array of the model
    deadhead[sink, :sink] = UNREACHABLE_M
    # Dijkstra rows span the whole network: a few hundred sources at a time, rounded into the matrix as they come.
    for i in range(0, sink, 500):
        distance = problem.network.distances(keys[i:i + 500])[:, keys]
        deadhead[i:i + len(distance), :sink] = np.rint(np.where(np.isfinite(distance), np.minimum(distance, UNREACHABLE_M), UNREACHABLE_M))
    arc_ends = np.column_stack([inverse[:n_arcs], inverse[n_arcs: 2 * n_arcs]])
    start_keys = inverse[2 * n_arcs:]
    end_keys = np.array([start_keys[i] if team.return_to_start else sink for i, team in enumerate(teams)])
    prize = problem.value[arcs] * VALUE_SCALE
    locked = problem.locked_team[arcs]
    prize = np.where(np.isin(locked, team_ids), prize * LOCK_BONUS, prize)
    allowed = tuple(None if lock < 0 else [int(np.flatnonzero(team_ids == lock)[0])] if lock in team_ids else [] for lock in locked)
    # Teams that walk and knock at the same pace share one time class (one matrix in OR-Tools).
    paces: dict[tuple, list[int]] = {}
    for vehicle, team in enumerate(teams):
        paces.setdefault((team.speed_kmh, team.minutes_per_door, team.n_pairs), []).append(vehicle)
    classes = tuple(
        (vehicles, 1.0 / teams[vehicles[0]].metres_per_second, np.rint(problem.service_seconds(teams[vehicles[0]])[arcs]).astype(np.int64))
        for vehicles in paces.values()
    )
    instance = engine.ArcInstance(
        deadhead=deadhead,
        arc_ends=arc_ends.astype(np.int64),
        service=classes[0][2],
        demand=np.zeros(n_arcs, dtype=np.int64),
        prize=np.maximum(1, np.rint(prize)).astype(np.int64),
        starts=start_keys.astype(np.int64),
        ends=end_keys.astype(np.int64),
        capacity=np.array([int(team.minutes * 60) for team in teams], dtype=np.int64),
        mode="time",
        cost_includes_service=False,
        allowed=allowed if any(a is not None for a in allowed) else None,
        time_classes=classes,
    )
    return instance, keys


def _walks(problem: PlanningProblem, routes: dict[int, list[tuple[int, bool]]]) -> tuple[TeamWalk, ...]:
    """Turn routes of segment indices into walks with their figures (distances recomputed on the network)."""
    walks = []
    for team_index, team in enumerate(problem.teams):
        route = routes.get(team_index, [])
        nodes = [int(problem.start_node[team_index])] + [int(problem.tail[s]) for s, _ in route] + [int(problem.head[s]) for s, _ in route]
        distance = problem.network.distances(np.unique(nodes))
        row = {node: i for i, node in enumerate(np.unique(nodes))}
        position = int(problem.start_node[team_index])
        steps = []
        service = problem.service_seconds(team)
        for segment, reverse in route:
            entry, exit_ = (problem.head[segment], problem.tail[segment]) if reverse else (problem.tail[segment], problem.head[segment])
            approach = float(distance[row[position], entry])
            walking = (approach + problem.length_m[segment]) / team.metres_per_second / 60.0
            knocking = (service[segment] - problem.length_m[segment] / team.metres_per_second) / 60.0  # doors, and getting into buildings
            steps.append(Step(int(problem.segment_id[segment]), bool(reverse), problem.street_name[segment], float(problem.n_doors[segment]),
                              float(problem.value[segment]), approach, float(problem.length_m[segment]), walking, float(knocking),
                              problem.label[segment]))
            assert abs(walking + knocking - (approach / team.metres_per_second + service[segment]) / 60.0) < 1e-6
            position = int(exit_)
        back = float(distance[row[position], problem.start_node[team_index]]) if steps and team.return_to_start else 0.0
        walks.append(TeamWalk(team.name, tuple(steps), back, team.minutes))
    return tuple(walks)


def _unserved(problem: PlanningProblem, reasons: dict[int, str], served: set) -> pd.DataFrame:
    rows = [
        (int(problem.segment_id[i]), reasons.get(i, "budget"), problem.street_name[i], float(problem.n_doors[i]), float(problem.value[i]))
        for i in range(problem.n_segments)
        if int(problem.segment_id[i]) not in served
    ]
    return pd.DataFrame(rows, columns=["segment_id", "reason", "street_name", "n_doors", "value"])
