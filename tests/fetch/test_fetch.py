"""canvass fetch against the replay server: failures, resumed downloads, the lock manifest, offline mode, names."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from canvass.cli import main
from canvass.errors import InputDataError
from canvass.fetch import fetch_commune
from canvass.fetch.cache import Cache
from canvass.fetch.catalogue import http_settings, load_catalogue
from canvass.fetch.http import FetchError, RangeFile
from tests.fetch.conftest import write_catalogue


@pytest.fixture
def catalogue(tmp_path, replay):
    return write_catalogue(tmp_path / "catalogue.toml", replay)


def _fetch(tmp_path, catalogue, commune="29019", **options):
    options.setdefault("elections", ["2017_pres", "2022_legi", "2024_legi"])
    return fetch_commune(commune, tmp_path / "out", catalogue=catalogue, cache_dir=tmp_path / "cache", **options)


def test_brest_sources_fetched_and_failures_say_where_to_drop(tmp_path, catalogue):
    report = _fetch(tmp_path, catalogue)
    by_source = {item.source: item for item in report.outcomes}
    assert by_source["bureaux"].ok and by_source["results"].ok and by_source["grid"].ok
    assert report.usable
    # The Brest layer covers three communes: only Brest's 104 bureaux are kept.
    bureaux = json.loads((report.folder / "bureaux_29019.geojson").read_text())["features"]
    assert len(bureaux) == 104 and {item["properties"]["DEPCO"] for item in bureaux} == {"29019"}
    # 2017 and 2022 come from the aggregated parquets, 2024 from the Ministry's raw files cut to Brest.
    general = pq.read_table(report.folder / "general_results.parquet").to_pandas()
    assert set(general["id_election"]) == {"2017_pres_t2", "2022_legi_t1", "2022_legi_t2"}
    assert set(general["code_commune"]) == {"29019"}
    raw = (report.folder / "legislatives2024_t1_29019.csv").read_text().splitlines()
    assert len(raw) == 1 + 104 and all(";29019;" in line for line in raw[1:])
    # No BAN file for Brest on the server: a 404, listed with the URL and where to drop the file.
    ban = by_source["ban"]
    assert not ban.ok and "404" in ban.error and str(report.folder) in ban.drop_hint
    assert "/ban/adresses-29.csv.gz" in report.summary()
    sources = json.loads((report.folder / "SOURCES.json").read_text())
    assert "Brest métropole" in sources["attribution"] and not sources["odbl"]


def test_range_reads_skip_row_groups(tmp_path, replay):
    import io

    from canvass.fetch.extract import extract_parquet

    whole = pq.read_table(io.BytesIO(replay.files["/dg/general_results.parquet"])).to_pandas()
    commune = whole["code_commune"].iloc[0]  # the first commune of the file: one row group holds it
    expected = whole[whole["code_commune"] == commune]
    reader = RangeFile(replay.url("/dg/general_results.parquet"), http_settings(load_catalogue()), block=2048, keep=64)
    table = extract_parquet(reader, ["inscrits"], {"code_commune": {commune}, "id_election": set(expected["id_election"])}, source="test")
    assert table.num_rows == len(expected) > 0
    assert table.column("inscrits").to_pylist() == expected["inscrits"].tolist()
    assert reader.bytes_read < 0.5 * reader.size  # the row groups of other communes are never read


def test_timeout_then_offline_with_and_without_cache(tmp_path, catalogue, replay):
    replay.faults["/dg/general_results.parquet"] = "timeout"
    report = _fetch(tmp_path, catalogue, elections=["2022_legi"])
    results = next(item for item in report.outcomes if item.source == "results")
    assert not results.ok and "attempts" in results.error and "general_results.parquet" in results.error
    del replay.faults["/dg/general_results.parquet"]
    _fetch(tmp_path, catalogue, elections=["2022_legi"])
    replay.server.stop()  # no network from here on
    offline = _fetch(tmp_path, catalogue, elections=["2022_legi"], offline=True)
    assert {item.source for item in offline.outcomes if item.ok} >= {"commune", "bureaux", "results", "grid"}
    with pytest.raises(FetchError, match="offline"):
        fetch_commune("75116", tmp_path / "paris", catalogue=catalogue, cache_dir=tmp_path / "cache", offline=True)


def test_truncated_download_resumes_with_range(tmp_path, catalogue, replay):
    replay.faults["/insee/filosofi.zip"] = "truncate"
    report = _fetch(tmp_path, catalogue, elections=["2024_legi"])
    assert next(item for item in report.outcomes if item.source == "grid").ok
    assert replay.hits["/insee/filosofi.zip"] >= 2
    lock = json.loads((tmp_path / "cache" / "lock.json").read_text())["files"]
    entry = next(item for item in lock.values() if item["url"].endswith("/insee/filosofi.zip"))
    assert entry["size"] == len(replay.files["/insee/filosofi.zip"]) and len(entry["sha256"]) == 64


def test_changed_checksum_is_reported(tmp_path, catalogue, replay):
    _fetch(tmp_path, catalogue, elections=["2024_legi_t1"])
    assert not any(item.changed for item in _fetch(tmp_path, catalogue, elections=["2024_legi_t1"]).outcomes)
    replay.files["/mi/2024_legi_t1.csv"] = replay.files["/mi/2024_legi_t1.csv"].replace(b";Brest;", b";BREST;")
    report = _fetch(tmp_path, catalogue, elections=["2024_legi_t1"])
    changed = next(item for item in report.outcomes if item.source == "results").changed
    assert len(changed) == 1 and "sha256" in changed[0] and "2024_legi_t1" in changed[0]
    assert "changed:" in report.summary()


def test_name_resolution_unique_and_ambiguous(tmp_path, catalogue):
    cache = Cache(tmp_path / "cache", http_settings(load_catalogue(catalogue)))
    from canvass.fetch.commune import resolve_commune

    place, feature = resolve_commune("brest", load_catalogue(catalogue), cache)
    assert (place.code, place.dep) == ("29019", "29") and feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
    with pytest.raises(InputDataError, match="several communes") as error:
        resolve_commune("Saint-Denis", load_catalogue(catalogue), cache)
    assert "93066" in str(error.value) and "97411" in str(error.value)


def test_cli_exit_codes(tmp_path, catalogue, replay, capsys):
    assert main(["-q", "fetch", "--commune", "Brest", "--out", str(tmp_path / "b"), "--catalogue", str(catalogue),
                 "--cache", str(tmp_path / "cache"), "--elections", "2024_legi"]) == 0
    replay.files.pop("/brest/bureaux.geojson")
    replay.files.pop("/dg/general_results.parquet")
    replay.files.pop("/mi/2024_legi_t1.csv")
    replay.files.pop("/mi/2024_legi_t2.csv")
    # Nothing usable (no bureaux, no results): non-zero, and the message lists what to download.
    status = main(["-q", "fetch", "--commune", "29019", "--out", str(tmp_path / "c"), "--catalogue", str(catalogue),
                   "--cache", str(tmp_path / "cache2"), "--elections", "2024_legi"])
    assert status == 1
    assert "brest/bureaux.geojson" in capsys.readouterr().err
