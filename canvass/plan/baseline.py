"""The yardstick: what open-source canvassing tools do. Turfs of equal door counts, nearest street next.

Segments are cut into one turf per team with equal door counts (k-means over
the whole territory, :func:`canvass.plan.solve.equal_door_turfs`), ignoring
priority, and each turf goes to the nearest team; each team then walks from its
meeting place to the nearest unvisited unit of its turf, again and again; a
unit that does not fit the time left is skipped and the walk goes on
(:func:`nearest_first`).
"""

from __future__ import annotations

import time

import numpy as np

from canvass.plan.bounds import plan_bounds
from canvass.plan.problem import PlanningProblem
from canvass.plan.result import Plan
from canvass.plan.solve import _candidates, _unserved, _walks, equal_door_turfs


def nearest_first(problem: PlanningProblem, team_index: int, units: np.ndarray) -> list[tuple[int, bool]]:
    """Walk ``units`` from the team's meeting place, nearest unvisited unit next, skipping those that no longer fit its budget."""
    team = problem.teams[team_index]
    home = int(problem.start_node[team_index])
    service = problem.service_seconds(team)
    speed = team.metres_per_second
    keys = np.unique(np.concatenate([problem.tail[units], problem.head[units], [home]]))
    distance = problem.network.distances(keys)
    row = {int(node): i for i, node in enumerate(keys)}
    back = distance[:, home] if team.return_to_start else np.zeros(len(keys))
    position, used, route = home, 0.0, []
    remaining = np.ones(len(units), dtype=bool)
    budget = team.minutes * 60.0
    while remaining.any():
        to_tail = distance[row[position], problem.tail[units]]
        to_head = distance[row[position], problem.head[units]]
        reach = np.where(remaining, np.minimum(to_tail, to_head), np.inf)
        pick = int(np.argmin(reach))
        remaining[pick] = False
        reverse = bool(to_head[pick] < to_tail[pick])
        exit_node = int(problem.tail[units[pick]] if reverse else problem.head[units[pick]])
        if used + (reach[pick] + back[row[exit_node]]) / speed + service[units[pick]] > budget:
            continue  # does not fit the time left: skip it, the next nearest may
        used += reach[pick] / speed + service[units[pick]]
        route.append((int(units[pick]), reverse))
        position = exit_node
    return route


def baseline_plan(problem: PlanningProblem, *, seed: int = 0) -> Plan:
    """Equal-door turfs and nearest-first walks, within each team's budget."""
    clock = time.perf_counter()
    rng = np.random.default_rng(seed)
    candidates, reasons = _candidates(problem)
    assignment = equal_door_turfs(problem, candidates, rng) if len(candidates) else np.array([], dtype=int)
    routes = {team: nearest_first(problem, team, candidates[assignment == team]) for team in range(len(problem.teams))}
    walks = _walks(problem, routes)
    served = {step.segment_id for walk in walks for step in walk.steps}
    seconds = time.perf_counter() - clock
    return Plan(walks, _unserved(problem, reasons, served), "baseline (equal-door turfs, nearest street)", seed, seconds, seconds,
                service_bound=plan_bounds(problem).service)
