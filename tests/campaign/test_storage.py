"""Saves on a full disk or a read-only folder: a clear error, and what was saved before stays intact.

The disk is a real 4 MiB tmpfs mounted for each test (the suite runs as root,
as CI does), so SQLite and the atomic writer meet the errors a full USB key or a
read-only share gives: ENOSPC and EROFS.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from canvass._atomic import atomic_writer, write_atomic
from canvass.campaign.store import HistorySize, open_store
from canvass.errors import StorageError


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MiB tmpfs mounted in a temporary folder; unmounted afterwards."""
    mount = tmp_path / "disk"
    mount.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"these tests mount a small tmpfs and need root (as CI has): {result.stderr.strip()}", pytrace=False)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _fill(folder: Path) -> Path:
    """Write a file until the disk is full; return it (delete it to free the space)."""
    filler = folder / "filler.bin"
    with open(filler, "wb", buffering=0) as stream:
        try:
            while True:
                stream.write(b"\0" * 65536)
        except OSError as error:
            assert error.errno == 28  # ENOSPC
    with open(filler, "ab", buffering=0) as stream:  # the last few bytes
        try:
            while True:
                stream.write(b"\0" * 512)
        except OSError:
            pass
    return filler


def _remount(mount: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(mount)], check=True, capture_output=True)


def test_full_disk_gives_a_clear_error_and_keeps_what_was_saved(small_disk):
    path = small_disk / "campagne" / "campaign.db"
    with open_store(path) as store:
        campaign = store.create_campaign("Quimper", "pw", author="alice")
        store.put(campaign, "teams", "main", {"teams": ["Centre", "Gare"]}, expected_version=None, author="alice")
        store.log_field(campaign, session="s1", team="Centre", segment_id=7, doors_knocked=20, doors_opened=6, author="alice")
        filler = _fill(small_disk)
        with pytest.raises(StorageError) as caught:
            store.put(campaign, "teams", "main", {"teams": ["x" * 1000] * 2000}, expected_version=1, author="bob")
        error = caught.value
        assert error.reason == "full" and "disk holding" in str(error) and "is full" in str(error) and "intact" in str(error)
        assert error.french.startswith("Enregistrement impossible : Le disque qui contient") and "est plein" in error.french
        # reading goes on, and nothing of the failed save shows
        document = store.get(campaign, "teams", "main")
        assert (document.value, document.version) == ({"teams": ["Centre", "Gare"]}, 1)
        assert [entry.version for entry in store.history(campaign)] == [1]
        filler.unlink()
        assert store.put(campaign, "teams", "main", {"teams": ["Centre"]}, expected_version=1, author="bob") == 2
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with open_store(path) as store:
        assert store.get(campaign, "teams", "main").value == {"teams": ["Centre"]}
        assert store.done_segments(campaign) == {7}


def test_read_only_folder_gives_a_clear_error_and_keeps_what_was_saved(small_disk):
    path = small_disk / "campaign.db"
    with open_store(path) as store:
        campaign = store.create_campaign("Brest", "pw", author="alice")
        store.put(campaign, "strategy", "main", {"w": 1}, expected_version=None, author="alice")
    _remount(small_disk, "ro")
    try:
        with pytest.raises(StorageError) as caught:  # opening checks the schema in a write transaction
            open_store(path)
        assert caught.value.reason == "read-only" and f"the folder {small_disk} is read-only" in str(caught.value)
        assert "est en lecture seule" in caught.value.french
        with pytest.raises(StorageError, match="read-only") as caught:  # a new store in a folder that cannot be made
            open_store(small_disk / "nouveau" / "campaign.db")
        assert caught.value.reason == "read-only"
    finally:
        _remount(small_disk, "rw")
    with open_store(path) as store:
        assert store.get(campaign, "strategy", "main").value == {"w": 1}
        assert store.put(campaign, "strategy", "main", {"w": 2}, expected_version=1, author="alice") == 2


def test_atomic_write_keeps_the_old_file_on_a_full_disk(small_disk):
    target = small_disk / "plan.json"
    write_atomic(target, '{"version": 1}')
    assert target.read_text() == '{"version": 1}'
    filler = _fill(small_disk)
    with pytest.raises(StorageError) as caught:
        write_atomic(target, b"x" * 2_000_000)
    assert caught.value.reason == "full" and caught.value.path == str(target)
    assert target.read_text() == '{"version": 1}'
    assert sorted(path.name for path in small_disk.iterdir()) == ["filler.bin", "plan.json"]  # no temporary file left
    filler.unlink()
    with atomic_writer(target, "w", encoding="utf-8") as stream:
        stream.write('{"version": 2}')
    assert target.read_text() == '{"version": 2}'


def test_atomic_write_on_a_read_only_folder_and_on_an_error_in_the_block(small_disk):
    target = small_disk / "sheet.csv"
    write_atomic(target, "a;b\n1;2\n")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_writer(target) as stream:
            stream.write(b"half")
            raise RuntimeError("boom")
    assert target.read_text() == "a;b\n1;2\n" and os.listdir(small_disk) == ["sheet.csv"]
    _remount(small_disk, "ro")
    try:
        with pytest.raises(StorageError) as caught:
            write_atomic(target, "new")
        assert caught.value.reason == "read-only" and "Le dossier" in caught.value.french
    finally:
        _remount(small_disk, "rw")
    assert target.read_text() == "a;b\n1;2\n"
    with pytest.raises(ValueError, match="whole files"):
        with atomic_writer(target, "ab"):
            pass


def test_history_keeps_the_last_versions_of_each_document(url):
    with open_store(url, history_keep=3) as store:
        campaign = store.create_campaign("Historique", "pw", author="alice")
        for version in range(1, 11):
            store.put(campaign, "plan", "main", {"v": version, "pad": "é" * 100}, expected_version=version - 1 or None, author="alice")
        store.put(campaign, "teams", "main", ["A"], expected_version=None, author="alice")
        assert [(entry.key, entry.version) for entry in store.history(campaign, "plan")] == [("main", 10), ("main", 9), ("main", 8)]
        size = store.history_size(campaign)
        assert size.entries == 4 and size.bytes == sum(len(f'{{"pad": "{"é" * 100}", "v": {v}}}'.encode()) for v in (8, 9, 10)) + len(b'["A"]')
    with open_store(url, history_keep=None) as store:  # keep everything, then trim a database filled that way
        for version in range(11, 21):
            store.put(campaign, "plan", "main", {"v": version}, expected_version=version - 1, author="bob")
        assert store.history_size(campaign).entries == 3 + 10 + 1
        assert store.prune_history(keep=2) == 11
        assert [entry.version for entry in store.history(campaign, limit=10)] == [20, 19, 1]
        assert store.history_size() == HistorySize(3, len(b'{"v": 20}') + len(b'{"v": 19}') + len(b'["A"]'))
    with pytest.raises(ValueError, match="history_keep"):
        open_store(url, history_keep=0)
