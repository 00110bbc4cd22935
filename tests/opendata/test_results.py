"""Results readers: real files read in place, hand-made fixtures in the official layouts, bad inputs."""

from __future__ import annotations

import time
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from canvass.demo.results_formats import write_datagouv, write_mi2022, write_mi2024
from canvass.errors import DataQualityWarning, InputDataError
from canvass.opendata.codes import bureau_key, normalise_bureau
from canvass.opendata.results import (
    LAYOUTS,
    check_result_totals,
    detect_results_layout,
    election_from_filename,
    read_results,
)
from canvass.opendata.schemas import RESULTS_COLUMNS
from tests.helpers import DATA, real

BREST_L2024 = "brest/legislatives2024_t{}_resultats-definitifs-par-bureau-de-vote_circ29-02-03.csv"
BREST_L2022 = "brest/legislatives2022_t{}_ville-de-brest_circ29-0{}.csv"
TOULOUSE = "scale/toulouse/resultats-elections-municipales-2026-{}-tour.parquet"


def assert_tidy(results: pd.DataFrame) -> None:
    """The common contract: exact columns, string codes with leading zeros, float counts."""
    assert tuple(results.columns) == RESULTS_COLUMNS
    assert results["round"].dtype == np.int64
    assert results["bureau_id"].str.fullmatch(r"[0-9AB]{5}_\S+").all()
    assert (results["commune"].str.len() == 5).all()
    assert (results["commune"] == results["bureau_id"].str.slice(0, 5)).all()
    counts = ["n_registered", "n_voters", "n_abstentions", "n_expressed", "n_blank", "n_null", "n_votes"]
    assert (results[counts].dtypes == np.float64).all()


def bureaux(results: pd.DataFrame) -> pd.DataFrame:
    """One row per bureau with its totals and the sum of its votes."""
    grouped = results.groupby("bureau_id")
    return grouped.first().assign(votes_sum=grouped["n_votes"].sum(min_count=1))


@pytest.fixture(scope="module")
def brest_polygon_keys() -> set[str]:
    polygons = gpd.read_file(real("brest/LIM_ADM_BureauxVote_s_brest_metropole.geojson"))
    return set(bureau_key(polygons["DEPCO"], polygons["BVOTE"].astype(str)))


@pytest.fixture(scope="module")
def paris16_polygon_keys() -> set[str]:
    polygons = gpd.read_file(real("paris-16e/bureaux_secteurs_2017_paris16.geojson"))
    return set(bureau_key(pd.Series("75116", index=polygons.index), polygons["id_bv"]))


# --------------------------------------------------------------------------- real files


@pytest.mark.parametrize("round_", [1, 2])
def test_mi2024_brest(round_, brest_polygon_keys):
    results = read_results(real(BREST_L2024.format(round_)))
    assert_tidy(results)
    assert set(results["election"]) == {"2024_legi"} and set(results["round"]) == {round_}
    assert results["bureau_id"].nunique() == 201
    per_commune = results.drop_duplicates("bureau_id")["commune"].value_counts()
    assert per_commune["29019"] == 104 and per_commune["29061"] == 6
    ours = set(results.loc[results["commune"].isin(["29019", "29061"]), "bureau_id"])
    assert ours <= brest_polygon_keys and len(ours) == 110
    totals = bureaux(results)
    assert (totals["votes_sum"] + totals["n_blank"] + totals["n_null"] == totals["n_voters"]).all()
    assert check_result_totals(results).empty
    assert results["nuance"].notna().all() and results["candidate"].str.contains(" ").all()
    # Trailing empty blocks are dropped: Bohars had 10 candidates at T1, 3 at T2.
    assert results.groupby("bureau_id").size()["29011_0001"] == (10 if round_ == 1 else 3)


def test_mi2024_communes_filter():
    results = read_results(real(BREST_L2024.format(1)), communes=["29061"])
    assert set(results["commune"]) == {"29061"} and results["bureau_id"].nunique() == 6


@pytest.mark.parametrize("round_", [1, 2])
def test_brest2022_two_files_per_round(round_, brest_polygon_keys):
    parts = [read_results(real(BREST_L2022.format(round_, circo))) for circo in (2, 3)]
    assert [part["bureau_id"].nunique() for part in parts] == [78, 26]
    results = pd.concat(parts, ignore_index=True)
    assert_tidy(results)
    assert set(results["election"]) == {"2022_legi"} and set(results["round"]) == {round_}
    keys = set(results["bureau_id"])
    assert len(keys) == 104 and keys <= brest_polygon_keys and "29019_0024" in keys
    totals = bureaux(results)
    assert (totals["votes_sum"] + totals["n_blank"] + totals["n_null"] == totals["n_voters"]).all()
    assert (totals["n_abstentions"] == totals["n_registered"] - totals["n_voters"]).all()  # derived: no column
    assert not results["candidate"].str.endswith("- votes").any()


def test_wide2017_paris16(paris16_polygon_keys):
    results = read_results(real("paris-16e/2017-presidentielle-2_par_bureau_large_paris16.csv"))
    assert_tidy(results)
    assert set(results["election"]) == {"2017_pres"} and set(results["round"]) == {2}
    assert set(results["bureau_id"]) == paris16_polygon_keys and len(paris16_polygon_keys) == 68
    assert set(results["candidate"]) == {"LE PEN", "MACRON"} and results["nuance"].isna().all()
    # No nuls column: n_null is derived, so the check that means something is votes == exprimés.
    totals = bureaux(results)
    assert (totals["votes_sum"] == totals["n_expressed"]).all()
    assert (totals["n_null"] == totals["n_voters"] - totals["n_blank"] - totals["n_expressed"]).all()
    assert (totals["n_null"] >= 0).all()


@pytest.mark.parametrize(
    ("relative", "n_bureaux", "communes"),
    [
        ("brest/2017-presidentielle-2_par_bureau_large_brest_gouesnou_plougastel.csv", 122, {"29019", "29061", "29189"}),
        ("concarneau-douarnenez/2017-presidentielle-2_par_bureau_large_29039_29046_29116.csv", 31, {"29039", "29046", "29116"}),
        ("scale/dep04/2017-presidentielle-2_par_bureau_large_dep04.csv", 261, None),
        ("scale/paris/2017-presidentielle-2_par_bureau_large_paris.csv", 896, {"75056"}),
    ],
)
def test_wide2017_other_places(relative, n_bureaux, communes):
    results = read_results(real(relative))
    assert_tidy(results)
    assert results["bureau_id"].nunique() == n_bureaux
    if communes is not None:
        assert set(results["commune"]) == communes
    assert check_result_totals(results).empty


def test_wide2017_brest_joins_polygons(brest_polygon_keys):
    results = read_results(real("brest/2017-presidentielle-2_par_bureau_large_brest_gouesnou_plougastel.csv"))
    assert set(results["bureau_id"]) == brest_polygon_keys


def test_wide2017_dep04_joins_reu_contours():
    results = read_results(real("scale/dep04/2017-presidentielle-2_par_bureau_large_dep04.csv"))
    contours = gpd.read_file(real("scale/dep04/Bvote_Propre_Dep_04_reu2022.geojson"))
    parts = contours["CODE_BV"].str.split("_", expand=True)
    matched = set(bureau_key(parts[0], parts[1])) & set(results["bureau_id"])
    assert len(matched) == 256  # SOURCES.md: 256/261, the rest changed between 2017 and 2022


def test_wide2017_france_scale():
    started = time.perf_counter()
    with pytest.warns(DataQualityWarning, match="81 bureau codes .* kept as written"):
        results = read_results(real("scale/france/2017-presidentielle-2_par_bureau_large.csv.gz"))
    assert time.perf_counter() - started < 10
    assert_tidy(results)
    assert results["bureau_id"].nunique() == 69_242 and len(results) == 2 * 69_242
    assert {"97101", "98801", "99001", "2A004"} <= set(results["commune"])  # overseas letters, Corsica
    assert "14118_01.1" in set(results["bureau_id"])  # Caen's dotted codes kept as written
    assert check_result_totals(results).empty
    totals = bureaux(results)
    assert (totals["votes_sum"] == totals["n_expressed"]).all()


def test_paris_muni_16e(paris16_polygon_keys):
    results = read_results(real("paris-16e/ddct_berp_municipales_2020_tour1_ardt_16_20200315.csv"))
    assert_tidy(results)
    assert set(results["election"]) == {"2020_muni"} and set(results["round"]) == {1}
    assert set(results["bureau_id"]) == paris16_polygon_keys
    assert results["candidate"].nunique() == 11 and "Mme FUSI Muriel" in set(results["candidate"])
    totals = bureaux(results)
    assert (totals["votes_sum"] + totals["n_blank"] + totals["n_null"] == totals["n_voters"]).all()


def test_paris_muni_all_arrondissements():
    folder = real("scale/paris/municipales2020_t1")
    results = pd.concat([read_results(path) for path in sorted(folder.glob("*.csv"))], ignore_index=True)
    assert_tidy(results)
    assert results["bureau_id"].nunique() == 821
    polygons = gpd.read_file(real("scale/paris/bureaux_secteurs_2017_paris.geojson"))
    unmatched = set(results["bureau_id"]) - set(polygons["code_bv_insee"])
    assert unmatched == {"75056_1971"}  # SOURCES.md: 19-71 has no polygon
    assert check_result_totals(results).empty


def test_arrondissement_code_filters_plm_bureaux():
    results = read_results(real("scale/paris/2017-presidentielle-2_par_bureau_large_paris.csv"), communes=["75116"])
    assert results["bureau_id"].nunique() == 68 and results["bureau_id"].str.startswith("75056_16").all()


@pytest.mark.parametrize(("round_", "n_bureaux", "n_lists"), [("1er", 284, 10), ("2nd", 285, 2)])
def test_toulouse_headerless(round_, n_bureaux, n_lists):
    results = read_results(real(TOULOUSE.format(round_)))
    assert_tidy(results)
    assert set(results["election"]) == {"2026_muni"} and set(results["round"]) == {1 if round_ == "1er" else 2}
    assert results["bureau_id"].nunique() == n_bureaux and results.groupby("bureau_id").size().eq(n_lists).all()
    assert "31555_0112B" in set(results["bureau_id"])  # 112B in the file: letter kept, number padded
    assert results["candidate"].str.fullmatch(r"\d{3}").all()
    assert check_result_totals(results).empty
    polygons = gpd.read_file(real("scale/toulouse/toulouse_bureaux_vote_2026.geojson"))
    polygon_keys = set("31555_" + normalise_bureau(polygons["uniq_bdv"]))
    assert len(polygon_keys & set(results["bureau_id"])) == (276 if round_ == "1er" else 277)


# --------------------------------------------------------------------------- fixtures in the official layouts


def test_mi2022_presidentielle_fixture():
    path = DATA / "mi2022_pres" / "resultats-par-niveau-burvot-t1-france-entiere.txt"
    with pytest.raises(InputDataError, match="election="):
        read_results(path)
    with pytest.warns(DataQualityWarning, match="totals do not add up in 1 bureaux"):
        results = read_results(path, election="2022_pres")
    assert_tidy(results)
    assert list(results["bureau_id"].unique()) == ["01001_0001", "97101_0001", "75056_1601"]
    assert results.groupby("bureau_id").size().eq(3).all() and results["nuance"].isna().all()
    assert set(results["candidate"]) == {"ARTHAUD Nathalie", "ROUSSEL Fabien", "MACRON Emmanuel"}
    missing = results[(results["bureau_id"] == "75056_1601") & (results["candidate"] == "ROUSSEL Fabien")]
    assert missing["n_votes"].isna().all()  # an empty Voix cell stays missing, never 0
    assert check_result_totals(results)["bureau_id"].tolist() == ["75056_1601"]


def test_mi2022_legislatives_fixture_ragged_rows():
    results = read_results(DATA / "results_mi2022_legislatives2022_t1_burvot.txt")
    assert_tidy(results)
    assert set(results["election"]) == {"2022_legi"}
    assert results.groupby("bureau_id").size().to_dict() == {"29019_0001": 3, "29019_0002": 2}
    assert results.loc[results["candidate"] == "LE GALL Anne-Cécile", "nuance"].tolist() == ["RN"]
    assert check_result_totals(results).empty


def test_datagouv_fixture_joins_siblings():
    from_general = read_results(DATA / "datagouv" / "general_results.csv")
    from_candidates = read_results(DATA / "datagouv" / "candidats_results.csv")
    pd.testing.assert_frame_equal(from_general, from_candidates)
    assert_tidy(from_general)
    assert set(zip(from_general["election"], from_general["round"])) == {("2022_pres", 1), ("2024_euro", 1)}
    assert "97101_0001" in set(from_general["bureau_id"])  # département from code_commune, not ZA
    euro = read_results(DATA / "datagouv" / "general_results.csv", election="2024_euro")
    assert set(euro["candidate"]) == {"ENSEMBLE", "RN"} and euro[["n_blank", "n_null"]].isna().all().all()


def test_election_from_filename():
    assert election_from_filename("legislatives2024_t1_resultats-definitifs-par-bureau-de-vote.csv") == ("2024_legi", 1)
    assert election_from_filename("2017-presidentielle-2_par_bureau_large_paris16.csv") == ("2017_pres", 2)
    assert election_from_filename("ddct_berp_municipales_2020_tour1_ardt_16_20200315.csv") == ("2020_muni", 1)
    assert election_from_filename("resultats-elections-municipales-2026-1er-tour.parquet") == ("2026_muni", 1)
    assert election_from_filename("resultats-elections-municipales-2026-2nd-tour.parquet") == ("2026_muni", 2)
    assert election_from_filename("resultats-par-niveau-burvot-t1-france-entiere.txt") is None


def test_detect_layout_and_override():
    assert detect_results_layout(["Code commune", "Code BV", "Voix 1"]) == "mi2024"
    assert detect_results_layout(["bv", "inscrits"]) is None
    results = read_results(real("paris-16e/2017-presidentielle-2_par_bureau_large_paris16.csv"), layout="wide2017")
    assert len(results) == 136


def test_election_argument_contradicting_file():
    with pytest.raises(InputDataError, match="holds election year 2024, not 2022"):
        read_results(real(BREST_L2024.format(1)), election="2022_legi")


# --------------------------------------------------------------------------- round trips through the writers


@pytest.fixture(scope="module")
def brest_2024() -> pd.DataFrame:
    return read_results(real(BREST_L2024.format(1)))


def test_round_trip_mi2024(tmp_path, brest_2024):
    path = write_mi2024(brest_2024, tmp_path / "legislatives2024_t1_resultats-definitifs-par-bureau-de-vote.csv")
    pd.testing.assert_frame_equal(read_results(path), brest_2024)


def test_round_trip_mi2024_lists(tmp_path):
    muni = read_results(real("paris-16e/ddct_berp_municipales_2020_tour1_ardt_16_20200315.csv"))
    path = write_mi2024(muni, tmp_path / "resultats-definitifs-par-bureau-de-vote.csv")
    assert "Libellé abrégé de liste 1" in path.read_text(encoding="utf-8").splitlines()[0]
    pd.testing.assert_frame_equal(read_results(path, election="2020_muni", round=1), muni)


def test_round_trip_mi2022_legislatives(tmp_path, brest_2024):
    path = write_mi2022(brest_2024, tmp_path / "legislatives2024_t1_burvot.txt")
    data = path.read_bytes()
    assert "Prénom;Nuance;Voix".encode("latin-1") in data.split(b"\n")[0]
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    pd.testing.assert_frame_equal(read_results(path), brest_2024)


def test_round_trip_mi2022_presidentielle(tmp_path):
    p2017 = read_results(real("brest/2017-presidentielle-2_par_bureau_large_brest_gouesnou_plougastel.csv"))
    path = write_mi2022(p2017, tmp_path / "resultats-par-niveau-burvot-t2-france-entiere.txt")
    header = path.read_bytes().split(b"\n")[0].decode("latin-1").split(";")
    assert header[-7:] == ["N°Panneau", "Sexe", "Nom", "Prénom", "Voix", "% Voix/Ins", "% Voix/Exp"]
    pd.testing.assert_frame_equal(read_results(path, election="2017_pres"), p2017)


def test_round_trip_datagouv(tmp_path, brest_2024):
    general, _ = write_datagouv(brest_2024, tmp_path)
    pd.testing.assert_frame_equal(read_results(general), brest_2024)


# --------------------------------------------------------------------------- bad inputs


def test_wrong_declared_encoding():
    path = DATA / "mi2022_pres" / "resultats-par-niveau-burvot-t1-france-entiere.txt"
    with pytest.raises(InputDataError, match="not in the declared encoding utf-8"):
        read_results(path, encoding="utf-8", election="2022_pres")


def test_missing_column():
    with pytest.raises(InputDataError, match="missing columns for the mi2024 layout: Voix 1"):
        read_results(DATA / "results_mi2024_missing_voix_column.csv", layout="mi2024", election="2024_legi", round=1)


def test_unknown_layout():
    with pytest.raises(InputDataError, match="not recognised.*\n.*\n.*known layouts are mi2024"):
        read_results(DATA / "results_unknown_layout.csv")
    with pytest.raises(InputDataError, match="unknown results layout 'mi2019'"):
        read_results(DATA / "results_unknown_layout.csv", layout="mi2019")
    assert "datagouv" in LAYOUTS


def test_empty_file():
    with pytest.raises(InputDataError, match="the file is empty"):
        read_results(DATA / "results_empty.csv")


def test_non_numeric_count():
    with pytest.raises(InputDataError, match=r"not numbers\n  where: column 'Inscrits', first at data row 1"):
        read_results(DATA / "results_mi2024_non_numeric_inscrits.csv", election="2024_legi", round=1)


def test_datagouv_sibling_missing():
    with pytest.raises(InputDataError, match="candidats_results file that goes with this one is missing"):
        read_results(DATA / "datagouv_missing_sibling" / "general_results.csv")


def test_no_warning_on_clean_real_file():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_results(real(BREST_L2022.format(1, 2)))
