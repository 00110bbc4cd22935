"""What maps and sheets share: team colours, French number formats, safe text, WGS84."""

from __future__ import annotations

import html

import geopandas as gpd

from canvass.crs import to_web

TEAM_COLOURS = (
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f",
    "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363",
)
"""Distinct colours, one per team, cycling after twenty."""


def team_colour(index: int) -> str:
    return TEAM_COLOURS[index % len(TEAM_COLOURS)]


def escape(text: object) -> str:
    """Text from the data (street and team names) as safe HTML: ``<script>`` shows as text, never runs."""
    return html.escape("" if text is None else str(text), quote=True)


def french_number(value: float, decimals: int = 0) -> str:
    """``1234.5 -> '1 234,5'`` with a narrow no-break space, as French typography writes numbers."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u202f").replace(".", ",")


def minutes_text(minutes: float) -> str:
    """``95 -> '1 h 35'``, ``40 -> '40 min'``."""
    minutes = int(round(minutes))
    return f"{minutes // 60} h {minutes % 60:02d}" if minutes >= 60 else f"{minutes} min"


def step_label(step) -> str:
    """What volunteers read for a step: the unit's label ('Rue de Passy, n° 2–40 (côté pair)'), else its street name."""
    for key in ("label", "street_name"):
        value = step.get(key) if hasattr(step, "get") else getattr(step, key, None)
        if value is not None and not (isinstance(value, float) and value != value) and str(value).strip():
            return str(value).strip()
    return "Rue sans nom"


def in_wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The frame in WGS84 for Leaflet; only the outputs stage converts."""
    return to_web(frame)
