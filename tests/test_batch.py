"""Batches of communes: generated demo communes (whole chain, plan included) and real département 04 communes (no streets).

Serial runs are the reference; a LocalCluster of two worker processes must give the very same files.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest

from canvass.batch import BatchSettings, TeamsRule, run_batch, teams_by_commune
from canvass.batch.commune import DONE, NO_STREETS
from canvass.batch.groups import Group, build_group, job_codes, plan_groups, split_territory
from canvass.batch.teams import meeting_places
from canvass.demo import write_demo
from canvass.scores.camps import Camp
from canvass.scores.strategies import ScoreParams
from canvass.territory.build import build_territory
from tests.helpers import real

DEMO_CODES = {"29901": 1, "29902": 2}
"""Demo communes of the batch: INSEE code → seed of the generated commune."""
BROKEN = "29903"
SETTINGS = BatchSettings(score=ScoreParams(strategy="mobilisation", camp=Camp(("gauche",))), rule=TeamsRule(per_registered=3000), time_limit_s=0)
"""Greedy plans only (time limit 0): exactly reproducible, and a few seconds per commune."""


def write_demo_as(folder: Path, *, seed: int, code: str) -> Path:
    """The demo commune of ``seed`` with INSEE code ``code`` (département 29) instead of 29999, in ``folder``.

    ``write_demo`` has a single commune code, so its files are relabelled: the 5-character
    code (and IRIS codes) in text files, the 3-digit commune of the Ministry 2022 layout,
    and the cells of the census workbook.
    """
    write_demo(folder, seed=seed)
    for path in folder.iterdir():
        if path.suffix == ".xlsx":
            book = openpyxl.load_workbook(path)
            for sheet in book.worksheets:
                for row in sheet.iter_rows():
                    for cell in row:
                        if isinstance(cell.value, str) and cell.value.startswith("29999"):
                            cell.value = code + cell.value[5:]
            book.save(path)
            continue
        data = re.sub(rb"(?<![\d.])29999", code.encode(), path.read_bytes())
        data = re.sub(rb"(?m)^(29;[^;\n]*;[^;\n]*;[^;\n]*;)999;", rb"\g<1>" + code[2:].encode() + b";", data)
        path.write_bytes(data)
        if "29999" in path.name:
            path.rename(folder / path.name.replace("29999", code))
    return folder


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory) -> Path:
    """Three sub-folders: two demo communes (other seeds, other codes) and a third whose bureau layer is cut short (a broken download)."""
    data = tmp_path_factory.mktemp("communes")
    for code, seed in DEMO_CODES.items():
        write_demo_as(data / code, seed=seed, code=code)
    broken = write_demo_as(data / BROKEN, seed=1, code=BROKEN)
    layer = next(broken.glob("bureaux-de-vote_*.geojson"))
    layer.write_bytes(layer.read_bytes()[: layer.stat().st_size // 2])
    return data


@pytest.fixture(scope="module")
def serial(demo_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    return run_batch(demo_data, [*DEMO_CODES, BROKEN], out, SETTINGS, workers=0), out


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local, Client(local) as client:
        yield client


def test_demo_communes_run_the_whole_chain_and_a_bad_file_stays_its_communes_problem(serial):
    result, out = serial
    summary = result.summary.set_index("commune")
    assert list(summary.index) == sorted([*DEMO_CODES, BROKEN])
    for code in DEMO_CODES:
        row = summary.loc[code]
        assert row["erreurs"] == ""
        assert row["bureaux"] > 5 and row["équipes"] >= 2
        assert 0 < row["valeur"] and 0 < row["portes"]
        assert 0 < row["part de la borne"] <= 1
        for name in ("territory.gpkg", "scores.gpkg", "plan.gpkg", "equipes.csv", "rapport.txt", DONE):
            assert (out / code / name).exists(), f"{code}/{name}"
        walks = gpd.read_file(out / code / "plan.gpkg", layer="walks")
        assert walks["team"].nunique() == row["équipes"]
        assert json.loads((out / code / DONE).read_text())["row"]["valeur"] == row["valeur"]
    error = summary.loc[BROKEN, "erreurs"]
    assert error.startswith("aucun bureau de vote trouvé") and BROKEN in error and "GeoJSON" in error, error
    assert not (out / BROKEN / DONE).exists()
    written = pd.read_csv(result.summary_path, sep=";", dtype={"commune": str}, keep_default_na=False)
    assert list(written.columns) == ["commune", "bureaux", "inscrits", "équipes", "portes", "valeur", "part de la borne", "erreurs"]
    assert list(written["commune"]) == list(summary.index)


def test_two_dask_workers_give_the_serial_results(serial, demo_data, cluster, tmp_path):
    reference, reference_out = serial
    result = run_batch(demo_data, [*DEMO_CODES, BROKEN], tmp_path, SETTINGS, client=cluster)
    assert len(result.peak_rss_mb()) == 2, "both workers ran communes"
    pd.testing.assert_frame_equal(result.summary, reference.summary)
    for code in DEMO_CODES:
        for layer in ("walks", "teams"):
            ours = pyogrio.read_dataframe(tmp_path / code / "plan.gpkg", layer=layer)
            theirs = pyogrio.read_dataframe(reference_out / code / "plan.gpkg", layer=layer)
            pd.testing.assert_frame_equal(ours, theirs)
        ours = pyogrio.read_dataframe(tmp_path / code / "scores.gpkg", layer="segment_scores")
        pd.testing.assert_frame_equal(ours, pyogrio.read_dataframe(reference_out / code / "scores.gpkg", layer="segment_scores"))


def test_a_rerun_skips_finished_communes_and_retries_failed_ones(serial, demo_data, tmp_path):
    reference, reference_out = serial
    out = tmp_path / "out"
    shutil.copytree(reference_out, out)
    first, second = sorted(DEMO_CODES)
    (out / second / DONE).unlink()
    stamp = (out / first / "plan.gpkg").stat().st_mtime_ns
    result = run_batch(demo_data, [*DEMO_CODES, BROKEN], out, SETTINGS, workers=0)
    assert result.skipped == (first,)
    assert sorted(result.outcomes) == [second]
    assert [info.error is not None for info in result.groups] == [False, False, True], "the broken folder was tried again"
    assert (out / first / "plan.gpkg").stat().st_mtime_ns == stamp
    pd.testing.assert_frame_equal(result.summary, reference.summary)


def test_teams_from_a_file_with_a_commune_column(demo_data, tmp_path):
    first, second = sorted(DEMO_CODES)
    rows = pd.read_csv(demo_data / first / "equipes.csv", sep=";").head(3).assign(commune=first)
    rows.to_csv(tmp_path / "equipes.csv", sep=";", index=False)
    tables = teams_by_commune(tmp_path / "equipes.csv", [first, second])
    assert list(tables) == [first] and len(tables[first]) == 3 and "commune" not in tables[first]
    settings = BatchSettings(score=SETTINGS.score, rule=None, teams=tables, time_limit_s=0)
    summary = run_batch(demo_data, [first, second], tmp_path / "out", settings, workers=0).summary.set_index("commune")
    assert summary.loc[first, "équipes"] == 3 and summary.loc[first, "erreurs"] == ""
    assert summary.loc[second, "erreurs"].startswith("équipes impossibles")
    assert (tmp_path / "out" / second / "scores.gpkg").exists(), "built and scored even without teams"


def test_teams_rule():
    rule = TeamsRule.parse("taille=4,inscrits=500,minutes=90,max=3")
    assert (rule.size, rule.per_registered, rule.minutes, rule.max_teams) == (4, 500, 90, 3)
    assert [rule.n_teams(n) for n in (0, 499, 501, 5000)] == [1, 1, 2, 3]
    assert TeamsRule.parse(rule.describe()) == rule
    with pytest.raises(ValueError, match="inscrit"):
        TeamsRule.parse("inscrit=1000")


def test_meeting_places_are_on_the_streets_of_bureaux_with_streets(demo_data):
    territory = build_territory(demo_data / "29901", ["29901"])
    places = gpd.GeoSeries(gpd.points_from_xy(*zip(*meeting_places(territory))), crs=territory.segments.crs)
    assert len(places) == territory.segments["bureau_id"].nunique()
    assert places.distance(territory.segments.union_all()).max() < 1e-6


def test_a_departement_is_built_once_and_split_like_single_builds():
    folder = real("scale/dep04/Bvote_Propre_Dep_04_reu2022.geojson").parent
    (group,) = plan_groups([folder], ["04"])
    build = build_group(group)
    assert build.error is None
    assert len(build.communes) == 197
    for code in ("04070", "04116"):
        part = split_territory(build.territory, code)
        alone = build_territory(folder, [code])
        assert part.communes == (code,)
        assert sorted(part.bureaux["bureau_id"]) == sorted(alone.bureaux["bureau_id"])
        pd.testing.assert_frame_equal(part.results.sort_values(["bureau_id", "candidate"]).reset_index(drop=True),
                                      alone.results.sort_values(["bureau_id", "candidate"]).reset_index(drop=True), check_dtype=False)
        assert sorted(part.warnings) == sorted(alone.warnings)


def test_departement_communes_without_streets_are_built_and_scored(tmp_path):
    folder = real("scale/dep04/Bvote_Propre_Dep_04_reu2022.geojson").parent
    settings = BatchSettings(score=ScoreParams(strategy="turnout"), time_limit_s=0)
    result = run_batch(folder, ["04070", "04116", "99999"], tmp_path, settings, workers=0)
    summary = result.summary.set_index("commune")
    for code in ("04070", "04116"):
        assert summary.loc[code, "erreurs"] == NO_STREETS
        assert summary.loc[code, "inscrits"] > 0 and summary.loc[code, "équipes"] >= 1
        assert (tmp_path / code / "scores.gpkg").exists() and not (tmp_path / code / "plan.gpkg").exists()
        assert (tmp_path / code / DONE).exists()
    assert summary.loc["99999", "erreurs"].startswith("aucun bureau de vote trouvé")


def test_job_codes_expand_departements_and_paris_arrondissements():
    keys = pd.Series(["04070_0001", "04070_0002", "04116_0001", "75056_1601", "75056_0101", "05001_0001"])
    assert job_codes(keys, ("04",)) == ("04070", "04116")
    assert job_codes(keys, ("75",)) == ("75101", "75116")
    assert job_codes(keys, ("75116", "04116", "06000")) == ("04116", "75116")
    assert [g.codes for g in plan_groups([Path("a")], ["04070", "05", "04116"])] == [("04070", "04116"), ("05",)]
    assert build_group(Group(Path("/nonexistent"), ("04",))).error is not None


def test_a_folder_that_fails_to_build_as_a_whole_still_tries_each_commune(tmp_path):
    """A results file whose name gives no election year stops the group build; each commune is then built alone and says why."""
    layer = real("scale/dep04/Bvote_Propre_Dep_04_reu2022.geojson")
    data = tmp_path / "dep04"
    data.mkdir()
    (data / layer.name).symlink_to(layer)
    shutil.copy(layer.parent / "2017-presidentielle-2_par_bureau_large_dep04.csv", data / "resultats.csv")
    result = run_batch(data, ["04070", "04116"], tmp_path / "out", BatchSettings(score=ScoreParams(strategy="turnout")), workers=0)
    assert result.groups[0].error is not None and result.groups[0].communes == ("04070", "04116")
    for row in result.summary.itertuples():
        assert row.erreurs.startswith("construction impossible") and "year" in row.erreurs
        assert (tmp_path / "out" / row.commune).is_dir() and not (tmp_path / "out" / row.commune / DONE).exists()


def test_national_overlaps_by_partition_equal_one_whole_join():
    """Paris bureaux × IRIS (896 × 992) in 4 spatial partitions each, the IRIS read from the file in chunks: the same overlaps as one join."""
    import shapely

    from canvass.batch.national import overlap_table

    bureaux = gpd.read_file(real("scale/paris/bureaux_secteurs_2017_paris.geojson")).to_crs(2154)
    iris_path = real("scale/paris/iris_contours_2013_paris.geojson")
    iris = gpd.read_file(iris_path).to_crs(2154)
    table = overlap_table(bureaux, iris_path, left_key="code_bv_insee", right_key="DCOMIRIS", npartitions=4).compute(scheduler="sync")
    a, b = shapely.STRtree(iris.geometry.values).query(bureaux.geometry.values, predicate="intersects")
    area = shapely.area(shapely.intersection(bureaux.geometry.values[a], iris.geometry.values[b]))
    whole = pd.DataFrame({"left": bureaux["code_bv_insee"].to_numpy()[a], "right": iris["DCOMIRIS"].to_numpy()[b], "area_m2": area})
    whole = whole[whole["area_m2"] > 0].sort_values(["left", "right"]).reset_index(drop=True)
    table = table.sort_values(["left", "right"]).reset_index(drop=True)
    assert len(table) == len(whole) > 896
    assert list(table["left"]) == list(whole["left"]) and list(table["right"]) == list(whole["right"])
    assert table["area_m2"].to_numpy() == pytest.approx(whole["area_m2"].to_numpy(), rel=1e-9)


def test_cli_batch_writes_the_summary_and_says_what_failed(tmp_path, capsys):
    from canvass.cli import main

    folder = real("scale/dep04/Bvote_Propre_Dep_04_reu2022.geojson").parent
    status = main(["-q", "batch", str(folder), "--commune", "04001", "99999", "--workers", "0", "--out", str(tmp_path), "--teams-rule", "taille=2,inscrits=500"])
    printed = capsys.readouterr().out
    assert status == 1 and "99999:" in printed and "1 without streets" in printed
    summary = pd.read_csv(tmp_path / "synthese.csv", sep=";", dtype={"commune": str})
    assert list(summary["commune"]) == ["04001", "99999"]
    assert summary.loc[0, "équipes"] == 2, "895 registered voters, one team per 500"
