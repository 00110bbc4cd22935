"""A prize-collecting improvement phase after OR-Tools: ruin and recreate, every plan within the time budgets.

OR-Tools' guided local search mostly reorders walks; on canvassing problems it
adds little value to the greedy start. What adds value is choosing *which*
units are served. This phase works on the engine's instance
(:class:`~canvass.plan.engine.ArcInstance`, ``mode="time"`` with prizes) and
repeats, for its time:

- **ruin**, one of: a string of served units around a random served unit, in
  the few walks that pass nearest to it (SISR-style, Christiaens & Vanden
  Berghe 2020; units then move between teams); the served units nearest a
  meeting place; or, in one walk, the units of lowest prize per second of
  detour (room for better ones: a swap of served for unserved);
- **recreate**: insert, again and again, the unit of best prize per added
  second at its cheapest feasible place in any walk (a little noise, so that
  rounds differ), among the units removed and the unserved units near the
  ruin; then as many unserved units anywhere as still fit;
- **accept** the result when it collects more prize, or as much in less time,
  and now and then when slightly worse (annealing); the best is kept.

Times are counted as OR-Tools counts them (whole seconds per leg, each team's
own pace and service), so every plan kept fits every budget; the caller still
re-checks the final plan with the independent checker.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from canvass.plan.engine import ArcInstance

Route = list[tuple[int, bool]]

NEAR_UNITS = 200
"""Unserved units near a ruin offered to the recreate step (besides those removed)."""
MAX_STRING = 8
"""Longest string of consecutive units one ruin removes from a walk."""
MAX_RUINED_WALKS = 3
"""Walks one string ruin touches."""


class _State:
    """Walks with their times, and the tables that make a move cheap to evaluate."""

    def __init__(self, instance: ArcInstance, routes: list[Route]):
        self.instance = instance
        n_vehicles, n_arcs = instance.n_vehicles, instance.n_arcs
        self.deadhead = instance.deadhead
        self.models = [instance.time_model(v) for v in range(n_vehicles)]
        self.allowed = np.ones((n_vehicles, n_arcs), dtype=bool)
        for arc, vehicles in enumerate(instance.allowed or ()):
            if vehicles is not None:
                self.allowed[:, arc] = False
                self.allowed[list(vehicles), arc] = True
        self.prize = instance.prize.astype(float)
        self.routes = [list(route) for route in routes] + [[] for _ in range(n_vehicles - len(routes))]
        self.used = np.array([self.route_time(v, self.routes[v]) for v in range(n_vehicles)], dtype=float)
        self.served = np.zeros(n_arcs, dtype=bool)
        for route in self.routes:
            for arc, _ in route:
                self.served[arc] = True

    def copy(self) -> _State:
        other = object.__new__(_State)
        other.__dict__.update(self.__dict__)
        other.routes = [list(route) for route in self.routes]
        other.used = self.used.copy()
        other.served = self.served.copy()
        return other

    def leg(self, vehicle: int, a, b):
        """Seconds of walking from key(s) ``a`` to key(s) ``b`` for ``vehicle``, rounded per leg as OR-Tools does."""
        return np.rint(self.deadhead[a, b] * self.models[vehicle][0]).astype(np.int64)

    def route_time(self, vehicle: int, route: Route) -> int:
        keys = self.keys(vehicle, route)
        service = self.models[vehicle][1]
        return int(self.leg(vehicle, keys[0::2], keys[1::2]).sum() + sum(int(service[arc]) for arc, _ in route))

    def keys(self, vehicle: int, route: Route) -> np.ndarray:
        """start, entry₁, exit₁, entry₂, …, exitₙ, end: legs are (keys[0], keys[1]), (keys[2], keys[3]), …"""
        ends = self.instance.arc_ends
        inner = [int(ends[arc, 1 if reverse else 0]) if k == 0 else int(ends[arc, 0 if reverse else 1]) for arc, reverse in route for k in (0, 1)]
        return np.array([int(self.instance.starts[vehicle]), *inner, int(self.instance.ends[vehicle])], dtype=np.int64)

    @property
    def total_prize(self) -> float:
        return float(self.prize[self.served].sum())

    def insertion(self, vehicle: int, arcs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cheapest insertion of each of ``arcs`` into ``vehicle``'s walk: added seconds (inf if it does not fit), position, reversed."""
        if len(arcs) == 0:
            return np.zeros(0), np.zeros(0, dtype=int), np.zeros(0, dtype=bool)
        keys = self.keys(vehicle, self.routes[vehicle])
        before, after = keys[0::2], keys[1::2]  # leg p goes from before[p] to after[p]; inserting at p splits it
        base = self.leg(vehicle, before, after)
        ends = self.instance.arc_ends[arcs]
        service = self.models[vehicle][1][arcs]
        best = np.full(len(arcs), np.inf)
        position = np.zeros(len(arcs), dtype=int)
        reverse = np.zeros(len(arcs), dtype=bool)
        for flipped in (False, True):
            entry, exit_ = (ends[:, 1], ends[:, 0]) if flipped else (ends[:, 0], ends[:, 1])
            delta = self.leg(vehicle, before[:, None], entry[None, :]) + self.leg(vehicle, exit_[None, :], after[:, None]) - base[:, None]
            p = delta.argmin(axis=0)
            cost = delta[p, np.arange(len(arcs))] + service
            better = cost < best
            best[better], position[better], reverse[better] = cost[better], p[better], flipped
        fits = (self.used[vehicle] + best <= self.instance.capacity[vehicle]) & self.allowed[vehicle, arcs]
        return np.where(fits, best, np.inf), position, reverse

    def remove(self, vehicle: int, indices: list[int]) -> list[int]:
        """Remove the walk's steps at ``indices``; the arcs removed."""
        drop = set(indices)
        removed = [arc for k, (arc, _) in enumerate(self.routes[vehicle]) if k in drop]
        self.routes[vehicle] = [step for k, step in enumerate(self.routes[vehicle]) if k not in drop]
        self.used[vehicle] = self.route_time(vehicle, self.routes[vehicle])
        self.served[removed] = False
        return removed

    def recreate(self, arcs: np.ndarray, rng: np.random.Generator, noise: float) -> None:
        """Insert, best prize per added second first, as many of ``arcs`` (unserved) as fit."""
        arcs = np.unique(np.asarray(arcs, dtype=np.int64))
        arcs = arcs[~self.served[arcs] & (self.prize[arcs] > 0)]
        if len(arcs) == 0:
            return
        n_vehicles = self.instance.n_vehicles
        tables = [self.insertion(v, arcs) for v in range(n_vehicles)]
        jitter = 1.0 + noise * rng.random(len(arcs))
        open_ = np.ones(len(arcs), dtype=bool)
        while open_.any():
            cost = np.array([table[0] for table in tables])  # (vehicles, arcs)
            cost[:, ~open_] = np.inf
            vehicle_of = cost.argmin(axis=0)
            best = cost[vehicle_of, np.arange(len(arcs))]
            if not np.isfinite(best).any():
                return
            ratio = np.where(np.isfinite(best), self.prize[arcs] * jitter / (np.maximum(best, 0.0) + 1.0), -np.inf)
            k = int(np.argmax(ratio))
            vehicle = int(vehicle_of[k])
            _, position, reverse = tables[vehicle]
            self.routes[vehicle].insert(int(position[k]), (int(arcs[k]), bool(reverse[k])))
            self.used[vehicle] += best[k]
            self.served[arcs[k]] = True
            open_[k] = False
            tables[vehicle] = self.insertion(vehicle, arcs)
        return


def improve(
    instance: ArcInstance,
    routes: list[Route],
    *,
    time_limit_s: float,
    seed: int = 0,
    should_stop: Callable[[], bool] | None = None,
) -> list[Route]:
    """Ruin and recreate ``routes`` for ``time_limit_s`` seconds; the best walks found (never worse than ``routes``).

    ``instance`` must carry prizes and time budgets (``mode="time"``), as
    :func:`canvass.plan.solve._arc_instance` builds it.
    """
    clock = time.perf_counter()
    stop = should_stop or (lambda: False)
    rng = np.random.default_rng(seed)
    current = _State(instance, routes)
    current.recreate(np.flatnonzero(~current.served), rng, noise=0.0)  # whatever still fits, first
    best = current.copy()
    ends = instance.arc_ends
    hubs = np.unique(instance.starts)
    temperature = 0.002
    while time.perf_counter() - clock < time_limit_s and not stop():
        candidate = current.copy()
        served = np.flatnonzero(candidate.served)
        if len(served) == 0:
            break
        kind = rng.random()
        if kind < 0.7:  # strings around a served unit, in the nearest walks
            centre = int(ends[rng.choice(served), 0])
            removed = _ruin_strings(candidate, centre, rng)
        elif kind < 0.85:  # the units nearest a meeting place
            centre = int(rng.choice(hubs))
            near = served[np.argsort(instance.deadhead[centre, ends[served, 0]])[: int(rng.integers(3, 3 + MAX_STRING))]]
            removed = _remove_arcs(candidate, set(near.tolist()))
        else:  # swap: the worst units of one walk make room
            centre, removed = _ruin_worst(candidate, rng)
        near = np.argsort(np.minimum(instance.deadhead[centre, ends[:, 0]], instance.deadhead[centre, ends[:, 1]]))[:NEAR_UNITS]
        candidate.recreate(np.concatenate([removed, near]), rng, noise=0.3)
        delta = candidate.total_prize - current.total_prize
        if delta > 1e-9 or (abs(delta) <= 1e-9 and candidate.used.sum() < current.used.sum()) or \
                rng.random() < np.exp(delta / max(1e-9, temperature * current.total_prize)):
            current = candidate
            if current.total_prize > best.total_prize + 1e-9 or (
                    abs(current.total_prize - best.total_prize) <= 1e-9 and current.used.sum() < best.used.sum()):
                best = current.copy()
        temperature = max(1e-5, temperature * 0.999)
    return [list(route) for route in best.routes]


def _remove_arcs(state: _State, arcs: set) -> np.ndarray:
    removed = []
    for vehicle, route in enumerate(state.routes):
        indices = [k for k, (arc, _) in enumerate(route) if arc in arcs]
        if indices:
            removed += state.remove(vehicle, indices)
    return np.array(removed, dtype=np.int64)


def _ruin_strings(state: _State, centre: int, rng: np.random.Generator) -> np.ndarray:
    """Remove a string of consecutive units from each of the walks that pass nearest ``centre``."""
    deadhead, ends = state.deadhead, state.instance.arc_ends
    nearest = []
    for vehicle, route in enumerate(state.routes):
        if route:
            arcs = np.array([arc for arc, _ in route])
            distance = deadhead[centre, ends[arcs, 0]]
            k = int(distance.argmin())
            nearest.append((float(distance[k]), vehicle, k))
    removed = []
    for _, vehicle, k in sorted(nearest)[: int(rng.integers(1, MAX_RUINED_WALKS + 1))]:
        length = int(rng.integers(1, min(MAX_STRING, len(state.routes[vehicle])) + 1))
        first = int(np.clip(k - rng.integers(0, length), 0, len(state.routes[vehicle]) - length))
        removed += state.remove(vehicle, list(range(first, first + length)))
    return np.array(removed, dtype=np.int64)


def _ruin_worst(state: _State, rng: np.random.Generator) -> tuple[int, np.ndarray]:
    """In one walk, remove the units whose prize per second of detour is lowest; the key near them and the units removed."""
    walks = [v for v, route in enumerate(state.routes) if route]
    vehicle = int(rng.choice(walks))
    route = state.routes[vehicle]
    keys = state.keys(vehicle, route)
    service = state.models[vehicle][1]
    # Detour of step k: legs into and out of it, less the leg that would replace them.
    into = state.leg(vehicle, keys[0:-1:2], keys[1::2])[:-1]
    out = state.leg(vehicle, keys[2::2], keys[3::2])
    bypass = state.leg(vehicle, keys[0:-2:2], keys[3::2])
    arcs = np.array([arc for arc, _ in route])
    saving = into + out - bypass + service[arcs]
    worth = state.prize[arcs] / np.maximum(saving, 1.0)
    count = int(rng.integers(1, min(4, len(route)) + 1))
    worst = np.argsort(worth)[:count]
    centre = int(keys[1 + 2 * int(worst[0])])
    return centre, np.array(state.remove(vehicle, sorted(worst.tolist())), dtype=np.int64)
