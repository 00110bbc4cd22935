"""Upper bounds of :mod:`canvass.plan.bounds`: worked by hand on the star, never beaten by any plan on random grids."""

import numpy as np
import pytest

from canvass.plan.baseline import baseline_plan
from canvass.plan.bounds import plan_bounds
from canvass.plan.check import MINUTES_TOLERANCE, check_plan
from canvass.plan.problem import build_problem
from canvass.plan.organiser import organiser_plan
from canvass.plan.solve import greedy_plan, plan_walks
from canvass.plan.teams import Team


def team(name, xy, minutes, speed=3.6, size=2, per_door=1.0, **kwargs):
    return Team(name, size, xy, minutes, speed_kmh=speed, minutes_per_door=per_door, **kwargs)


def test_star_bounds_by_hand(star):
    """Spokes of 100 m with 5 doors, values 5, 10, 8; one pair at 1 m/s: 300 s knocking, 400 s service, 100 s round trip."""
    segments, values = star
    budget = 1100 + 60 * MINUTES_TOLERANCE
    bounds = plan_bounds(build_problem(segments, values, [team("A", (0.0, 0.0), 1100 / 60)]))
    assert bounds.zero_walking == pytest.approx(23)  # three spokes' knocking (900 s) fit
    assert bounds.service == pytest.approx(10 + 8 + 5 * (budget - 800) / 400)  # best value per second first, the last one in part
    assert bounds.n_units == 3 and bounds.out_of_reach_value == 0


def test_units_no_team_can_reach_alone_do_not_count(star):
    segments, values = star
    # 7 minutes: a spoke needs 500 s (round trip and service), more than 420 + 60 s.
    bounds = plan_bounds(build_problem(segments, values, [team("A", (0.0, 0.0), 7)]))
    assert bounds.service == 0 and bounds.zero_walking == 0 and bounds.out_of_reach_value == pytest.approx(23)


def test_different_paces_pool_only_their_own_minutes(star):
    """A slow team (0.5 m/s, service 500 s, round trip 200 s) and a fast one: the LP gives each its own budget."""
    segments, values = star
    fast, slow = team("A", (0.0, 0.0), 1100 / 60), team("B", (0.0, 0.0), 600 / 60, speed=1.8)
    bounds = plan_bounds(build_problem(segments, values, [fast, slow]))
    # Slow: 700 s for a whole spoke + 660 s budget: no spoke alone. Fast alone: 22.5 as above.
    assert bounds.service == pytest.approx(10 + 8 + 5 * (1160 - 800) / 400)
    both = plan_bounds(build_problem(segments, values, [fast, team("B", (0.0, 0.0), 1100 / 60, speed=1.8)]))
    assert both.service == pytest.approx(23)  # the slow team's 1,160 s take the third spoke (500 s)


@pytest.mark.parametrize("seed", range(4))
def test_no_plan_beats_the_bounds(grid, seed):
    segments, values = grid
    rng = np.random.default_rng(seed)
    teams = [
        team(f"T{i}", tuple(rng.uniform(0, 480, 2)), float(rng.uniform(15, 60)), speed=float(rng.choice([3.0, 3.6])),
             size=int(rng.choice([2, 4])), return_to_start=bool(rng.random() < 0.7))
        for i in range(int(rng.integers(1, 4)))
    ]
    problem = build_problem(segments, values, teams)
    bounds = plan_bounds(problem)
    assert bounds.service <= bounds.zero_walking + 1e-9
    plans = (plan_walks(problem, time_limit_s=1, seed=seed), greedy_plan(problem, seed=seed), baseline_plan(problem, seed=seed),
             organiser_plan(problem, seed=seed))
    for plan in plans:
        assert check_plan(problem, plan).ok
        assert plan.totals()["value"] <= bounds.service + 1e-6
