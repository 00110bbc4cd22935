"""The tidy tables every reader returns, whatever the publisher's layout.

Codes are strings (leading zeros kept); counts are float64 so that a missing
value stays NaN instead of becoming 0; geometries are in Lambert-93.
"""

from __future__ import annotations

RESULTS_COLUMNS = (
    "election",       # "<year>_<kind>", kind in pres, legi, euro, muni, regi, dept, e.g. "2024_legi"
    "round",          # 1 or 2 (int)
    "bureau_id",      # canonical key "<INSEE commune>_<4-digit number><letter>", see opendata.codes
    "commune",        # INSEE commune code, 5 characters (Paris: 75056)
    "n_registered",   # inscrits
    "n_voters",       # votants
    "n_abstentions",  # abstentions
    "n_expressed",    # exprimés
    "n_blank",        # blancs (NaN where the source does not give them apart)
    "n_null",         # nuls (NaN where the source does not give them apart)
    "candidate",      # candidate name, or list label for list elections
    "nuance",         # political nuance code (Ministry), NA when the source has none
    "n_votes",        # voix
)
"""Long results table: one row per election, round, bureau and candidate (bureau totals repeat)."""

ELECTION_KINDS = {
    "pres": "présidentielle",
    "legi": "législatives",
    "euro": "européennes",
    "muni": "municipales",
    "regi": "régionales",
    "dept": "départementales",
}

BUREAUX_COLUMNS = ("bureau_id", "commune", "label", "name", "n_registered", "geometry")
"""Bureau polygons: ``label`` is the bureau's usual short name (``16-1``, ``54A``), ``name`` its polling place."""

IRIS_COLUMNS = ("iris_code", "commune", "iris_name", "iris_type", "geometry")
"""IRIS contours: 9-character code, commune (arrondissement for Paris), name, type H/A/D/Z."""

CENSUS_KEY = "iris_code"
"""Census tables are wide: one row per IRIS, one column per INSEE variable code (P21_POP, DISP_MED21, …)."""

ADDRESS_COLUMNS = ("address_id", "commune", "bureau_id", "street_name", "housenumber", "n_addresses", "source", "geometry")
"""Address points: BAN (one row per address, ``n_addresses`` = 1) or REU (``n_addresses`` = ``nb_adresses``, bureau known)."""

SEGMENT_COLUMNS = ("segment_id", "osm_way_id", "node_from", "node_to", "street_name", "highway", "length_m", "geometry")
"""Walkable street segments between intersections: ``node_from``/``node_to`` are OSM node ids (int64)."""
