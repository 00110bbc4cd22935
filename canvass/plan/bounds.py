"""Upper bounds on the value any plan can collect: the yardsticks a plan is measured against.

Both bounds pool the volunteer minutes and let teams take fractions of units
(a fractional knapsack, or a linear programme when teams work at different
paces), so they are easy to compute and no plan can beat them:

- **zero walking**: every minute goes to knocking; walking along the units and
  between them is free;
- **service**: each unit served costs walking it once plus knocking its doors
  (:meth:`PlanningProblem.service_seconds`); only walking *between* units is
  free.

Only units some team could do on its own count: the round trip from the
team's meeting place (one way when it does not return) plus the unit's service
fits its budget. Budgets get the checker's one-minute tolerance, so that the
bounds hold for every plan :func:`canvass.plan.check.check_plan` accepts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from canvass.errors import PlanningError
from canvass.plan.check import MINUTES_TOLERANCE
from canvass.plan.problem import OPEN, PlanningProblem


@dataclass(frozen=True)
class Bounds:
    """The two bounds (value), the units counted, and the value of open units no team can do alone."""

    zero_walking: float
    service: float
    n_units: int
    out_of_reach_value: float

    def share(self, value: float) -> float:
        """``value`` as a share of the service bound (1.0 when there is nothing to collect)."""
        return value / self.service if self.service > 0 else 1.0


def plan_bounds(problem: PlanningProblem) -> Bounds:
    """Zero-walking and service bounds of ``problem`` (see the module docstring)."""
    # Open units with doors and value; those on another island than every meeting place fail the round trip below.
    candidates = np.flatnonzero((problem.status == OPEN) & (problem.n_doors > 0) & (problem.value > 0))
    if len(candidates) == 0:
        return Bounds(0.0, 0.0, 0, 0.0)
    teams = problem.teams
    capacity = np.array([(team.minutes + MINUTES_TOLERANCE) * 60.0 for team in teams])
    service = np.array([problem.service_seconds(team)[candidates] for team in teams])  # (teams, units)
    knocking = np.array([service[t] - problem.length_m[candidates] / team.metres_per_second for t, team in enumerate(teams)])  # at the doors
    hubs, team_hub = np.unique(problem.start_node, return_inverse=True)
    from_hub = problem.network.distances(hubs)
    to_tail, to_head = from_hub[team_hub][:, problem.tail[candidates]], from_hub[team_hub][:, problem.head[candidates]]
    back = np.array([team.return_to_start for team in teams])[:, None]
    trip = np.where(back, to_tail + to_head, np.minimum(to_tail, to_head))
    speed = np.array([team.metres_per_second for team in teams])[:, None]
    alone = trip / speed + service <= capacity[:, None]  # (teams, units)
    value = problem.value[candidates]
    counted = alone.any(axis=0)
    # Teams with the same times for every unit form one class: their minutes pool.
    _, first, team_class = np.unique(np.hstack([service, knocking]), axis=0, return_index=True, return_inverse=True)
    team_class = team_class.ravel()
    class_capacity = np.bincount(team_class, weights=capacity, minlength=len(first))
    class_alone = np.array([alone[team_class == c].any(axis=0) for c in range(len(first))])
    bounds = [_fractional(value, weight[first], class_alone, class_capacity) for weight in (knocking, service)]
    return Bounds(bounds[0], bounds[1], int(counted.sum()), float(value[~counted].sum()))


def _fractional(value: np.ndarray, weight: np.ndarray, allowed: np.ndarray, capacity: np.ndarray) -> float:
    """Best value of units shared fractionally among classes of time ``weight`` (classes, units) within ``capacity``.

    One class is a fractional knapsack (best value per second first); several
    classes are a transportation-like LP solved by HiGHS.
    """
    if len(capacity) == 1:
        usable = np.flatnonzero(allowed[0] & (value > 0))
        order = usable[np.argsort(-value[usable] / weight[0, usable], kind="stable")]
        filled = np.cumsum(weight[0, order])
        whole = filled <= capacity[0]
        total = float(value[order[whole]].sum())
        rest = np.flatnonzero(~whole)
        if len(rest):
            left = capacity[0] - (filled[rest[0] - 1] if rest[0] > 0 else 0.0)
            total += float(value[order[rest[0]]] * left / weight[0, order[rest[0]]])
        return total
    classes, units = np.nonzero(allowed & (value > 0)[None, :])
    if len(units) == 0:
        return 0.0
    n = len(units)
    per_unit = sp.csr_matrix((np.ones(n), (units, np.arange(n))), shape=(len(value), n))
    per_class = sp.csr_matrix((weight[classes, units], (classes, np.arange(n))), shape=(len(capacity), n))
    result = linprog(-value[units], A_ub=sp.vstack([per_unit, per_class]).tocsr(), b_ub=np.concatenate([np.ones(len(value)), capacity]),
                     bounds=(0.0, 1.0), method="highs")
    if result.status != 0:
        raise PlanningError(f"the bound's linear programme was not solved: {result.message}")
    return float(-result.fun)
