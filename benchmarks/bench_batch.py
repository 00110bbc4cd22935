"""Benchmark: a whole département through ``canvass batch``, serial vs Dask workers in the same run, and a projection to France.

    python benchmarks/bench_batch.py [--workers 2] [--communes 04] [--time-limit 10] [--national]

Runs build → score → plan (no plan where there are no streets: every commune of
scale/dep04) for every commune of département 04 (197 communes, 260 bureaux):
first serially in this process, then on a LocalCluster of ``--workers`` processes
(one thread each). Checks that both summaries are identical, prints wall time,
per-commune cost and the peak resident memory of each process that ran communes,
then projects the cost to France (about 35,000 communes, 69,242 bureaux) from the
measured costs: one group build per département (scaled by bureaux) plus the
per-commune cost, and the plan search time per commune on top when streets exist.
With ``--national``, also joins the Paris bureaux and IRIS (the only pair of
national-style layers held here) in 1, 4 and 16 dask-geopandas partitions and
prints each worker's peak memory. Writes ``benchmarks/results/batch.csv``.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from canvass.batch import BatchSettings, run_batch
from canvass.scores.strategies import ScoreParams

from _common import QUICK, REAL, write_rows

FRANCE_COMMUNES = 34_945
"""Communes of France on 1 January 2024 (INSEE); P2017 results cover 69,242 bureaux."""
FRANCE_BUREAUX = 69_242
FRANCE_DEPARTEMENTS = 101
QUICK_COMMUNES = ["04001", "04036", "04070", "04116"]
"""A smoke run (``CANVASS_BENCH_QUICK=1``) plans these four communes instead of the département."""


def run(workers: int, communes: list[str], settings: BatchSettings, out: Path):
    result = run_batch(REAL / "scale" / "dep04", communes, out, settings, workers=workers)
    per_commune = [outcome.seconds for outcome in result.outcomes.values()]
    peaks = result.peak_rss_mb() if workers else {0: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    return result, per_commune, peaks


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def national(workers: int) -> list[dict]:
    """Paris bureaux × IRIS overlaps (896 × 992, the only pair of layers held here) in 1, 4 and 16 spatial partitions.

    A fresh LocalCluster per run, so that each worker's peak memory is that join's.
    """
    from distributed import Client, LocalCluster

    from canvass.batch.national import overlap_table

    rows = []
    for npartitions in (1, 4, 16):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
            before = client.run(_peak_mb)
            start = time.perf_counter()
            table = overlap_table(REAL / "scale" / "paris" / "bureaux_secteurs_2017_paris.geojson", REAL / "scale" / "paris" / "iris_contours_2013_paris.geojson",
                                  left_key="code_bv_insee", right_key="DCOMIRIS", npartitions=npartitions).compute()
            seconds = time.perf_counter() - start
            peaks = client.run(_peak_mb)
        growth = [peaks[worker] - before[worker] for worker in peaks]
        rows.append({"run": f"national_overlaps_p{npartitions}", "communes": None, "bureaux": 896, "wall_s": round(seconds, 1), "group_build_s": None,
                     "commune_mean_s": None, "commune_max_s": None, "peak_rss_mb_max": round(max(peaks.values()), 1),
                     "peak_rss_mb_per_process": " ".join(f"{value:.0f}(+{grow:.0f})" for value, grow in zip(peaks.values(), growth)),
                     "no_streets": None, "failed": None})
        print(f"bureaux x IRIS, {npartitions:2d} partitions: {len(table)} overlaps, {table['area_m2'].sum() / 1e6:.2f} km² in {seconds:.1f} s; "
              f"peak memory per worker (MB, growth during the join): {rows[-1]['peak_rss_mb_per_process']}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--communes", nargs="+", default=["04"])
    parser.add_argument("--time-limit", type=float, default=10.0, help="plan search per commune, used where streets exist (none in dep04)")
    parser.add_argument("--national", action="store_true", help="also time the bureaux × IRIS overlaps over partitions (Paris)")
    args = parser.parse_args()
    if QUICK:
        args.communes, args.national = QUICK_COMMUNES, False
    settings = BatchSettings(score=ScoreParams(strategy="turnout"), time_limit_s=args.time_limit)
    rows = []
    summaries = {}
    with tempfile.TemporaryDirectory() as folder:
        for workers in (0, args.workers):
            result, per_commune, peaks = run(workers, args.communes, settings, Path(folder) / f"w{workers}")
            summaries[workers] = result.summary
            label = "serial" if workers == 0 else f"dask x{workers}"
            group_s = sum(info.seconds for info in result.groups)
            n = len(result.outcomes)
            rows.append({
                "run": label, "communes": n, "bureaux": int(result.summary["bureaux"].sum()), "wall_s": round(result.seconds, 1),
                "group_build_s": round(group_s, 2), "commune_mean_s": round(statistics.mean(per_commune), 3),
                "commune_max_s": round(max(per_commune), 3), "peak_rss_mb_max": round(max(peaks.values()), 1),
                "peak_rss_mb_per_process": " ".join(f"{value:.0f}" for value in sorted(peaks.values())),
                "no_streets": int((result.summary["erreurs"] == "pas de rues : plan impossible").sum()),
                "failed": int(((result.summary["erreurs"] != "") & (result.summary["erreurs"] != "pas de rues : plan impossible")).sum()),
            })
            print(f"{label:10} {n} communes in {result.seconds:6.1f} s (group build {group_s:.1f} s, per commune mean "
                  f"{statistics.mean(per_commune):.3f} s, max {max(per_commune):.2f} s); peak memory per process (MB): "
                  f"{rows[-1]['peak_rss_mb_per_process']}; {rows[-1]['no_streets']} without streets, {rows[-1]['failed']} failed")
    pd.testing.assert_frame_equal(summaries[0], summaries[args.workers])
    print(f"summaries identical, serial and {args.workers} workers; speed-up x{rows[0]['wall_s'] / rows[1]['wall_s']:.2f}")
    serial = rows[0]
    per_commune, group_per_bureau = serial["commune_mean_s"], serial["group_build_s"] / max(1, serial["bureaux"])
    cpu_s = FRANCE_COMMUNES * per_commune + FRANCE_BUREAUX * group_per_bureau
    plan_s = FRANCE_COMMUNES * args.time_limit
    print(f"France projection ({FRANCE_COMMUNES:,} communes, {FRANCE_BUREAUX:,} bureaux, {FRANCE_DEPARTEMENTS} département builds): "
          f"{cpu_s / 3600:.1f} CPU-hours without streets (as measured here), {(cpu_s + plan_s) / 3600:.1f} with {args.time_limit:g} s of plan "
          f"search per commune (plus street building, not measured here: dep04 has no streets)")
    for workers in (2, 16, 64, 256):
        print(f"  {workers:4d} workers: {cpu_s / workers / 3600:6.2f} h without plans, {(cpu_s + plan_s) / workers / 3600:6.2f} h with plans")
    rows.append({"run": "france_projection", "communes": FRANCE_COMMUNES, "bureaux": FRANCE_BUREAUX, "wall_s": round(cpu_s, 0),
                 "group_build_s": round(FRANCE_BUREAUX * group_per_bureau, 1), "commune_mean_s": per_commune, "commune_max_s": None,
                 "peak_rss_mb_max": None, "peak_rss_mb_per_process": "", "no_streets": None, "failed": None})
    if args.national:
        rows += national(args.workers)
    write_rows(rows, "batch")


if __name__ == "__main__":
    main()
