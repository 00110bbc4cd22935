"""The demo commune: deterministic, written in official formats, read back by the real readers."""

import hashlib

import pytest

from canvass.cli import main
from canvass.demo import DEMO_COMMUNE, write_demo
from canvass.territory.build import build_territory
from canvass.territory.report import territory_report


def _digest(paths):
    return {kind: hashlib.sha256(path.read_bytes()).hexdigest() for kind, path in paths.items() if path.suffix != ".xlsx"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    paths = write_demo(folder, seed=0)
    return folder, paths, build_territory(folder, [DEMO_COMMUNE])


def test_demo_is_deterministic(demo, tmp_path):
    _, paths, _ = demo
    assert _digest(write_demo(tmp_path / "again", seed=0)) == _digest(paths)
    assert _digest(write_demo(tmp_path / "other", seed=1))["streets"] != _digest(paths)["streets"]


def test_demo_goes_through_the_official_readers(demo):
    folder, paths, territory = demo
    kinds = {item["path"]: item["kind"] for item in territory.meta["inputs"]}
    assert kinds[str(paths["results_2022_pres_t1"])] == "results"
    assert {item["layout"] for item in territory.meta["inputs"] if item["kind"] == "results"} == {"mi2022", "mi2024"}
    assert territory.meta["ignored"] == []
    assert territory.warnings == []


def test_demo_size_and_joins(demo):
    _, _, territory = demo
    report = territory_report(territory)
    assert 10 <= report["bureaux"]["n"] <= 14
    assert 5 <= report["iris"]["n"] <= 7
    assert 800 <= report["streets"]["n_segments"] <= 1600
    assert [(s["election"], s["round"]) for s in report["results"]] == [("2022_pres", 1), ("2024_legi", 1), ("2024_legi", 2)]
    for section in report["results"]:
        assert section["rate_bureaux_with_results"] == 1.0 and section["n_bureaux_totals_mismatch"] == 0
    assert report["iris"]["iris_with_census"] == f"{report['iris']['n']}/{report['iris']['n']}"
    # The secret poverty rate of one IRIS stays missing.
    assert territory.census["DISP_TP6021"].isna().sum() == 1
    # Doors come from the BAN addresses, nearly all placed on a street, on both sides.
    assert territory.meta["doors_source"]["kind"] == "addresses"
    assert territory.segments["n_doors"].sum() + territory.meta["doors_source"]["n_unplaced"] == pytest.approx(len(territory.addresses))
    assert territory.meta["doors_source"]["n_unplaced"] < 0.01 * len(territory.addresses)
    assert territory.segments["n_doors_left"].sum() == pytest.approx(territory.segments["n_doors_right"].sum(), rel=0.1)
    # The motorway is not walkable.
    assert "motorway" not in set(territory.segments["highway"])


def test_cli_demo(tmp_path, capsys):
    assert main(["-q", "demo", "--data", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    assert "Résultats législatives 2024, 2e tour : 12 bureaux sur 12 ont leurs résultats" in out
    assert (tmp_path / "demo" / "territory.gpkg").exists()
