"""Backtests on every real territory with two ballots: persistence, the camp-share ranking and every model.

    cd benchmarks && python backtests.py

Each case scores from the ballots before a target and compares with the
target's reservoir of the same strategy: Spearman, top-10/20 % capture, 90 %
bootstrap intervals over bureaux (seed 0, 1,000 resamples) and the paired
difference with persistence (the same reservoir at the last ballot). Prints
the table and a verdict per case, writes ``benchmarks/results/backtests.csv``.
Territories without two ballots are listed with the reason they are not run.
"""

from __future__ import annotations

import sys
import time
import warnings

import pandas as pd

from canvass.scores.backtest import SHRUNK, PERSISTENCE, backtest_territory, long_table
from canvass.scores.camps import Camp
from canvass.scores.strategies import ScoreParams
from canvass.territory.build import build_territory

from _common import QUICK, REAL, write_rows

TERRITORIES = {
    "brest": ("brest", ["29019"]),
    "paris-16e": ("paris-16e", ["75116"]),
    "toulouse": ("scale/toulouse", ["31555"]),
}

CASES = [
    # territory, source, target, strategy, camp
    ("brest", "2017_pres", "2022_legi", "turnout", ()),
    ("brest", "2017_pres", "2022_legi", "mobilisation", ("centre",)),
    ("brest", "2022_legi", "2024_legi", "turnout", ()),
    ("brest", "2022_legi", "2024_legi", "mobilisation", ("gauche",)),
    ("brest", "2022_legi", "2024_legi", "mobilisation", ("2022_legi=CADALEN,SMOLARZ", "2024_legi=UG")),
    ("brest", "2022_legi", "2024_legi", "persuasion", ("gauche",)),
    ("brest", "2022_legi_t1", "2022_legi_t2", "turnout", ()),
    ("brest", "2024_legi_t1", "2024_legi_t2", "turnout", ()),
    ("brest", "2024_legi_t1", "2024_legi_t2", "mobilisation", ("gauche",)),
    ("paris-16e", "2017_pres", "2020_muni", "turnout", ()),
    ("paris-16e", "2017_pres", "2020_muni", "mobilisation", ("2017_pres=MACRON", "2020_muni=SEBBAH")),
    ("paris-16e", "2017_pres", "2020_muni", "persuasion", ("2017_pres=MACRON", "2020_muni=SEBBAH")),
    ("toulouse", "2026_muni_t1", "2026_muni_t2", "turnout", ()),
    ("toulouse", "2026_muni_t1", "2026_muni_t2", "mobilisation", ("005",)),
    ("toulouse", "2026_muni_t1", "2026_muni_t2", "mobilisation", ("003,004,012",)),
]
"""Toulouse lists carry numbers only: 005 is in both rounds; 012 (round 2) faces it after 003 and 004 (round 1)."""

NOT_RUN = {
    "concarneau-douarnenez": "P2017 round 2 only: no earlier ballot to score from (the round-1 file is not in the data).",
    "france P2017 (69,242 bureaux)": "P2017 round 2 only: a single ballot, no pair to backtest.",
    "gouesnou": "6 bureaux: too few for a ranking (the backtest needs 5 and captures would be one bureau).",
}

HEADLINE = [
    ("brest", "2022_legi", "2024_legi", "mobilisation", ("gauche",)),
    ("paris-16e", "2017_pres", "2020_muni", "mobilisation", ("2017_pres=MACRON", "2020_muni=SEBBAH")),
    ("toulouse", "2026_muni_t1", "2026_muni_t2", "turnout", ()),
]
"""The three real backtests the acceptance counts: the model must beat persistence on both figures in 2 of them."""


def case_label(territory: str, source: str, target: str, strategy: str, camp: tuple[str, ...]) -> str:
    return f"{territory} {source}->{target} {strategy}" + (f" [{'; '.join(camp)}]" if camp else "")


def main() -> int:
    built = {}
    results = {}
    started = time.perf_counter()
    for territory, source, target, strategy, camp in HEADLINE[:1] if QUICK else CASES:
        if territory not in built:
            folder, communes = TERRITORIES[territory]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                built[territory] = build_territory(REAL / folder, communes)
        params = ScoreParams(strategy=strategy, camp=Camp.parse(camp))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            results[case_label(territory, source, target, strategy, camp)] = backtest_territory(
                built[territory], params, source=source, target=target, seed=0)
    table = long_table(results)
    pd.set_option("display.width", 250)
    pd.set_option("display.max_colwidth", 60)
    shown = table[["case", "kind", "n_bureaux", "spearman", "spearman_lo", "spearman_hi", "capture_top10", "capture_top20",
                   "capture_top20_lo", "capture_top20_hi", "delta_spearman", "delta_capture_top20"]]
    print(shown.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print("\nshrunk model against persistence (Δ Spearman, Δ top-20 % capture, 90 % interval of the paired difference):")
    for case, result in results.items():
        rows = result.table.set_index("kind")
        model = rows.loc[SHRUNK]
        wins = model["delta_spearman"] > 0 and model["delta_capture_top20"] > 0
        print(f"  {case:80} {model['delta_spearman']:+.3f} [{model['delta_spearman_lo']:+.3f}, {model['delta_spearman_hi']:+.3f}]"
              f"  {model['delta_capture_top20']:+.2%} [{model['delta_capture_top20_lo']:+.2%}, {model['delta_capture_top20_hi']:+.2%}]"
              f"  {'beats persistence' if wins else 'does not beat persistence on both'}")
    headline = [results[case_label(*case)].table.set_index("kind").loc[SHRUNK] for case in HEADLINE if case_label(*case) in results]
    n_wins = sum(row["delta_spearman"] > 0 and row["delta_capture_top20"] > 0 for row in headline)
    print(f"\nheadline backtests won by the shrunk model on both Spearman and top-20 % capture: {n_wins} of {len(headline)}")
    for name, reason in NOT_RUN.items():
        print(f"not run: {name}: {reason}")
    print(f"{len(results)} backtests in {time.perf_counter() - started:.1f} s (persistence is the '{PERSISTENCE}' row of each)")
    write_rows(table.to_dict("records"), "backtests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
