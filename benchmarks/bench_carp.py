"""Benchmark: the arc-routing engine on the classic CARP sets, against plain OR-Tools guided local search.

    cd benchmarks && python bench_carp.py [--sets gdb val egl hefei] [--limits 10 60] [--instances 6 hefei=3] [--seed 0] [--seeds 5]

For each instance and time limit, both methods start from the same
giant-tour split (:func:`canvass.plan.construct.giant_tour_split`, same seed):

- baseline: one OR-Tools guided local search for the whole time (``perturb=False``);
- ours: the engine's perturb-and-search loop (``perturb=True``).

Every solution (and the split start) is re-checked by
:func:`canvass.plan.carp.check_carp_solution`, which rebuilds the graph from
the file; a violation, or a cost that differs from the engine's objective,
aborts the run; a run whose search raises is kept with the error in its
status column, and ``start kept`` says OR-Tools returned nothing in time (the
start stands). Gaps are 100·(value − BKS)/BKS with the best-known values of
``shared/bench/BKS.md``, each instance run with ``--seeds`` seeds, summarised
by size class (< 100, 100–300, ≥ 300 required edges). For both methods the
time limit includes building the OR-Tools model, not the split start (shared
by both).

``--instances`` samples each set deterministically (evenly spaced in natural
order, first and last included): a bare number applies to every set,
``SET=N`` overrides one set; without it every instance runs. Runs go two at a
time on separate processes (``--workers``; OR-Tools searches on one thread),
so both methods get one core each on a 2-core machine.

The full run (all 23 gdb, 34 val, 24 egl and 10 Hefei at 10 s and 60 s, 5 seeds,
about 91 × 5 × 2 × 70 s / 2 ≈ 15 h on 2 cores)::

    cd benchmarks && python bench_carp.py --limits 10 60

Writes ``benchmarks/results/carp.csv``.
"""

from __future__ import annotations

import argparse
import csv
import re
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from _common import QUICK

from canvass.plan.carp import check_carp_solution, read_carp, to_arc_instance
from canvass.plan.construct import giant_tour_split
from canvass.plan.engine import solve

BENCH = Path(__file__).resolve().parents[1].parent / "shared" / "bench"
SETS = {
    "gdb": "instances/carp/gdb/*.dat",
    "val": "instances/carp/val/*.dat",
    "egl": "instances/carp/egl/*.dat",
    "kshs": "instances/carp/kshs/*.dat",
    "hefei": "instances/carp-large/hefei/*.txt",
}
METHODS = {"baseline": False, "ours": True}


def read_bks(path: Path) -> dict[str, int]:
    """Best-known values of every instance named in the markdown tables of ``BKS.md``.

    A row with a bold value (``**245596**``, the Hefei "reference used" column)
    gives that value to the row's first cell; other rows are read as
    ``| name | value | name | value | ...`` pairs.
    """
    bks = {}
    for line in path.read_text().splitlines():
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        bold = [re.fullmatch(r"\*\*(\d+)\*\*", cell) for cell in cells]
        if any(bold):
            bks[cells[0]] = int(next(match for match in bold if match).group(1))
            continue
        for name, value in zip(cells[::2], cells[1::2]):
            if re.fullmatch(r"[A-Za-z][\w-]*", name) and value.isdigit():
                bks[name] = int(value)
    return bks


def natural(path: Path) -> list:
    """Sort key putting gdb2 before gdb10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.stem)]


def sample(paths: list[Path], count: int | None) -> list[Path]:
    """``count`` evenly spaced paths (all of them when ``count`` is None or too large)."""
    if count is None or count >= len(paths):
        return paths
    return [paths[i] for i in sorted(set(np.linspace(0, len(paths) - 1, count).round().astype(int).tolist()))]


def run(path: Path, limit: float, method: str, seed: int) -> dict:
    """Solve one instance with one method, check the start and the result independently, return the row."""
    carp = read_carp(path)
    instance = to_arc_instance(carp)
    start = giant_tour_split(instance, seed=seed)
    if len(start) > instance.n_vehicles:  # the split packed less tightly than the default fleet allows
        instance = to_arc_instance(carp, n_vehicles=len(start) + 2)
    start_check = check_carp_solution(carp, start)
    start += [[] for _ in range(instance.n_vehicles - len(start))]
    try:
        solution = solve(instance, initial=start, time_limit_s=limit, seed=seed, perturb=METHODS[method])
    except Exception as error:  # a crash is a result of the run, reported in its status column
        return {"instance": path.stem, "n_required": carp.n_required, "limit_s": limit, "method": method, "seed": seed,
                "start": start_check.cost, "value": start_check.cost, "routes": len(start), "seconds": limit, "status": f"error: {type(error).__name__}: {error}"}
    check = check_carp_solution(carp, solution.routes)
    if start_check.violations or check.violations or check.cost != solution.objective:
        raise RuntimeError(
            f"{path.name} {method} {limit:g} s: the independent check disagrees with the engine\n"
            f"  engine objective {solution.objective}, checker cost {check.cost}\n"
            f"  start violations: {list(start_check.violations)[:5]}\n  violations: {list(check.violations)[:5]}"
        )
    return {
        "instance": path.stem, "n_required": carp.n_required, "limit_s": limit, "method": method, "seed": seed, "start": start_check.cost,
        "value": check.cost, "routes": sum(1 for route in solution.routes if route), "seconds": round(solution.seconds, 2), "status": solution.status,
    }


def parse_counts(items: list[str] | None, sets: list[str]) -> dict[str, int | None]:
    """``["6", "hefei=3"]`` -> {every set: 6, hefei: 3}; None means every instance."""
    counts: dict[str, int | None] = dict.fromkeys(sets)
    for item in items or []:
        name, _, value = item.rpartition("=")
        for key in [name] if name else sets:
            if key not in SETS:
                raise SystemExit(f"--instances: unknown set {key!r}; choose among {', '.join(SETS)}")
            counts[key] = int(value)
    return counts


SIZES = ("< 100", "100–300", "≥ 300")
"""Size classes by required edges."""


def size_class(n_required: int) -> str:
    return SIZES[0] if n_required < 100 else SIZES[1] if n_required < 300 else SIZES[2]


def gap(value: float, bks: int) -> float:
    return 100.0 * (value - bks) / bks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", choices=list(SETS), default=["gdb", "val", "egl", "hefei"])
    parser.add_argument("--limits", nargs="+", type=float, default=[10.0], help="time limits in seconds")
    parser.add_argument("--instances", nargs="+", metavar="N|SET=N", help="sample size per set (default: all)")
    parser.add_argument("--names", nargs="+", metavar="INSTANCE", help="run only these instances of the chosen sets (e.g. Hefei-2 Hefei-5)")
    parser.add_argument("--seed", type=int, default=0, help="first seed of the split start and of the perturbations")
    parser.add_argument("--seeds", type=int, default=5, help="seeds per instance (--seed, --seed + 1, …)")
    parser.add_argument("--workers", type=int, default=2, help="runs at once, one process each")
    parser.add_argument("--methods", nargs="+", choices=list(METHODS), default=list(METHODS),
                        help="methods to run (ours alone halves the time; the baseline columns then repeat ours)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results" / "carp.csv")
    args = parser.parse_args()
    if QUICK:
        args.sets, args.limits, args.instances, args.seeds = ["gdb"], [1.0], ["1"], 1
    bks = read_bks(BENCH / "BKS.md")
    counts = parse_counts(args.instances, args.sets)
    chosen = [(name, path) for name in args.sets for path in sample(sorted(BENCH.glob(SETS[name]), key=natural), counts[name])]
    if args.names:
        chosen = [(name, path) for name, path in chosen if path.stem in set(args.names)]
    missing = [path.stem for _, path in chosen if path.stem not in bks]
    if missing:
        raise SystemExit(f"no best-known value in {BENCH / 'BKS.md'} for {', '.join(missing)}")
    seeds = range(args.seed, args.seed + args.seeds)
    jobs = [(name, path, limit, method, seed) for limit in args.limits for name, path in chosen for seed in seeds for method in args.methods]
    print(f"{len(chosen)} instances × {len(args.limits)} limits × {args.seeds} seeds × {len(args.methods)} methods = {len(jobs)} runs, "
          f"{args.workers} at a time in separate processes (one core each)")
    clock = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        futures = [pool.submit(run, path, limit, method, seed) for _, path, limit, method, seed in jobs]
        results = [future.result() for future in futures]
    print(f"done in {time.perf_counter() - clock:.0f} s; every solution passed the independent check")
    by_key = {(r["instance"], r["limit_s"], r["method"], r["seed"]): r for r in results}
    rows = []
    for limit in args.limits:
        for name, path in chosen:
            for seed in seeds:
                ours = by_key.get((path.stem, limit, "ours", seed)) or by_key[path.stem, limit, "baseline", seed]
                base = by_key.get((path.stem, limit, "baseline", seed), ours)
                best = bks[path.stem]
                rows.append({
                    "set": name, "instance": path.stem, "n_required": base["n_required"], "size": size_class(base["n_required"]),
                    "limit_s": limit, "seed": seed, "bks": best, "start": base["start"], "start_gap": gap(base["start"], best),
                    "baseline": base["value"], "baseline_gap": gap(base["value"], best),
                    "ours": ours["value"], "ours_gap": gap(ours["value"], best), "ratio": ours["value"] / base["value"],
                    "baseline_routes": base["routes"], "ours_routes": ours["routes"],
                    "baseline_status": base["status"], "ours_status": ours["status"],
                })
    print(f"{'set':6} {'instance':10} {'req':>5} {'limit':>5} {'seed':>4} {'BKS':>8} {'start':>8} {'gap%':>6} {'baseline':>8} {'gap%':>6} "
          f"{'ours':>8} {'gap%':>6} {'ratio':>6} status (baseline / ours)")
    for row in rows:
        print(f"{row['set']:6} {row['instance']:10} {row['n_required']:5d} {row['limit_s']:5g} {row['seed']:4d} {row['bks']:8d} {row['start']:8d} "
              f"{row['start_gap']:6.2f} {row['baseline']:8d} {row['baseline_gap']:6.2f} {row['ours']:8d} {row['ours_gap']:6.2f} {row['ratio']:6.3f} "
              f"{row['baseline_status']} / {row['ours_status']}")
    print(f"\n{'size':>9} {'limit':>5} {'inst':>4} {'runs':>4} {'baseline mean/max gap %':>24} {'ours mean/max gap %':>20} "
          f"{'ours better/equal/worse':>24} {'not ok':>6}")
    for limit in args.limits:
        for size in SIZES:
            group = [row for row in rows if row["size"] == size and row["limit_s"] == limit]
            if not group:
                continue
            base = [row["baseline_gap"] for row in group]
            ours = [row["ours_gap"] for row in group]
            wins = sum(row["ours"] < row["baseline"] for row in group)
            ties = sum(row["ours"] == row["baseline"] for row in group)
            not_ok = sum(row["baseline_status"] != "ok" or row["ours_status"] != "ok" for row in group)
            print(f"{size:>9} {limit:5g} {len({row['instance'] for row in group}):4d} {len(group):4d} {np.mean(base):11.2f} / {max(base):6.2f} "
                  f"{np.mean(ours):11.2f} / {max(ours):6.2f} {wins:>12d}/{ties}/{len(group) - wins - ties} {not_ok:6d}")
    args.out.parent.mkdir(exist_ok=True)
    with args.out.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({key: round(value, 4) if isinstance(value, float) else value for key, value in row.items()} for row in rows)
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
