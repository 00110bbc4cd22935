"""A seeded fuzz sample of every opendata reader: no raw exception, no impossible value accepted.

The full run (10,000 cases per reader) is ``python benchmarks/fuzz_readers.py``;
here each reader gets a fixed sample sized to its cost, so the module stays
under a minute. A failure prints the case number and its mutations, which
``Fuzzer(seed).run(reader, case)`` replays.
"""

from __future__ import annotations

import pytest

from tests.fuzz.harness import TARGETS, Fuzzer
from tests.helpers import real

SEED = 20260415

# Cases per reader, sized to each reader's cost (1 to 250 ms a call) to keep the module near a minute of CPU:
# a hundred or more where a call takes milliseconds, a few dozen for the results layouts, a handful for build_territory.
SAMPLE = {
    "bureaux": 12, "results_mi2024": 20, "results_mi2022": 40, "results_wide2017": 40, "results_paris_muni": 30,
    "results_brest2022": 30, "results_toulouse": 30, "results_datagouv": 30, "iris": 80, "census": 40, "grid": 60,
    "osm_xml": 150, "overpass_json": 150, "graphml": 150, "ban": 60, "reu": 30, "candidates": 150, "build_territory": 4,
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
    assert first.mutations != fuzzer.run("results_wide2017", 8).mutations
