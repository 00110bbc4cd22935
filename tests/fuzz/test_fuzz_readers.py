"""A seeded fuzz sample of every opendata reader: no raw exception, no impossible value accepted.

The full run (10,000 cases per reader) is ``python benchmarks/fuzz_readers.py``;
here each reader gets a fixed sample sized to its cost, so the module stays
under a minute. A failure prints the case number and its mutations, which
``Fuzzer(seed).run(reader, case)`` replays.
"""

from __future__ import annotations

import pytest

from tests.fuzz.harness import TARGETS, Fuzzer
from tests.helpers import REAL, real

SEED = 20260415

# Cases per reader: a few hundred where a call takes milliseconds, fewer where it takes a tenth of a second or more.
SAMPLE = {
    "bureaux": 20, "results_mi2024": 40, "results_mi2022": 100, "results_wide2017": 120, "results_paris_muni": 80,
    "results_brest2022": 80, "results_toulouse": 80, "results_datagouv": 60, "iris": 150, "census": 80, "grid": 120,
    "osm_xml": 300, "overpass_json": 300, "graphml": 250, "ban": 150, "reu": 60, "candidates": 300, "build_territory": 6,
}


@pytest.fixture(scope="module")
def fuzzer(tmp_path_factory):
    real("SOURCES.md")  # the cuts are made from the real folder
    with Fuzzer(SEED, scratch=tmp_path_factory.mktemp("fuzz")) as instance:
        yield instance


def test_every_reader_is_sampled():
    assert set(SAMPLE) == set(TARGETS)


@pytest.mark.parametrize("reader", list(TARGETS))
def test_unmutated_cuts_read_clean(fuzzer, reader):
    """The oracles accept the real cuts: what the mutated cases report comes from the mutations."""
    assert [outcome for outcome, _ in fuzzer.run_unmutated(reader)] == ["ok"] * len(fuzzer.seeds[reader])


@pytest.mark.parametrize("reader", list(TARGETS))
def test_mutated_inputs_fail_clearly(fuzzer, reader):
    outcomes = [fuzzer.run(reader, case) for case in range(SAMPLE[reader])]
    failures = [f"case {item.case}: {item.outcome}: {item.detail}\n    mutations: {'; '.join(item.mutations)}"
                for item in outcomes if item.outcome in ("raw", "impossible")]
    assert not failures, f"{reader}: {len(failures)} of {len(outcomes)} cases\n" + "\n".join(failures[:10])
    # The mutations reach the checks: some cases must be refused, and some still read.
    kinds = {item.outcome for item in outcomes}
    assert "error" in kinds, f"{reader}: no mutation was refused"
    assert "ok" in kinds or reader == "build_territory", f"{reader}: every mutation was refused"


def test_cases_replay_identically(fuzzer):
    first = fuzzer.run("results_wide2017", 7)
    again = fuzzer.run("results_wide2017", 7)
    assert (first.outcome, first.detail, first.mutations) == (again.outcome, again.detail, again.mutations)
    assert REAL.is_dir()
