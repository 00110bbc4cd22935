"""A second yardstick: what a careful organiser does by hand with a spreadsheet and a map.

1. Rank the units by value per minute, counting their service and the round
   trip from the nearest meeting place; drop those no team can do alone.
2. Keep the best-ranked units until their service fills ``fill`` × the
   volunteer minutes (a little less than all of it leaves room for walking; more
   lets each team choose).
3. Cut the kept units into one turf per team: k-means on their midpoints
   (weighted by service time), centres matched to the teams' meeting places,
   then units given nearest centre first while the turf's work stays within
   its team's share (balanced turfs).
4. Each team walks its turf nearest unit first, skipping what no longer fits
   (:func:`canvass.plan.baseline.nearest_first`).

:func:`organiser_plan` keeps the best of a small grid of variants:
``fill`` in :data:`FILLS` × :data:`SEEDS` k-means seeds.
"""

from __future__ import annotations

import time

import numpy as np
from scipy.optimize import linear_sum_assignment

from canvass.plan.baseline import nearest_first
from canvass.plan.bounds import plan_bounds
from canvass.plan.problem import PlanningProblem
from canvass.plan.result import Plan
from canvass.plan.solve import _candidates, _capacitated, _kmeans, _unserved, _walks

FILLS = (0.6, 0.8, 1.0, 1.2, 1.4, 1.6)
"""Service kept, as a share of the volunteer minutes."""
SEEDS = 2
"""k-means seeds tried for each fill."""


def organiser_plan(problem: PlanningProblem, *, seed: int = 0, fills: tuple[float, ...] = FILLS, n_seeds: int = SEEDS) -> Plan:
    """Best (by value) of the organiser's plans over ``fills`` × ``n_seeds`` variants."""
    clock = time.perf_counter()
    candidates, reasons = _candidates(problem)
    ranked, mean_service = _ranked(problem, candidates)
    best_routes, best_value, best_variant = {t: [] for t in range(len(problem.teams))}, -1.0, None
    volunteer_seconds = sum(team.minutes * 60.0 for team in problem.teams)
    for fill in fills:
        kept = ranked[: int(np.searchsorted(np.cumsum(mean_service[ranked]), fill * volunteer_seconds, side="right")) + 1]
        for k in range(n_seeds):
            rng = np.random.default_rng([seed, k])
            turf = _balanced_turfs(problem, kept, rng) if len(kept) else np.array([], dtype=int)
            routes = {t: nearest_first(problem, t, kept[turf == t]) for t in range(len(problem.teams))}
            value = sum(float(problem.value[unit]) for route in routes.values() for unit, _ in route)
            if value > best_value:
                best_routes, best_value, best_variant = routes, value, {"fill": fill, "kmeans_seed": k}
    walks = _walks(problem, best_routes)
    served = {step.segment_id for walk in walks for step in walk.steps}
    seconds = time.perf_counter() - clock
    return Plan(walks, _unserved(problem, reasons, served), "organiser (value per minute, balanced turfs, nearest street)", seed, seconds, seconds,
                {"variant": best_variant, "fills": list(fills), "n_seeds": n_seeds}, plan_bounds(problem).service)


def _ranked(problem: PlanningProblem, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Candidates some team can do alone, best value per minute (service + round trip from the nearest meeting place) first;
    and every unit's service time averaged over the teams."""
    service = np.array([problem.service_seconds(team) for team in problem.teams])
    mean_service = service.mean(axis=0)
    if len(candidates) == 0:
        return candidates, mean_service
    hubs, team_hub = np.unique(problem.start_node, return_inverse=True)
    from_hub = problem.network.distances(hubs)[team_hub]
    to_tail, to_head = from_hub[:, problem.tail[candidates]], from_hub[:, problem.head[candidates]]
    back = np.array([team.return_to_start for team in problem.teams])[:, None]
    trip = np.where(back, to_tail + to_head, np.minimum(to_tail, to_head)) / np.array([t.metres_per_second for t in problem.teams])[:, None]
    cost = trip + service[:, candidates]
    budget = np.array([team.minutes * 60.0 for team in problem.teams])[:, None]
    cost = np.where(cost <= budget, cost, np.inf).min(axis=0)
    doable = np.isfinite(cost)
    order = np.argsort(-problem.value[candidates[doable]] / cost[doable], kind="stable")
    return candidates[doable][order], mean_service


def _balanced_turfs(problem: PlanningProblem, units: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One turf per team (-1: in none): k-means centres matched to meeting places, filled nearest first up to each team's share."""
    k = len(problem.teams)
    xy = problem.network.node_xy
    midpoints = (xy[problem.tail[units]] + xy[problem.head[units]]) / 2
    work = np.array([problem.service_seconds(team)[units] for team in problem.teams]).T  # (units, teams)
    centres = _kmeans(midpoints, work.mean(axis=1) + 1e-9, min(k, len(units)), rng)
    if len(centres) < k:  # fewer units than teams: the others get nothing
        centres = np.vstack([centres, np.full((k - len(centres), 2), np.inf)])
    rows, columns = linear_sum_assignment(np.nan_to_num(np.linalg.norm(xy[problem.start_node][:, None, :] - centres[None, :, :], axis=2), posinf=1e12))
    centre_of_team = np.empty(k, dtype=int)
    centre_of_team[rows] = columns
    budgets = np.array([team.minutes for team in problem.teams])
    share = work.mean(axis=1).sum() * budgets / budgets.sum() * 1.02 + work.max()  # room for the last unit
    spread = np.nan_to_num(np.linalg.norm(midpoints[:, None, :] - centres[centre_of_team][None, :, :], axis=2), posinf=1e12)
    return _capacitated(spread, work, share)
