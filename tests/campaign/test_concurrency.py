"""Twenty organisers saving at the same moment: every save is either refused (ConflictError) or merged, none is lost."""

from __future__ import annotations

import threading

import pytest

from canvass.campaign.store import ConflictError, open_store

WRITERS = 20
ROUNDS = 10


def _run_together(target, count: int) -> list[BaseException]:
    """Run ``target(index, barrier)`` in ``count`` threads started together; return the errors they raised."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        try:
            target(index, barrier)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a writer is still running after 5 minutes"
    return errors


@pytest.mark.parametrize("url", ["postgresql", "sqlite"], indirect=True)
def test_twenty_simultaneous_writers_lose_no_update(url):
    with open_store(url) as store:
        campaign = store.create_campaign("Vingt organisateurs", "pw", author="setup")
        store.put(campaign, "field", "counter", {"n": 0}, expected_version=None, author="setup")
        store.put(campaign, "teams", "main", {"names": []}, expected_version=None, author="setup")
    outcomes: dict[str, list] = {"saved": [], "refused": []}

    def writer(index: int, barrier: threading.Barrier) -> None:
        name = f"orga{index:02d}"
        with open_store(url, history_keep=None) as mine:
            seen = mine.get(campaign, "teams", "main")
            barrier.wait()
            # everyone saves on top of the version they loaded: one wins, the others are refused
            try:
                outcomes["saved"].append(mine.put(campaign, "teams", "main", {"names": [name]}, expected_version=seen.version, author=name))
            except ConflictError as error:
                assert error.current_version == 2 and error.expected_version == 1
                outcomes["refused"].append(name)
            barrier.wait()
            # everyone adds to a shared counter and to their own key of a shared document: merged on the newest version
            for _ in range(ROUNDS):
                mine.update(campaign, "field", "counter", lambda value: {**value, "n": value["n"] + 1}, author=name)
                mine.update(campaign, "field", "by_writer", lambda value: {**value, name: value.get(name, 0) + 1}, author=name, default={})
                mine.log_field(campaign, session="samedi", team=name, segment_id=index, doors_knocked=2, doors_opened=1, author=name)

    errors = _run_together(writer, WRITERS)
    assert not errors, errors[:3]
    assert outcomes["saved"] == [2] and len(outcomes["refused"]) == WRITERS - 1
    with open_store(url, history_keep=None) as store:
        counter = store.get(campaign, "field", "counter")
        assert counter.value == {"n": WRITERS * ROUNDS} and counter.version == WRITERS * ROUNDS + 1
        assert store.get(campaign, "field", "by_writer").value == {f"orga{index:02d}": ROUNDS for index in range(WRITERS)}
        versions = [entry.version for entry in store.history(campaign, "field", limit=1000) if entry.key == "counter"]
        assert versions == list(range(WRITERS * ROUNDS + 1, 0, -1))  # one history entry per save, no version twice
        log = store.field_log(campaign)
        assert len(log) == WRITERS * ROUNDS and log.groupby("team")["doors_knocked"].sum().tolist() == [2 * ROUNDS] * WRITERS
        winner = store.get(campaign, "teams", "main")
        assert winner.version == 2 and winner.value == {"names": [winner.updated_by]}
