"""The import report: counts and join rates per layer, and every warning.

An organiser reads it to know what the territory can be trusted for: which
bureaux have results, how much of the area the census covers, where streets or
doors are missing.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from canvass.territory.model import Territory


def territory_report(territory: Territory) -> dict:
    """Return the report as plain JSON-ready data."""
    bureaux = territory.bureaux
    bureau_ids = set(bureaux["bureau_id"])
    area_km2 = float(bureaux.area.sum() / 1e6)
    report = {
        "communes": list(territory.communes),
        "bureaux": {
            "n": int(len(bureaux)),
            "area_km2": round(area_km2, 3),
            "source": territory.meta.get("bureaux_source", {}),
        },
        "results": _results_section(territory.results, bureau_ids),
        "iris": _iris_section(territory),
        "streets": _streets_section(territory),
        "doors": _doors_section(territory),
        "addresses": {"n_points": int(len(territory.addresses)), "n_addresses": float(territory.addresses["n_addresses"].sum()) if len(territory.addresses) else 0.0},
        "inputs": territory.meta.get("inputs", []),
        "ignored": territory.meta.get("ignored", []),
        "warnings": territory.warnings,
    }
    report["alerts"] = alerts(report)
    return report


def alerts(report: dict) -> list[str]:
    """Loud warnings (French): what makes the territory unusable for a plan, and what to do about it.

    No street, no door, bureaux without streets or doors, and bureaux whose
    doors could not be estimated (with the reason) are never left as silent zeros.
    """
    messages = []
    n_bureaux = report["bureaux"]["n"]
    streets, doors = report["streets"], report["doors"]
    if streets["n_segments"] == 0:
        messages.append(
            "AUCUNE RUE dans le territoire : aucun plan de porte-à-porte n’est possible. Récupérez les rues d’OpenStreetMap "
            "avec `canvass fetch`, ou ajoutez au dossier un fichier OSM de la commune (.osm, .osm.pbf, JSON Overpass ou GraphML), "
            "puis reconstruisez le territoire."
        )
    else:
        without = n_bureaux - int(streets["bureaux_with_streets"].split("/")[0])
        if without:
            messages.append(
                f"{without} bureaux sur {n_bureaux} n’ont aucune rue : le fichier de rues ne couvre pas tout le territoire. "
                "Ajoutez un fichier OSM qui couvre toute la commune (ou `canvass fetch`), puis reconstruisez."
            )
    if doors["n_doors"] == 0:
        messages.append(
            "AUCUNE PORTE placée : le plan n’a rien à frapper. Ajoutez des rues (voir ci-dessus) et une source de logements : "
            "adresses BAN/BAL ou REU, recensement par IRIS (contours et logements), carreaux Filosofi, ou des résultats avec "
            "le nombre d’inscrits, puis reconstruisez."
        )
    elif doors.get("doors_per_bureau", {}).get("n_bureaux_zero"):
        messages.append(
            f"{doors['doors_per_bureau']['n_bureaux_zero']} bureaux sur {n_bureaux} n’ont aucune porte sur leurs rues : "
            "ils ne recevront aucune équipe. Vérifiez leurs rues et la source des portes."
        )
    unplaced = doors.get("unplaced_bureaux", {})
    if unplaced:
        shown = "; ".join(f"{bureau} : {reason}" for bureau, reason in list(unplaced.items())[:5])
        messages.append(f"{len(unplaced)} bureaux sans portes estimées ({shown}{' …' if len(unplaced) > 5 else ''}).")
    return messages


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _results_section(results: pd.DataFrame, bureau_ids: set) -> list[dict]:
    sections = []
    if results.empty:
        return sections
    for (election, round_), group in results.groupby(["election", "round"], sort=True):
        with_results = set(group["bureau_id"])
        per_bureau = group.drop_duplicates("bureau_id")
        votes = group.groupby("bureau_id")["n_votes"].sum()
        totals = per_bureau.set_index("bureau_id")
        ballots = votes + totals["n_blank"].fillna(0) + totals["n_null"].fillna(0)
        checkable = totals["n_blank"].notna() & totals["n_null"].notna()
        mismatched = int((np.abs(ballots - totals["n_voters"]) > 0.5)[checkable].sum())
        sections.append(
            {
                "election": election,
                "round": int(round_),
                "n_result_bureaux": len(with_results),
                "n_candidates": int(group["candidate"].nunique()),
                "n_registered": float(per_bureau["n_registered"].sum()),
                "bureaux_with_results": f"{len(bureau_ids & with_results)}/{len(bureau_ids)}",
                "rate_bureaux_with_results": _rate(len(bureau_ids & with_results), len(bureau_ids)),
                "results_with_bureau": f"{len(with_results & bureau_ids)}/{len(with_results)}",
                "rate_results_with_bureau": _rate(len(with_results & bureau_ids), len(with_results)),
                "unmatched_result_codes": sorted(with_results - bureau_ids)[:20],
                "bureaux_without_results": sorted(bureau_ids - with_results)[:20],
                "n_bureaux_totals_mismatch": mismatched,
                "n_bureaux_totals_checkable": int(checkable.sum()),
            }
        )
    return sections


def _iris_section(territory: Territory) -> dict:
    iris, census, bureaux = territory.iris, territory.census, territory.bureaux
    if len(iris) == 0:
        return {"n": 0, "area_covered": 0.0, "census_rows": int(len(census)), "census_columns": max(0, len(census.columns) - 1)}
    territory_shape = shapely.union_all(bureaux.geometry.values)
    covered = shapely.intersection(shapely.union_all(iris.geometry.values), territory_shape).area
    joined = int(iris["iris_code"].isin(census["iris_code"]).sum()) if "iris_code" in census else 0
    variables = [column for column in census.columns if column != "iris_code" and pd.api.types.is_numeric_dtype(census[column])]
    return {
        "n": int(len(iris)),
        "area_covered": round(float(covered / territory_shape.area), 4),
        "census_rows": int(len(census)),
        "census_columns": len(variables),
        "iris_with_census": f"{joined}/{len(iris)}",
        "rate_iris_with_census": _rate(joined, len(iris)),
        "n_missing_census_values": int(census[variables].isna().sum().sum()) if variables else 0,
    }


def _per_bureau(bureaux: gpd.GeoDataFrame, values: pd.Series) -> dict:
    per = values.reindex(bureaux["bureau_id"]).fillna(0.0)
    return {
        "min": round(float(per.min()), 1),
        "median": round(float(per.median()), 1),
        "max": round(float(per.max()), 1),
        "n_bureaux_zero": int((per <= 0).sum()),
    }


def street_length_per_bureau(territory: Territory) -> pd.Series:
    """Street length (m) inside each bureau, by exact intersection (segments crossing a boundary are split)."""
    segments, bureaux = territory.segments, territory.bureaux
    if len(segments) == 0:
        return pd.Series(0.0, index=bureaux["bureau_id"])
    segment_index, bureau_index = shapely.STRtree(bureaux.geometry.values).query(segments.geometry.values, predicate="intersects")
    lengths = shapely.length(shapely.intersection(segments.geometry.values[segment_index], bureaux.geometry.values[bureau_index]))
    return pd.Series(np.bincount(bureau_index, weights=lengths, minlength=len(bureaux)), index=bureaux["bureau_id"].to_numpy())


def _streets_section(territory: Territory) -> dict:
    segments = territory.segments
    length = street_length_per_bureau(territory)
    return {
        "n_segments": int(len(segments)),
        "length_km": round(float(segments["length_m"].sum() / 1000), 2) if len(segments) else 0.0,
        "source": territory.meta.get("streets_source"),
        "length_m_per_bureau": _per_bureau(territory.bureaux, length),
        "bureaux_with_streets": f"{int((length > 0).sum())}/{len(territory.bureaux)}",
        "highway_km": (segments.groupby("highway")["length_m"].sum() / 1000).round(2).sort_values(ascending=False).head(12).to_dict() if len(segments) else {},
    }


def _doors_section(territory: Territory) -> dict:
    segments = territory.segments
    source = territory.meta.get("doors_source", {})
    unplaced = dict(source.get("unplaced_bureaux", {}))
    if len(segments) == 0:
        return {"n_doors": 0.0, "source": source, "note": "no street segments: doors cannot be placed on streets", "unplaced_bureaux": unplaced}
    per_bureau = segments.groupby("bureau_id")["n_doors"].sum()
    return {
        "n_doors": round(float(segments["n_doors"].sum()), 1),
        "source": source,
        "doors_per_bureau": _per_bureau(territory.bureaux, per_bureau),
        "n_segments_with_doors": int((segments["n_doors"] > 0).sum()),
        "unplaced_bureaux": unplaced,
    }


BUREAU_SOURCES = {"polygons": "contours des bureaux", "reu_voronoi": "points d’adresse du REU (zones reconstituées)"}
DOOR_SOURCES = {"addresses": "adresses (BAN/BAL ou REU)", "census_dwellings": "logements du recensement par IRIS",
                "filosofi_households": "ménages Filosofi par carreau de 200 m", "registered_voters": "inscrits par bureau"}
"""How people call the sources of bureaux and doors (the report keeps the codes)."""
ELECTION_KINDS = {"pres": "présidentielle", "legi": "législatives", "muni": "municipales", "euro": "européennes", "dep": "départementales",
                  "reg": "régionales", "cant": "cantonales"}


def election_name(election: str) -> str:
    """``'2017_pres'`` → ``'présidentielle 2017'``; an unknown code is kept as it is."""
    year, _, kind = str(election).partition("_")
    return f"{ELECTION_KINDS[kind]} {year}" if kind in ELECTION_KINDS and year.isdigit() else str(election)


def ignored_reason(reason: str) -> str:
    """Why a file was left aside, in French (the technical reason stays in the JSON report)."""
    text = str(reason).lower()
    if text.startswith("another"):
        return "un autre fichier du même genre a été préféré"
    if "layout" in text or "columns" in text or "column" in text:
        return "colonnes non reconnues (ni bureaux, ni résultats, ni IRIS, ni adresses)"
    if "empty" in text:
        return "fichier vide"
    return "format non reconnu"


def report_lines(report: dict, *, technical: bool = False) -> list[str]:
    """The report as French sentences, one per layer, for the app and the terminal (alerts apart: see :func:`alerts`).

    ``technical`` adds the reading details in English after an ignored file's French reason.
    """
    from canvass.outputs._common import french_number as number

    def share(value) -> str:
        return "—" if value is None else f"{number(100 * float(value), 1)}\u202f%"

    lines = []
    bureaux = report["bureaux"]
    kind = bureaux["source"].get("kind")
    lines.append(f"Bureaux de vote : {bureaux['n']} ({number(bureaux['area_km2'], 2)} km²), d’après les "
                 f"{BUREAU_SOURCES.get(kind, 'données fournies')}.")
    if kind == "reu_voronoi":
        source = bureaux["source"]
        lines.append(f"Points du REU dans leur propre zone : {source['n_points_in_own_cell']} sur {source['n_points']} "
                     f"(même emplacement partagé : {source['n_points_shared_location']}, hors de la commune : {source['n_points_outside_commune']}).")
    for section in report["results"]:
        with_results, n_bureaux = section["bureaux_with_results"].split("/")
        mismatch = section["n_bureaux_totals_mismatch"]
        lines.append(
            f"Résultats {election_name(section['election'])}, {section['round']}{'er' if section['round'] == 1 else 'e'} tour : "
            f"{with_results} bureaux sur {n_bureaux} ont leurs résultats, {section['n_candidates']} candidats"
            + (f", totaux incohérents dans {mismatch} bureaux sur {section['n_bureaux_totals_checkable']}" if mismatch else ", totaux cohérents")
            + (f" ; {len(section['unmatched_result_codes'])} codes de résultats sans bureau" if section["unmatched_result_codes"] else "") + "."
        )
    if not report["results"]:
        lines.append("Résultats électoraux : aucun.")
    iris = report["iris"]
    if iris["n"]:
        joined, total = iris["iris_with_census"].split("/")
        lines.append(f"IRIS : {iris['n']}, couvrant {share(iris['area_covered'])} du territoire ; recensement : {iris['census_rows']} lignes, "
                     f"{iris['census_columns']} variables, {joined} IRIS sur {total} avec leurs chiffres.")
    else:
        lines.append(f"IRIS : aucun contour ; recensement : {iris['census_rows']} lignes.")
    streets = report["streets"]
    with_streets, n_bureaux = streets["bureaux_with_streets"].split("/")
    lines.append(f"Rues : {number(streets['n_segments'])} tronçons, {number(streets['length_km'], 1)} km ; "
                 f"{with_streets} bureaux sur {n_bureaux} ont des rues.")
    doors = report["doors"]
    if "note" in doors:
        lines.append("Portes : aucune, faute de rues pour les placer.")
    else:
        source = doors["source"]
        unplaced = float(source.get("n_unplaced", 0) or 0)
        lines.append(f"Portes : {number(doors['n_doors'])}, d’après les {DOOR_SOURCES.get(source.get('kind'), 'données fournies')}"
                     + (f" ; {number(unplaced)} n’ont trouvé aucune rue." if unplaced else "."))
    if "doors_per_bureau" in doors:
        per = doors["doors_per_bureau"]
        lines.append(f"Portes par bureau : de {number(per['min'])} à {number(per['max'])} (médiane {number(per['median'])}), "
                     f"{per['n_bureaux_zero']} bureaux sans porte.")
    for item in report["ignored"]:
        name = Path(item["path"]).name
        lines.append(f"Fichier non utilisé : {name} — {ignored_reason(item['reason'])}" + (f" ({item['reason']})" if technical else "") + ".")
    for message in report["warnings"]:
        lines.append(f"À vérifier : {message}")
    return lines


def format_report(report: dict) -> str:
    """Render the report as French text for the terminal; the loud alerts come first, framed."""
    lines = [f"Territoire de {', '.join(report['communes'])}"]
    for message in report.get("alerts", []):
        lines.append(f"  !!! ATTENTION : {message}")
    lines.extend(f"  {line}" for line in report_lines(report, technical=True))
    return "\n".join(lines)
