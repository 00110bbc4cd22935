"""Write the demo commune's files in the official formats, into one folder.

The folder then looks like what an organiser would download for a real
commune, and ``canvass build`` reads it through the very same readers.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from canvass.crs import METRIC_CRS, WEB_CRS
from canvass.demo.commune import COMMUNE, COMMUNE_NAME, DemoCommune, generate_commune
from canvass.demo.elections import simulate_results
from canvass.demo.insee_formats import write_base_ic_csv, write_base_ic_xlsx, write_filosofi_iris_csv, write_iris_contours
from canvass.demo.osm_format import write_osm_xml
from canvass.demo.results_formats import write_mi2022, write_mi2024

IRIS_NAMES = ("Centre-Ville", "Le Port", "Kerbrat", "Penhars", "Ty Glaz", "Kerangall")
POSTCODE = "29990"


def write_demo(folder: Path, *, seed: int = 0) -> dict[str, Path]:
    """Generate the demo commune from ``seed`` and write its official files into ``folder``.

    Returns the written paths by kind. Existing demo files are replaced; other
    files in the folder are left alone.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    commune = generate_commune(seed)
    iris = _iris(commune)
    profiles = _address_profiles(commune, iris)
    census = _census(commune, iris, profiles, rng)
    bureau_ids = pd.Series([f"{COMMUNE}_{number:04d}" for number in commune.bureaux["number"]], dtype="string")
    bureau_profile = _bureau_profiles(commune, profiles)
    doors = bureau_profile["n_addresses"].to_numpy()
    registered = np.round(doors * rng.uniform(1.25, 1.45, len(doors))).astype(int)
    results = simulate_results(bureau_profile, registered, bureau_ids, rng)
    paths = {
        "contour": _write_contour(commune, folder / f"communes_contours_{COMMUNE}.geojson"),
        "bureaux": _write_bureaux(commune, folder / f"bureaux-de-vote_{COMMUNE}.geojson"),
        "iris": write_iris_contours(iris, folder / f"contours-iris_{COMMUNE}.geojson"),
        "census_housing": write_base_ic_xlsx(census["housing"], folder / "base-ic-logement-2021.xlsx", theme="Logement", year=2021),
        "census_population": write_base_ic_csv(census["population"], folder / "base-ic-evol-struct-pop-2021.csv"),
        "filosofi": write_filosofi_iris_csv(census["income"], folder / "BASE_TD_FILO_IRIS_2021_DISP.csv", year=2021),
        "results_2022_pres_t1": write_mi2022(results[results["election"] == "2022_pres"], folder / "presidentielle2022_resultats-par-niveau-burvot-t1-france-entiere.txt"),
        "results_2024_legi_t1": write_mi2024(_round(results, "2024_legi", 1), folder / "legislatives2024_t1_resultats-definitifs-par-bureau-de-vote.csv"),
        "results_2024_legi_t2": write_mi2024(_round(results, "2024_legi", 2), folder / "legislatives2024_t2_resultats-definitifs-par-bureau-de-vote.csv"),
        "addresses": _write_ban(commune, folder / f"adresses-{COMMUNE}.csv"),
        "streets": _write_streets(commune, folder / f"{COMMUNE}_rues.osm"),
        "teams": _write_teams(commune, folder / "equipes.csv"),
    }
    return paths


def _round(results: pd.DataFrame, election: str, round_: int) -> pd.DataFrame:
    return results[(results["election"] == election) & (results["round"] == round_)]


def _iris(commune: DemoCommune) -> gpd.GeoDataFrame:
    numbers = commune.iris["number"].to_numpy()
    return gpd.GeoDataFrame(
        {
            "iris_code": [f"{COMMUNE}{100 + n:04d}" for n in numbers],
            "commune": COMMUNE,
            "commune_name": COMMUNE_NAME,
            "iris_name": [IRIS_NAMES[n - 1] for n in numbers],
            "iris_type": "H",
        },
        geometry=commune.iris.geometry.values,
        crs=METRIC_CRS,
    )


def _address_profiles(commune: DemoCommune, iris: gpd.GeoDataFrame) -> pd.DataFrame:
    """Each address with its IRIS code and that IRIS's social profile."""
    point_index, iris_index = shapely.STRtree(iris.geometry.values).query(commune.addresses.geometry.values, predicate="within")
    first = np.unique(point_index, return_index=True)[1]
    iris_of = np.full(len(commune.addresses), -1)
    iris_of[point_index[first]] = iris_index[first]
    iris_of[iris_of < 0] = 0  # the odd address on a boundary
    profile = commune.iris_profile.iloc[iris_of].reset_index(drop=True)
    return profile.assign(iris_code=iris["iris_code"].to_numpy()[iris_of])


def _bureau_profiles(commune: DemoCommune, profiles: pd.DataFrame) -> pd.DataFrame:
    """Average social profile and address count of each bureau."""
    point_index, bureau_index = shapely.STRtree(commune.bureaux.geometry.values).query(commune.addresses.geometry.values, predicate="within")
    first = np.unique(point_index, return_index=True)[1]
    frame = profiles.iloc[point_index[first]].assign(bureau=bureau_index[first])
    grouped = frame.groupby("bureau")
    result = grouped[["managers", "workers", "retired", "poverty"]].mean()
    result["n_addresses"] = grouped.size()
    return result.reindex(range(len(commune.bureaux))).reset_index(drop=True)


def _census(commune: DemoCommune, iris: gpd.GeoDataFrame, profiles: pd.DataFrame, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """Census tables per IRIS (weighted, non-integer counts as INSEE publishes them)."""
    n_addresses = profiles.groupby("iris_code").size().reindex(iris["iris_code"]).fillna(0).to_numpy()
    profile = commune.iris_profile
    main = n_addresses * rng.uniform(0.93, 1.02, len(iris))
    population = main * rng.uniform(1.9, 2.3, len(iris))
    over15 = population * rng.uniform(0.8, 0.86, len(iris))
    base = {"iris_code": iris["iris_code"], "commune": COMMUNE, "commune_name": COMMUNE_NAME, "iris_name": iris["iris_name"]}
    housing = pd.DataFrame(
        base
        | {
            "P21_LOG": main * 1.12,
            "P21_RP": main,
            "P21_RSECOCC": main * 0.06,
            "P21_LOGVAC": main * 0.06,
            "P21_MAISON": main * np.clip(0.2 + 0.5 * profile["workers"].to_numpy(), 0, 1),
            "P21_APPART": main * np.clip(0.8 - 0.5 * profile["workers"].to_numpy(), 0, 1),
            "P21_RP_PROP": main * np.clip(0.75 - profile["poverty"].to_numpy() / 60, 0.1, 0.9),
            "P21_RP_LOCHLMV": main * np.where(profile["estate"], 0.55, 0.07),
        }
    )
    population_table = pd.DataFrame(
        base
        | {
            "P21_POP": population,
            "P21_POP1529": population * 0.17,
            "P21_POP65P": population * profile["retired"].to_numpy() * 0.9,
            "C21_POP15P": over15,
            "C21_POP15P_CS3": over15 * profile["managers"].to_numpy(),
            "C21_POP15P_CS5": over15 * 0.16,
            "C21_POP15P_CS6": over15 * profile["workers"].to_numpy(),
            "C21_POP15P_CS7": over15 * profile["retired"].to_numpy(),
        }
    )
    poverty = profile["poverty"].to_numpy().copy()
    poverty[profile["estate"].to_numpy()] = np.nan  # under statistical secrecy, as small IRIS are
    income = pd.DataFrame(
        {
            "iris_code": iris["iris_code"],
            "DISP_MED": np.round(profile["income"].to_numpy(), -1),
            "DISP_TP60": np.round(poverty, 1),
            "DISP_Q1": np.round(profile["income"].to_numpy() * 0.62, -1),
            "DISP_Q3": np.round(profile["income"].to_numpy() * 1.38, -1),
        }
    )
    return {"housing": housing, "population": population_table, "income": income}


def _write_contour(commune: DemoCommune, path: Path) -> Path:
    frame = gpd.GeoDataFrame({"code_insee": [COMMUNE], "nom_officiel": [COMMUNE_NAME]}, geometry=[commune.contour], crs=METRIC_CRS)
    path.unlink(missing_ok=True)
    frame.to_crs(WEB_CRS).to_file(path, driver="GeoJSON")
    return path


def _write_bureaux(commune: DemoCommune, path: Path) -> Path:
    """Bureaux in the layout of the REU-derived contour files (``CODE_BV`` = commune_number)."""
    bureaux = commune.bureaux
    frame = gpd.GeoDataFrame(
        {
            "CODE_BV": [f"{COMMUNE}_{n}" for n in bureaux["number"]],
            "INSEE_COM": COMMUNE,
            "COMMUNE": COMMUNE_NAME,
            "nom": bureaux["name"],
        },
        geometry=bureaux.geometry.values,
        crs=METRIC_CRS,
    )
    path.unlink(missing_ok=True)
    frame.to_crs(WEB_CRS).to_file(path, driver="GeoJSON")
    return path


def _write_ban(commune: DemoCommune, path: Path) -> Path:
    """Addresses in the BAN "adresses-<code>.csv" layout (``;``, UTF-8)."""
    addresses = commune.addresses
    lonlat = addresses.to_crs(WEB_CRS).geometry
    xy = addresses.geometry
    street_codes = addresses["street_name"].astype("category").cat.codes + 1
    frame = pd.DataFrame(
        {
            "id": [f"{COMMUNE}_{s:04d}_{n:05d}" for s, n in zip(street_codes, addresses["housenumber"])],
            "id_fantoir": [f"{COMMUNE}_{s:04d}" for s in street_codes],
            "numero": addresses["housenumber"],
            "rep": "",
            "nom_voie": addresses["street_name"],
            "code_postal": POSTCODE,
            "code_insee": COMMUNE,
            "nom_commune": COMMUNE_NAME,
            "code_insee_ancienne_commune": "",
            "nom_ancienne_commune": "",
            "x": xy.x.round(2),
            "y": xy.y.round(2),
            "lon": lonlat.x.round(6),
            "lat": lonlat.y.round(6),
            "type_position": "entrée",
            "alias": "",
            "nom_ld": "",
            "libelle_acheminement": COMMUNE_NAME.upper(),
            "nom_afnor": addresses["street_name"].str.upper(),
            "source_position": "commune",
            "source_nom_voie": "commune",
            "certification_commune": 1,
            "cad_parcelles": "",
        }
    )
    frame.to_csv(path, sep=";", index=False, encoding="utf-8")
    return path


def _write_streets(commune: DemoCommune, path: Path) -> Path:
    nodes = gpd.GeoSeries(gpd.points_from_xy(commune.nodes["x"], commune.nodes["y"]), crs=METRIC_CRS).to_crs(WEB_CRS)
    return write_osm_xml(pd.DataFrame({"id": commune.nodes["id"], "lon": nodes.x, "lat": nodes.y}), commune.ways, path)


def _write_teams(commune: DemoCommune, path: Path) -> Path:
    """Ten teams of two for a Saturday morning: four meet at the town hall, three at two schools each."""
    places = gpd.GeoSeries(commune.bureaux.geometry.representative_point().values, crs=METRIC_CRS).to_crs(WEB_CRS)
    meeting = [0, 0, 0, 0, 5, 5, 5, 9, 9, 9]
    frame = pd.DataFrame(
        {
            "nom": [f"Équipe {i + 1} – {commune.bureaux['name'].iloc[m]}" for i, m in enumerate(meeting)],
            "taille": 2,
            "lat": [round(places.iloc[m].y, 6) for m in meeting],
            "lon": [round(places.iloc[m].x, 6) for m in meeting],
            "minutes": 120,
            "vitesse_kmh": 3.5,
            "minutes_par_porte": 1.0,
        }
    )
    frame.to_csv(path, sep=";", index=False, encoding="utf-8")
    return path
