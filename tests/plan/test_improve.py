"""The improvement phase of :mod:`canvass.plan.improve`: never worse, always within budgets, swaps a poor unit for a better one."""

import numpy as np
import pytest

from canvass.plan.check import check_plan
from canvass.plan.construct import greedy_orienteering
from canvass.plan.improve import _State, improve
from canvass.plan.problem import build_problem
from canvass.plan.result import Plan
from canvass.plan.solve import _arc_instance, _candidates, _unserved, _walks
from canvass.plan.teams import Team


def team(name="A", xy=(0.0, 0.0), minutes=1100 / 60, speed=3.6, size=2):
    return Team(name, size, xy, minutes, speed_kmh=speed, minutes_per_door=1.0)


def instance_of(problem):
    candidates, _ = _candidates(problem)
    instance, _ = _arc_instance(problem, np.arange(len(problem.teams)), candidates)
    return instance, candidates


def as_plan(problem, candidates, routes):
    walks = _walks(problem, {v: [(int(candidates[arc]), reverse) for arc, reverse in route] for v, route in enumerate(routes)})
    return Plan(walks, _unserved(problem, {}, {step.segment_id for walk in walks for step in walk.steps}), "improved", 0, 0.0, 0.0)


def test_swaps_a_poor_unit_for_a_better_one(star):
    """The star's walk serves the spokes worth 5 and 10 (1,000 s of 1,100): only a swap reaches the optimum, 10 + 8."""
    segments, values = star
    problem = build_problem(segments, values, [team()])
    instance, candidates = instance_of(problem)
    poor = [[(0, False), (1, False)]]
    assert _State(instance, poor).used[0] <= instance.capacity[0]
    routes = improve(instance, poor, time_limit_s=0.5, seed=0)
    assert sorted(int(candidates[arc]) for arc, _ in routes[0]) == [1, 2]
    assert check_plan(problem, as_plan(problem, candidates, routes)).ok


@pytest.mark.parametrize("seed", range(3))
def test_never_worse_always_within_budgets(grid, seed):
    segments, values = grid
    rng = np.random.default_rng(seed)
    teams = [team(f"T{i}", tuple(rng.uniform(0, 480, 2)), float(rng.uniform(20, 50)), speed=float(rng.choice([3.0, 3.6])), size=int(rng.choice([2, 4])))
             for i in range(3)]
    ids = segments["segment_id"].to_numpy()
    locked = {int(ids[k]): "T1" for k in rng.choice(len(ids), 3, replace=False)}
    problem = build_problem(segments, values, teams, locked=locked)
    instance, candidates = instance_of(problem)
    start = greedy_orienteering(instance, seed=seed)
    routes = improve(instance, start, time_limit_s=1.0, seed=seed)
    before, after = _State(instance, start), _State(instance, routes)
    assert after.total_prize >= before.total_prize
    assert (after.used <= instance.capacity).all()
    served = [arc for route in routes for arc, _ in route]
    assert len(served) == len(set(served))
    for vehicle, route in enumerate(routes):
        for arc, _ in route:
            assert instance.allowed is None or instance.allowed[arc] is None or vehicle in instance.allowed[arc]
    check = check_plan(problem, as_plan(problem, candidates, routes))
    assert check.ok, check.violations
