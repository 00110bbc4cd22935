"""Fuzz the opendata readers: seeded mutations of small cuts of the real files, outcome counts per reader.

Run from the repository root or from benchmarks/:

    python benchmarks/fuzz_readers.py                      # 10,000 cases per reader, every reader
    python benchmarks/fuzz_readers.py --cases 500 --readers results_mi2024,overpass_json --jobs 2

Each case copies one cut (cut at run time from ../shared/data/real, never
committed), applies one to three mutations (byte flips, truncation, encodings,
line ends, dropped or renamed columns, numbers turned to inf/nan/negative/huge,
swapped coordinates, stripped CRS, Lambert-93 numbers in WGS84 files, JSON and
XML structure edits) and sorts what the reader did: ``ok``, ``error`` (a
CanvassError), ``raw`` (any other exception) or ``impossible`` (an impossible
value returned). Case ``n`` of a reader is the same for a given ``--seed``.
Prints the counts and the first raw/impossible cases per reader; writes
``benchmarks/results/fuzz_readers.csv`` (counts) and ``fuzz_readers_failures.csv``.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests package holds the harness

from _common import write_rows  # noqa: E402

from tests.fuzz.harness import TARGETS, Fuzzer, Outcome, summarise  # noqa: E402


def _run_chunk(arguments: tuple[str, int, range]) -> list[Outcome]:
    reader, seed, cases = arguments
    with Fuzzer(seed) as fuzzer:
        return [fuzzer.run(reader, case) for case in cases]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000, help="cases per reader (default 10,000)")
    parser.add_argument("--readers", default=",".join(TARGETS), help=f"comma-separated, among: {', '.join(TARGETS)}")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--show", type=int, default=5, help="raw/impossible cases printed per reader")
    args = parser.parse_args(argv)
    readers = [name.strip() for name in args.readers.split(",") if name.strip()]
    unknown = sorted(set(readers) - set(TARGETS))
    if unknown:
        parser.error(f"unknown readers: {', '.join(unknown)}")
    chunk = 1000  # cases per worker task: the cuts are made once per task
    work = [(reader, args.seed, range(start, min(start + chunk, args.cases))) for reader in readers for start in range(0, args.cases, chunk)]
    outcomes: list[Outcome] = []
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for done, results in enumerate(pool.map(_run_chunk, work), start=1):
            outcomes += results
            print(f"\r{done}/{len(work)} chunks, {time.perf_counter() - started:.0f} s", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    table = summarise(outcomes)
    print(table.to_string())
    print(f"total: {len(outcomes)} cases in {time.perf_counter() - started:.0f} s")
    failures = [item for item in outcomes if item.outcome in ("raw", "impossible")]
    for reader in readers:
        shown = [item for item in failures if item.reader == reader][: args.show]
        for item in shown:
            print(f"  {reader} case {item.case}: {item.outcome}: {item.detail[:200]}\n      mutations: {'; '.join(item.mutations)[:300]}")
    write_rows([{"reader": reader, **{column: int(value) for column, value in row.items()}} for reader, row in table.iterrows()], "fuzz_readers")
    if failures:
        write_rows([{"reader": f.reader, "case": f.case, "outcome": f.outcome, "detail": f.detail, "mutations": " ; ".join(f.mutations)}
                    for f in failures], "fuzz_readers_failures")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
