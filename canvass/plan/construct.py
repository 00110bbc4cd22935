"""Constructive starts for the engine: a strong first solution makes the search's time count.

- :func:`giant_tour_split`: a randomised nearest-neighbour tour through every
  arc, cut optimally into capacity-feasible routes (Ulusoy's split, the start
  of most good CARP heuristics); the best of several seeded tours is kept.
- :func:`greedy_orienteering`: for time budgets and prizes (canvassing), each
  vehicle in turn grows its walk with the arc of best prize per minute that
  still lets it get back in time.
"""

from __future__ import annotations

import numpy as np

from canvass.plan.engine import ArcInstance


def _tour(instance: ArcInstance, rng: np.random.Generator, depot: int) -> list[tuple[int, bool]]:
    """Nearest-neighbour giant tour over every arc, ties broken at random, entering each arc by its nearer end."""
    ends = instance.arc_ends
    remaining = np.ones(instance.n_arcs, dtype=bool)
    position, tour = depot, []
    noise = rng.random(instance.n_arcs) * 1e-3
    for _ in range(instance.n_arcs):
        to_tail = instance.deadhead[position, ends[:, 0]]
        to_head = instance.deadhead[position, ends[:, 1]]
        nearest = np.minimum(to_tail, to_head) + noise
        nearest[~remaining] = np.inf
        candidates = np.flatnonzero(nearest <= nearest.min() * (1 + 0.25 * rng.random()) + 1e-9)
        arc = int(rng.choice(candidates))
        reverse = bool(to_head[arc] < to_tail[arc])
        tour.append((arc, reverse))
        remaining[arc] = False
        position = ends[arc][0] if reverse else ends[arc][1]
    return tour


def split(instance: ArcInstance, tour: list[tuple[int, bool]]) -> tuple[list[list[tuple[int, bool]]], float]:
    """Cut a giant tour into routes from and to vehicle 0's depot, at least cost under the load capacity."""
    depot_start, depot_end = int(instance.starts[0]), int(instance.ends[0])
    capacity = float(instance.capacity[0])
    n = len(tour)
    starts = np.array([instance.arc_ends[a][1] if r else instance.arc_ends[a][0] for a, r in tour])
    ends = np.array([instance.arc_ends[a][0] if r else instance.arc_ends[a][1] for a, r in tour])
    service = np.array([instance.service[a] for a, _ in tour], dtype=float) if instance.cost_includes_service else np.zeros(n)
    demand = np.array([instance.demand[a] for a, _ in tour], dtype=float)
    best = np.full(n + 1, np.inf)
    best[0] = 0.0
    previous = np.zeros(n + 1, dtype=int)
    for i in range(n):
        if not np.isfinite(best[i]):
            continue
        load, inner = 0.0, 0.0
        for j in range(i, n):
            load += demand[j]
            if load > capacity:
                break
            if j > i:
                inner += instance.deadhead[ends[j - 1], starts[j]] + service[j]
            else:
                inner = service[j]
            cost = best[i] + instance.deadhead[depot_start, starts[i]] + inner + instance.deadhead[ends[j], depot_end]
            if cost < best[j + 1]:
                best[j + 1], previous[j + 1] = cost, i
    routes, j = [], n
    while j > 0:
        routes.append(tour[previous[j]:j])
        j = previous[j]
    return routes[::-1], float(best[n])


def giant_tour_split(instance: ArcInstance, *, seed: int = 0, n_tours: int = 20) -> list[list[tuple[int, bool]]]:
    """Best split of ``n_tours`` seeded nearest-neighbour giant tours (every arc served)."""
    rng = np.random.default_rng(seed)
    best_routes, best_cost = None, np.inf
    for _ in range(n_tours):
        routes, cost = split(instance, _tour(instance, rng, int(instance.starts[0])))
        if cost < best_cost:
            best_routes, best_cost = routes, cost
    return best_routes


def greedy_orienteering(instance: ArcInstance, *, seed: int = 0) -> list[list[tuple[int, bool]]]:
    """Grow each vehicle's walk with the reachable arc of best prize per unit of time, within its budget.

    Vehicles take turns so that no team empties the neighbourhood of another
    before it starts; an arc a vehicle is not allowed to serve is never offered.
    """
    rng = np.random.default_rng(seed)
    ends = instance.arc_ends
    prize = instance.prize.astype(float) + rng.random(instance.n_arcs) * 1e-6
    remaining = prize > 0
    allowed = np.ones((instance.n_vehicles, instance.n_arcs), dtype=bool)
    if instance.allowed is not None:
        for arc, vehicles in enumerate(instance.allowed):
            if vehicles is not None:
                allowed[:, arc] = False
                allowed[list(vehicles), arc] = True
    routes: list[list[tuple[int, bool]]] = [[] for _ in range(instance.n_vehicles)]
    position = np.array(instance.starts, dtype=int)
    used = np.zeros(instance.n_vehicles)
    active = np.ones(instance.n_vehicles, dtype=bool)
    models = [instance.time_model(vehicle) for vehicle in range(instance.n_vehicles)]
    while active.any():
        for vehicle in np.flatnonzero(active):
            factor, service = models[vehicle]
            here, home = position[vehicle], int(instance.ends[vehicle])
            to_tail, to_head = instance.deadhead[here, ends[:, 0]], instance.deadhead[here, ends[:, 1]]
            reverse = to_head < to_tail
            reach = np.where(reverse, to_head, to_tail) * factor
            exit_key = np.where(reverse, ends[:, 0], ends[:, 1])
            total = used[vehicle] + reach + service + instance.deadhead[exit_key, home] * factor
            # 1 % margin: OR-Tools counts whole seconds per leg, this count does not round.
            feasible = remaining & allowed[vehicle] & (total <= 0.99 * instance.capacity[vehicle])
            if not feasible.any():
                active[vehicle] = False
                continue
            ratio = np.where(feasible, prize / (reach + service + 1.0), -np.inf)
            arc = int(np.argmax(ratio))
            routes[vehicle].append((arc, bool(reverse[arc])))
            used[vehicle] += reach[arc] + service[arc]
            position[vehicle] = exit_key[arc]
            remaining[arc] = False
    return routes
