"""The import report: 0 streets and 0 doors are loud warnings (text and JSON), with what to do."""

import dataclasses
import json

import pytest

from canvass.cli import main
from canvass.demo import DEMO_COMMUNE, write_demo
from canvass.territory.build import build_territory
from canvass.territory.io import save_territory
from canvass.territory.report import format_report, territory_report
from tests.helpers import real


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    write_demo(folder, seed=0)
    return build_territory(folder, [DEMO_COMMUNE])


def test_a_complete_territory_has_no_alert(demo):
    report = territory_report(demo)
    assert report["streets"]["n_segments"] > 0 and report["doors"]["n_doors"] > 0
    assert not any("AUCUNE" in message for message in report["alerts"])


def test_no_streets_is_a_loud_warning_with_what_to_do(demo):
    report = territory_report(dataclasses.replace(demo, segments=demo.segments.iloc[:0]))
    assert report["alerts"][0].startswith("AUCUNE RUE") and "canvass fetch" in report["alerts"][0]
    assert any(message.startswith("AUCUNE PORTE") for message in report["alerts"])
    text = format_report(report)
    assert text.splitlines()[1].startswith("  !!! ATTENTION : AUCUNE RUE")
    assert json.loads(json.dumps(report, ensure_ascii=False))["alerts"] == report["alerts"]


def test_no_doors_and_unplaced_bureaux_are_loud_warnings(demo):
    segments = demo.segments.assign(n_doors=0.0, n_doors_left=0.0, n_doors_right=0.0)
    first = demo.bureaux["bureau_id"].iloc[0]
    meta = {**demo.meta, "doors_source": {"kind": "registered_voters", "unplaced_bureaux": {first: "ni résultats ni nombre d’inscrits"}}}
    report = territory_report(dataclasses.replace(demo, segments=segments, meta=meta))
    assert not any(message.startswith("AUCUNE RUE") for message in report["alerts"])
    assert any(message.startswith("AUCUNE PORTE") for message in report["alerts"])
    assert f"1 bureaux sans portes estimées ({first} : ni résultats ni nombre d’inscrits)." in report["alerts"]
    assert report["doors"]["unplaced_bureaux"] == {first: "ni résultats ni nombre d’inscrits"}


def test_cli_report_shows_the_alerts_on_a_real_territory_without_streets(tmp_path, capsys):
    path = tmp_path / "gouesnou.gpkg"
    save_territory(build_territory(real("brest"), ["29061"]), path)
    assert main(["report", str(path)]) == 0
    assert "!!! ATTENTION : AUCUNE RUE" in capsys.readouterr().out
    assert main(["report", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["alerts"][0].startswith("AUCUNE RUE")


def test_report_reads_in_french(demo):
    from canvass.territory.report import election_name, report_lines

    report = territory_report(demo)
    text = format_report(report)
    assert text.splitlines()[0] == f"Territoire de {DEMO_COMMUNE}"
    lines = report_lines(report)
    assert lines[0].startswith(f"Bureaux de vote : {report['bureaux']['n']} (") and any(line.startswith("Rues : ") for line in lines)
    assert any(line.startswith("Portes : ") for line in lines) and any(line.startswith("Résultats ") for line in lines)
    for english in ("Territory", "round", "doors:", "results", "streets", "bureaux with", "from ", "None", "nan"):
        assert english not in "\n".join(lines), english
    assert election_name("2017_pres") == "présidentielle 2017" and election_name("x") == "x"
