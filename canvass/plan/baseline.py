"""The yardstick: what open-source canvassing tools do. Turfs of equal door counts, nearest street next.

Segments are cut into one turf per team with equal door counts (k-means over
the whole territory, :func:`canvass.plan.solve.equal_door_turfs`), ignoring
priority, and each turf goes to the nearest team; each team then walks from its meeting place to the nearest
unvisited segment of its turf, again and again, while its time allows.
"""

from __future__ import annotations

import time

import numpy as np

from canvass.plan.problem import PlanningProblem
from canvass.plan.result import Plan
from canvass.plan.solve import _candidates, _unserved, _walks, equal_door_turfs


def baseline_plan(problem: PlanningProblem, *, seed: int = 0) -> Plan:
    """Equal-door turfs and nearest-neighbour walks, within each team's budget."""
    clock = time.perf_counter()
    rng = np.random.default_rng(seed)
    candidates, reasons = _candidates(problem)
    assignment = equal_door_turfs(problem, candidates, rng) if len(candidates) else np.array([], dtype=int)
    routes = {}
    for team_index, team in enumerate(problem.teams):
        mine = candidates[assignment == team_index]
        service = problem.service_seconds(team)
        speed = team.metres_per_second
        keys = np.unique(np.concatenate([problem.tail[mine], problem.head[mine], [problem.start_node[team_index]]]))
        distance = problem.network.distances(keys)
        row = {int(node): i for i, node in enumerate(keys)}
        position, used, route = int(problem.start_node[team_index]), 0.0, []
        remaining = np.ones(len(mine), dtype=bool)
        budget = team.minutes * 60.0
        while remaining.any():
            to_tail = distance[row[position], problem.tail[mine]]
            to_head = distance[row[position], problem.head[mine]]
            reach = np.where(remaining, np.minimum(to_tail, to_head), np.inf)
            pick = int(np.argmin(reach))
            reverse = bool(to_head[pick] < to_tail[pick])
            exit_node = int(problem.tail[mine[pick]] if reverse else problem.head[mine[pick]])
            back = distance[row[exit_node], problem.start_node[team_index]] if team.return_to_start else 0.0
            if used + (reach[pick] + back) / speed + service[mine[pick]] > budget:
                break
            used += reach[pick] / speed + service[mine[pick]]
            route.append((int(mine[pick]), reverse))
            remaining[pick] = False
            position = exit_node
        routes[team_index] = route
    walks = _walks(problem, routes)
    served = {step.segment_id for walk in walks for step in walk.steps}
    seconds = time.perf_counter() - clock
    return Plan(walks, _unserved(problem, reasons, served), "baseline (equal-door turfs, nearest street)", seed, seconds, seconds)
