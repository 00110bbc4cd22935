"""An independent checker: recompute every figure of a plan from the street segments and flag any violation.

It rebuilds its own graph from the raw edges of the cut walking network and
the units' own arcs, and computes its own shortest paths, so that a bug in the
planner's distances, times or bookkeeping shows up here instead of being
repeated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path

from canvass.plan.problem import DONE, FORBIDDEN, PlanningProblem
from canvass.plan.result import Plan

MINUTES_TOLERANCE = 1.0
"""Budgets are checked to the minute: the solver counts whole seconds per leg."""


@dataclass(frozen=True)
class PlanCheck:
    """Violations found (empty when the plan is sound) and the recomputed minutes, doors and value per team."""

    violations: tuple[str, ...]
    minutes: dict
    doors: dict
    value: dict

    @property
    def ok(self) -> bool:
        return not self.violations


def check_plan(problem: PlanningProblem, plan: Plan) -> PlanCheck:
    """Recompute each walk from the network and list what is wrong with the plan."""
    n_nodes = int(max(problem.tail.max(), problem.head.max(), problem.network.n_nodes - 1)) + 1
    weights: dict[tuple[int, int], float] = {}
    edges = zip(np.concatenate([problem.network.tail, problem.tail]).tolist(), np.concatenate([problem.network.head, problem.head]).tolist(),
                np.concatenate([problem.network.length_m, problem.length_m]).tolist())
    for tail, head, length in edges:
        for a, b in ((tail, head), (head, tail)):
            weights[(a, b)] = min(weights.get((a, b), np.inf), max(length, 1e-6))
    pairs = np.array(list(weights), dtype=np.int64)
    graph = sp.csr_matrix((np.array(list(weights.values())), (pairs[:, 0], pairs[:, 1])), shape=(n_nodes, n_nodes))
    index_of = {int(segment): i for i, segment in enumerate(problem.segment_id.tolist())}
    team_index = {team.name: i for i, team in enumerate(problem.teams)}
    violations: list[str] = []
    seen: dict[int, str] = {}
    minutes, doors, value = {}, {}, {}
    for walk in plan.walks:
        if walk.team not in team_index:
            violations.append(f"walk of unknown team {walk.team!r}")
            continue
        t = team_index[walk.team]
        team = problem.teams[t]
        nodes = [int(problem.start_node[t])]
        for step in walk.steps:
            if step.segment_id not in index_of:
                violations.append(f"{walk.team}: unknown segment {step.segment_id}")
                continue
            s = index_of[step.segment_id]
            nodes += [int(problem.tail[s]), int(problem.head[s])]
        distance = shortest_path(graph, directed=False, indices=np.unique(nodes))
        row = {node: i for i, node in enumerate(np.unique(nodes))}
        position, seconds, team_doors, team_value = int(problem.start_node[t]), 0.0, 0.0, 0.0
        speed = team.metres_per_second
        for order, step in enumerate(walk.steps, start=1):
            if step.segment_id not in index_of:
                continue
            s = index_of[step.segment_id]
            where = f"{walk.team}, step {order} (segment {step.segment_id})"
            if step.segment_id in seen:
                violations.append(f"{where}: already walked by {seen[step.segment_id]}")
            seen[step.segment_id] = walk.team
            if problem.status[s] == DONE:
                violations.append(f"{where}: segment already canvassed in an earlier session")
            if problem.status[s] == FORBIDDEN:
                violations.append(f"{where}: forbidden segment")
            if problem.locked_team[s] >= 0 and problem.locked_team[s] != t:
                violations.append(f"{where}: locked to {problem.teams[problem.locked_team[s]].name}")
            entry, exit_ = (problem.head[s], problem.tail[s]) if step.reverse else (problem.tail[s], problem.head[s])
            approach = distance[row[position], entry]
            if not np.isfinite(approach):
                violations.append(f"{where}: not reachable on foot from the previous street")
                continue
            if abs(approach - step.approach_m) > 1.0:
                violations.append(f"{where}: approach {step.approach_m:.0f} m reported, {approach:.0f} m on the network")
            knocking = problem.n_doors[s] * team.minutes_per_door / team.n_pairs + problem.n_entries[s] * team.minutes_per_building
            if abs(knocking - step.minutes_knocking) > 1e-6 or abs(problem.n_doors[s] - step.n_doors) > 1e-6:
                violations.append(f"{where}: doors or knocking time differ from the unit's")
            seconds += (approach + problem.length_m[s]) / speed + knocking * 60.0
            team_doors += problem.n_doors[s]
            team_value += problem.value[s]
            position = int(exit_)
        if walk.steps and team.return_to_start:
            seconds += distance[row[position], int(problem.start_node[t])] / speed
        minutes[walk.team], doors[walk.team], value[walk.team] = seconds / 60.0, team_doors, team_value
        if seconds / 60.0 > team.minutes + MINUTES_TOLERANCE:
            violations.append(f"{walk.team}: {seconds / 60.0:.1f} minutes for a budget of {team.minutes:.0f}")
        if abs(seconds / 60.0 - walk.minutes) > 0.1:
            violations.append(f"{walk.team}: {walk.minutes:.1f} minutes reported, {seconds / 60.0:.1f} recomputed")
        if abs(team_doors - walk.n_doors) > 1e-6:
            violations.append(f"{walk.team}: {walk.n_doors:.1f} doors reported, {team_doors:.1f} recomputed")
    missing_teams = set(team_index) - {walk.team for walk in plan.walks}
    if missing_teams:
        violations.append(f"teams without a walk: {', '.join(sorted(missing_teams))}")
    unserved = set(plan.unserved["segment_id"].tolist())
    overlap = unserved & set(seen)
    if overlap:
        violations.append(f"{len(overlap)} segments both walked and listed as unserved: {sorted(overlap)[:5]}")
    if len(unserved | set(seen)) != problem.n_segments:
        violations.append(f"{problem.n_segments - len(unserved | set(seen))} segments neither walked nor listed as unserved")
    return PlanCheck(tuple(violations), minutes, doors, value)
