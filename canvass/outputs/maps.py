"""Web maps: one self-contained map per team for volunteers' phones, and an overview for the organiser.

Every map is a single HTML file that needs no network: Leaflet and the few
plugins used (text along lines for the direction arrows, "where am I", full
screen) are inlined by ``offlinefolium``. The map draws its own vector layers
(the walk, numbered streets, surrounding streets in grey, voting areas), so it
stays readable without background tiles; an OpenStreetMap tile layer is offered
in the layer switcher, off by default, for when the phone is online.

Text from the data (street and team names) is escaped in Python and handed to
the page as JSON, so a street called ``<script>`` is shown as text, never run.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import offlinefolium
import pandas as pd
import shapely
from branca.element import Figure
from offlinefolium.elements import JSCSSMixin
from offlinefolium.plugins import Fullscreen, LocateControl, PolyLineTextPath
from offlinefolium.template import Template

from canvass.crs import METRIC_CRS
from canvass.outputs._common import escape, french_number, in_wgs84, minutes_text, step_label, team_colour
from canvass.plan.result import Plan, TeamWalk
from canvass.plan.teams import Team
from canvass.plan.units import done_units, parent_segments

OSM_ATTRIBUTION = "Rues © les contributeurs d’OpenStreetMap (ODbL)"
"""Street data and the optional tiles both come from OpenStreetMap, whose licence asks for this credit."""
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
"""The only URL a map may contain: the optional tile layer, fetched only when switched on."""
HIGHLIGHT_COLOUR = "#ffb000"
"""Colour of the street tapped in the list."""
PRIORITY_COLOURS = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
"""Sequential palette (ColorBrewer YlOrRd), lowest priority class first."""
SECRET_COLOUR = "#bdbdbd"
CONTEXT_MARGIN_M = 250.0
"""Surrounding streets drawn around a team's walk, in metres."""
SIMPLIFY_M = 0.5
"""Tolerance when simplifying street lines (metres): invisible on a phone, fewer points."""
COORDINATE_DECIMALS = 6
"""About 10 cm in latitude: more digits would only make the file bigger."""
HIDDEN_COLUMNS = ("score", "priority", "rank", "n_registered", "n_voters", "share_abstention", "share_camp", "volatility",
                  "closeness", "reservoir_mobilisation", "reservoir_turnout", "reservoir_persuasion")
"""Bureau figures replaced by ``secret`` when the bureau has too few registered voters."""


class _OfflineMap(offlinefolium.Map):
    """A folium map that inlines Leaflet only (no jQuery, Bootstrap, Font Awesome: about 1.2 MB saved)."""

    default_js = [offlinefolium.Map.default_js[0]]
    default_css = [offlinefolium.Map.default_css[0]]


class _CanvassLayers(JSCSSMixin):
    """Page layout, data and behaviour of a canvass map, with the plugin scripts it needs inlined."""

    default_js = [PolyLineTextPath.default_js[0], LocateControl.default_js[0], Fullscreen.default_js[0]]
    default_css = [LocateControl.default_css[0], Fullscreen.default_css[0]]

    _template = Template(
        """
{% macro header(this, kwargs) %}<title>{{ this.title }}</title>
<style>{{ this.css }}</style>{% endmacro %}
{% macro html(this, kwargs) %}{{ this.body }}{% endmacro %}
{% macro script(this, kwargs) %}
{{ this.runtime }}
{{ this.entry }}({{ this._parent.get_name() }}, { {%- for key, group in this.groups.items() %}"{{ key }}": {{ group.get_name() }}, {% endfor -%} }, {{ this.data }});
{% endmacro %}
"""
    )

    def __init__(self, *, title: str, css: str, body: str, entry: str, groups: dict, data: dict):
        super().__init__()
        self._name = "CanvassLayers"
        self.title, self.css, self.body, self.entry, self.groups = title, css, body, entry, groups
        self.runtime = _RUNTIME_JS
        self.data = _script_json(data)


def team_map(
    walk_steps: gpd.GeoDataFrame,
    team: Team,
    team_index: int,
    *,
    territory=None,
    title: str | None = None,
    walk: TeamWalk | None = None,
) -> str:
    """One team's walk as a self-contained HTML page for a phone.

    The walk is drawn in order with arrows in the walking direction, each street
    numbered at its middle, the meeting place marked; a list under the map (beside
    it on a wide screen) gives each street's number, name, doors and minutes, and
    tapping a row highlights that street on the map.

    Parameters
    ----------
    walk_steps
        The team's steps as written by :func:`canvass.plan.io.walks_frame` (one row per
        street, columns ``order``, ``street_name``, ``n_doors``, ``minutes_walking``,
        ``minutes_knocking``, ``approach_m``, ``length_m``, geometry in walking direction).
        Rows of other teams, if any, are left out.
    team
        The team (name, meeting place in Lambert-93).
    team_index
        Position of the team in the plan, which picks its colour.
    territory
        A :class:`~canvass.territory.model.Territory` or its segments: the streets
        around the walk are drawn thin and grey so the map reads without tiles.
    title
        Page title; ``Porte-à-porte – <team>`` by default.
    walk
        The team's :class:`~canvass.plan.result.TeamWalk`, for totals that include the
        walk back to the meeting place; without it the totals add up the streets.

    Returns
    -------
    str
        The HTML page; it fetches nothing unless the tile layer is switched on.
    """
    steps = walk_steps
    if "team" in steps.columns:
        steps = steps[steps["team"] == team.name]
    steps = steps.sort_values("order") if "order" in steps.columns else steps.assign(order=np.arange(1, len(steps) + 1))
    steps = steps[steps.geometry.notna() & ~steps.geometry.is_empty]
    colour = team_colour(team_index)
    start = _to_latlon(gpd.GeoSeries([shapely.Point(team.start_xy)], crs=METRIC_CRS))[0]

    lines = _lines_latlon(steps.geometry)
    middles = _to_latlon(_middles(steps.geometry))
    rows, data_steps = [], []
    for (_, step), latlngs, middle in zip(steps.iterrows(), lines, middles):
        order = int(step["order"])
        name = escape(step_label(step))
        doors = french_number(float(step.get("n_doors", 0) or 0))
        minutes = _step_minutes(step)
        data_steps.append({
            "order": order,
            "latlngs": latlngs,
            "middle": middle,
            "tip": f"{order}. {name}",
            "popup": f"<b>{order}. {name}</b><br>{doors} portes · {minutes_text(minutes)}",
        })
        rows.append(
            f'<li data-order="{order}" role="button" tabindex="0" aria-label="Étape {order} : {name}">'
            f'<span class="n" style="border-color:{colour}">{order}</span><span class="rue">{name}</span>'
            f'<span class="portes">{doors}</span><span class="min">{french_number(minutes)}</span></li>'
        )

    if walk is not None:
        doors, minutes, metres, note = walk.n_doors, walk.minutes, walk.distance_m, " (retour compris)" if walk.return_m > 0 else ""
    else:
        doors = float(steps["n_doors"].sum()) if "n_doors" in steps else 0.0
        minutes = float(sum(_step_minutes(step) for _, step in steps.iterrows()))
        metres = float((steps.get("approach_m", 0) + steps.get("length_m", 0)).sum()) if len(steps) else 0.0
        note = " (hors retour)" if team.return_to_start and len(steps) else ""
    totals = (f"{french_number(doors)} portes · {minutes_text(minutes)} · {french_number(metres / 1000, 1)} km{note}"
              f" · {len(steps)} étape{'s' if len(steps) > 1 else ''}")
    team_name = escape(team.name)
    page_title = escape(title if title is not None else f"Porte-à-porte – {team.name}")
    listing = (
        '<ol id="canvass-list" class="canvass-list">' + "".join(rows) + "</ol>"
        if rows else '<p class="canvass-empty">Aucune rue attribuée à cette équipe.</p>'
    )
    place = escape(team.place_name.strip()) if team.place_name and team.place_name.strip() else ""
    start_label = f"Départ : {place}" if place else "Départ : rendez-vous"
    back = "<p class=\"canvass-note\">Puis retour au point de rendez-vous.</p>" if team.return_to_start and rows else ""
    body = (
        f'<header id="canvass-header" class="canvass-header" style="border-top-color:{colour}">'
        f'<h1 id="canvass-team">{team_name}</h1><p class="canvass-totals" id="canvass-totals">{totals}</p>'
        '<p id="canvass-message" class="canvass-message" role="status" aria-live="polite"></p></header>'
        '<section id="canvass-panel" class="canvass-panel" aria-label="Rues à parcourir, dans l’ordre">'
        '<div class="canvass-row-head" aria-hidden="true"><span>N°</span><span>Rue</span><span>Portes</span><span>Min</span></div>'
        f"{listing}{back}<p class=\"canvass-note\">Touchez une rue pour la voir sur la carte. {start_label} (⚑).</p></section>"
    )

    context = []
    if territory is not None:
        segments = getattr(territory, "segments", territory)
        if len(segments):
            box = shapely.box(*_bounds(steps, team.start_xy, segments.crs)).buffer(CONTEXT_MARGIN_M)
            context = _lines_latlon(segments[segments.intersects(box)].geometry)

    fmap = _make_map(start)
    groups = {
        "context": offlinefolium.FeatureGroup(name="Rues alentour", show=True),
        "route": offlinefolium.FeatureGroup(name="Itinéraire", show=True),
        "numbers": offlinefolium.FeatureGroup(name="Numéros des rues", show=True),
        "start": offlinefolium.FeatureGroup(name="Rendez-vous", show=True),
    }
    _finish_map(fmap, groups)
    fmap.add_child(_CanvassLayers(
        title=page_title, css=_CSS, body=body, entry="canvassTeamMap", groups=groups,
        data={"colour": colour, "highlight": HIGHLIGHT_COLOUR, "steps": data_steps, "start": start,
              "startLabel": start_label, "startNamed": bool(place), "context": context, "strings": _strings(territory)},
    ))
    return _render(fmap)


def overview_map(
    plan: Plan,
    teams: list[Team],
    walks: gpd.GeoDataFrame,
    territory,
    bureau_scores: pd.DataFrame | None = None,
    *,
    done_segments=(),
    units: gpd.GeoDataFrame | None = None,
) -> str:
    """The organiser's map: voting areas by priority, every team's walk, meeting places, streets already done.

    Parameters
    ----------
    plan
        The plan (totals shown in the header).
    teams
        The teams in plan order (their position picks their colour, as on the team maps).
    walks
        All steps, as :func:`canvass.plan.io.load_plan` returns them.
    territory
        The territory: voting areas (``bureaux``) and streets (``segments``).
    bureau_scores
        The ``bureau_scores`` layer of a scores GeoPackage, or the bureau table of the
        scores (indexed or keyed by ``bureau_id``). Bureaux are coloured in quantile
        classes of ``priority``; suppressed bureaux show ``secret`` instead of figures.
    done_segments
        Ids of planning units (or whole segments, from an older log) already canvassed,
        drawn in their own layer ("Déjà faits").
    units
        The planning units (:func:`canvass.plan.units.planning_units`): done blocks are
        drawn alone; without them, a done block draws its whole segment.

    Returns
    -------
    str
        The HTML page; it fetches nothing unless the tile layer is switched on.
    """
    bureaux = territory.bureaux[["bureau_id", "label", "name", "geometry"]].copy() if len(territory.bureaux) else gpd.GeoDataFrame(
        {"bureau_id": [], "label": [], "name": []}, geometry=[], crs=METRIC_CRS)
    table = None
    if bureau_scores is not None:
        table = pd.DataFrame(bureau_scores).drop(columns="geometry", errors="ignore")
        if "bureau_id" not in table.columns:
            table = table.reset_index()
        table = table.drop(columns=[c for c in ("label", "name") if c in table.columns])
        bureaux = bureaux.merge(table, on="bureau_id", how="left")
    fills, legend = _priority_classes(bureaux) if table is not None else ([None] * len(bureaux), "")
    features = []
    simple = bureaux.geometry.simplify(1.0) if bureaux.crs and bureaux.crs.is_projected else bureaux.geometry
    shapes = in_wgs84(gpd.GeoDataFrame(geometry=simple.values, crs=bureaux.crs)).geometry if len(bureaux) else []
    for (_, row), shape, fill in zip(bureaux.iterrows(), shapes, fills):
        if shape is None or shape.is_empty:
            continue
        geometry = json.loads(shapely.to_geojson(shapely.set_precision(shape, 10 ** -COORDINATE_DECIMALS)))
        features.append({"type": "Feature", "geometry": geometry,
                         "properties": {"fill": fill, "popup": _bureau_popup(row, table is not None)}})

    routes = []
    for index, team in enumerate(teams):
        mine = walks[walks["team"] == team.name].sort_values("order") if len(walks) else walks
        mine = mine[mine.geometry.notna()]
        name = escape(team.name)
        routes.append({
            "key": f"team{index}",
            "colour": team_colour(index),
            "steps": [{"order": int(step["order"]), "latlngs": latlngs, "tip": f"{name} – {int(step['order'])}. {escape(step_label(step))}"}
                      for (_, step), latlngs in zip(mine.iterrows(), _lines_latlon(mine.geometry))],
        })
    places: dict[tuple, list[str]] = {}
    place_names: dict[tuple, str] = {}
    for index, team in enumerate(teams):
        key = tuple(np.round(team.start_xy, 1))
        places.setdefault(key, []).append(f'<span style="color:{team_colour(index)}">■</span> {escape(team.name)}')
        if team.place_name and team.place_name.strip():
            place_names.setdefault(key, escape(team.place_name.strip()))
    points = _to_latlon(gpd.GeoSeries([shapely.Point(xy) for xy in places], crs=METRIC_CRS)) if places else []
    meeting = [{"latlng": point, "name": place_names.get(key, ""),
                "popup": f"<b>Rendez-vous{' : ' + place_names[key] if key in place_names else ''}</b><br>" + "<br>".join(names)}
               for point, (key, names) in zip(points, places.items())]

    segments = territory.segments
    done_ids = {int(i) for i in done_segments}
    if units is not None and len(units):
        done = units[done_units(units["unit_id"], done_ids)] if done_ids else units.iloc[:0]
    else:
        done = segments[segments["segment_id"].isin(parent_segments(list(done_ids)))] if done_ids and len(segments) else segments.iloc[:0]
    done_lines = [{"latlngs": latlngs, "tip": f"Déjà fait : {escape(step_label(row))}"}
                  for latlngs, (_, row) in zip(_lines_latlon(done.geometry), done.iterrows())]

    center = points[0] if len(points) else [46.6, 2.4]
    fmap = _make_map(center)
    groups = {
        "context": offlinefolium.FeatureGroup(name="Rues", show=True),
        "bureaux": offlinefolium.FeatureGroup(name="Priorités" if table is not None else "Bureaux de vote", show=True),
    }
    if done_lines:
        groups["done"] = offlinefolium.FeatureGroup(name="Déjà faits", show=True)
    for index, team in enumerate(teams):
        groups[f"team{index}"] = offlinefolium.FeatureGroup(
            name=f'<span style="color:{team_colour(index)}">■</span> {escape(team.name)}', show=True)
    groups["meeting"] = offlinefolium.FeatureGroup(name="Lieux de rendez-vous", show=True)
    _finish_map(fmap, groups)

    totals = plan.totals()
    header = (f"{totals['n_teams']} équipe{'s' if totals['n_teams'] > 1 else ''} · {totals['n_segments']} étapes · "
              f"{french_number(totals['n_doors'])} portes · marche {french_number(100 * totals['walking_share'])}\u202f% du temps · "
              f"temps utilisé {french_number(100 * totals['budget_used'])}\u202f%")
    if totals["n_unserved"]:
        header += f" · {totals['n_unserved']} blocs non couverts"
    rows = "".join(
        f'<li><span class="n" style="border-color:{team_colour(i)}">{i + 1}</span><span class="rue">{escape(r.team)}</span>'
        f'<span class="portes">{french_number(r.n_doors)}</span><span class="min">{minutes_text(r.minutes)}</span></li>'
        for i, r in enumerate(plan.table().itertuples())
    )
    body = (
        '<header id="canvass-header" class="canvass-header"><h1>Plan de porte-à-porte – vue d’ensemble</h1>'
        f'<p class="canvass-totals">{header}</p><p id="canvass-message" class="canvass-message" role="status" aria-live="polite"></p></header>'
        '<section id="canvass-panel" class="canvass-panel" aria-label="Équipes">'
        '<div class="canvass-row-head" aria-hidden="true"><span></span><span>Équipe</span><span>Portes</span><span>Durée</span></div>'
        f'<ol class="canvass-list canvass-teams">{rows}</ol></section>'
    )
    fmap.add_child(_CanvassLayers(
        title="Plan de porte-à-porte – vue d’ensemble", css=_CSS, body=body, entry="canvassOverviewMap", groups=groups,
        data={"bureaux": {"type": "FeatureCollection", "features": features}, "legend": legend, "routes": routes,
              "meeting": meeting, "done": done_lines, "context": _lines_latlon(segments.geometry, tolerance=1.0),
              "strings": _strings(territory)},
    ))
    return _render(fmap)


def write_map(html: str, path) -> Path:
    """Write a map page to ``path`` (folders made as needed) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


# --- helpers -------------------------------------------------------------------------------------------


def _strings(territory) -> dict:
    """The map's French strings, with the credits of the data sources the territory was fetched from."""
    credits = getattr(territory, "meta", {}).get("sources", {}).get("attribution", [])
    others = [escape(credit) for credit in credits if "openstreetmap" not in credit.lower()]
    return _STRINGS | {"osm": " · ".join([OSM_ATTRIBUTION, *others])}


def _make_map(center) -> _OfflineMap:
    figure = Figure()
    fmap = _OfflineMap(location=center, zoom_start=16, tiles=None, control_scale=False, prefer_canvas=False, max_zoom=19)
    figure.add_child(fmap)
    return fmap


def _finish_map(fmap: _OfflineMap, groups: dict, *, collapsed: bool = True) -> None:
    """Add the layer groups, the optional OSM tiles (off) and the layer switcher."""
    for group in groups.values():
        fmap.add_child(group)
    offlinefolium.TileLayer(OSM_TILES, name="Fond de carte OpenStreetMap (en ligne)", attr=OSM_ATTRIBUTION, overlay=True,
                            show=False, max_zoom=19).add_to(fmap)
    offlinefolium.LayerControl(collapsed=collapsed, position="topright").add_to(fmap)


def _render(fmap: _OfflineMap) -> str:
    html = fmap.get_root().render()
    return html.replace("<html>", '<html lang="fr">', 1)


def _script_json(value) -> str:
    """JSON safe inside a ``<script>`` element: no ``</script>``, no HTML comment, no line separator."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for raw, safe in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, safe)
    return text


def _step_minutes(step) -> float:
    return float(step.get("minutes_walking", 0) or 0) + float(step.get("minutes_knocking", 0) or 0)


def _bounds(steps: gpd.GeoDataFrame, start_xy, crs) -> tuple[float, float, float, float]:
    xs, ys = [start_xy[0]], [start_xy[1]]
    if len(steps):
        frame = steps if steps.crs is None or crs is None or steps.crs == crs else steps.to_crs(crs)
        x0, y0, x1, y1 = frame.total_bounds
        xs += [x0, x1]
        ys += [y0, y1]
    return min(xs), min(ys), max(xs), max(ys)


def _to_latlon(points: gpd.GeoSeries) -> list[list[float]]:
    if len(points) == 0:
        return []
    web = in_wgs84(gpd.GeoDataFrame(geometry=points.values, crs=points.crs)).geometry
    return [[round(p.y, COORDINATE_DECIMALS), round(p.x, COORDINATE_DECIMALS)] for p in web]


def _middles(lines: gpd.GeoSeries) -> gpd.GeoSeries:
    return gpd.GeoSeries([line.interpolate(0.5, normalized=True) for line in lines], crs=lines.crs)


def _lines_latlon(lines: gpd.GeoSeries, *, tolerance: float = SIMPLIFY_M) -> list:
    """Each line as Leaflet ``[[lat, lon], ...]`` (a list of those for a multi-line), simplified and rounded."""
    if len(lines) == 0:
        return []
    if lines.crs is not None and lines.crs.is_projected:
        lines = lines.simplify(tolerance, preserve_topology=False)
    web = in_wgs84(gpd.GeoDataFrame(geometry=lines.values, crs=lines.crs or METRIC_CRS)).geometry
    out = []
    for line in web:
        parts = list(line.geoms) if hasattr(line, "geoms") else [line]
        coords = [np.round(np.asarray(part.coords)[:, [1, 0]], COORDINATE_DECIMALS).tolist() for part in parts if not part.is_empty]
        out.append(coords[0] if len(coords) == 1 else coords)
    return out


def _priority_classes(bureaux: pd.DataFrame) -> tuple[list, str]:
    """Fill colour of each bureau (quantile classes of priority) and the French legend."""
    suppressed = bureaux["suppressed"].fillna(False).astype(bool) if "suppressed" in bureaux else pd.Series(False, index=bureaux.index)
    priority = pd.to_numeric(bureaux.get("priority"), errors="coerce").where(~suppressed)
    known = priority.dropna()
    n_classes = int(min(len(PRIORITY_COLOURS), known.nunique())) if len(known) else 0
    palette = [PRIORITY_COLOURS[round(i * (len(PRIORITY_COLOURS) - 1) / max(n_classes - 1, 1))] for i in range(n_classes)]
    edges = np.quantile(known, np.linspace(0, 1, n_classes + 1)) if n_classes else np.array([])
    fills = []
    for value in priority:
        if pd.isna(value) or not n_classes:
            fills.append(SECRET_COLOUR)
        else:
            fills.append(palette[int(np.clip(np.searchsorted(edges[1:-1], value, side="right"), 0, n_classes - 1))])
    items = []
    for i in reversed(range(n_classes)):
        word = " (la plus forte)" if i == n_classes - 1 and n_classes > 1 else " (la plus faible)" if i == 0 and n_classes > 1 else ""
        items.append(f'<li><i style="background:{palette[i]}"></i>{french_number(edges[i], 2)} – {french_number(edges[i + 1], 2)}{word}</li>')
    if suppressed.any() or priority.isna().any():
        items.append(f'<li><i style="background:{SECRET_COLOUR}"></i>secret (trop peu d’inscrits) ou sans données</li>')
    legend = '<div class="canvass-legend"><b>Priorité</b><ul>' + "".join(items) + "</ul><small>classes par quantiles</small></div>"
    return fills, legend


def _bureau_popup(row: pd.Series, scored: bool) -> str:
    """Popup of one bureau: its figures, or ``secret`` for each of them when suppressed."""
    title = f"<b>Bureau {escape(row.get('label'))}</b>"
    if isinstance(row.get("name"), str) and row.get("name"):
        title += f" – {escape(row['name'])}"
    if not scored:
        return title
    secret = bool(row.get("suppressed")) if pd.notna(row.get("suppressed")) else False

    def figure(column: str, kind: str) -> str:
        value = row.get(column)
        if secret and column in HIDDEN_COLUMNS:
            return "secret"
        if value is None or pd.isna(value):
            return "–"
        if kind == "percent":
            return f"{french_number(100 * float(value), 1)}\u202f%"
        if kind == "int":
            return french_number(float(value))
        return french_number(float(value), 2)

    lines = [("Priorité", figure("priority", "float")), ("Score", figure("score", "float")), ("Rang", figure("rank", "int")),
             ("Inscrits", figure("n_registered", "int")), ("Abstention", figure("share_abstention", "percent")),
             ("Part du camp", figure("share_camp", "percent")), ("Portes", figure("n_doors", "int"))]
    table = "".join(f"<tr><th>{label}</th><td>{value}</td></tr>" for label, value in lines)
    note = "<br><small>Chiffres masqués : trop peu d’inscrits.</small>" if secret else ""
    return f'{title}<table class="canvass-figures">{table}</table>{note}'


_STRINGS = {
    "locateTitle": "Où suis-je ?",
    "locatePopup": "Vous êtes à moins de {distance} {unit} de ce point",
    "metersUnit": "mètres",
    "feetUnit": "pieds",
    "outsideMapBoundsMsg": "Vous semblez être en dehors de la carte",
    "locateError": "Position introuvable. La géolocalisation demande une page ouverte en https et l’autorisation du téléphone.",
    "fullscreenTitle": "Plein écran",
    "fullscreenCancel": "Quitter le plein écran",
    "osm": OSM_ATTRIBUTION,
}

_CSS = """
html, body { height: 100%; margin: 0; }
body { display: grid; height: 100vh; height: 100dvh; grid-template-areas: "head" "map" "list";
  grid-template-rows: auto minmax(0, 1fr) minmax(0, 40%); grid-template-columns: minmax(0, 1fr);
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; background: #f4f4f4; }
@media (min-width: 800px) and (min-aspect-ratio: 1/1) {
  body { grid-template-areas: "head head" "map list"; grid-template-columns: minmax(0, 1fr) 380px; grid-template-rows: auto minmax(0, 1fr); }
}
.folium-map { grid-area: map; position: relative !important; width: 100% !important; height: 100% !important; min-height: 0; background: #fafafa; }
.canvass-header { grid-area: head; padding: 6px 12px; background: #fff; border-top: 6px solid #444; border-bottom: 1px solid #ccc; }
.canvass-header h1 { font-size: 1.15rem; margin: 0; line-height: 1.3; overflow-wrap: anywhere; }
.canvass-totals { margin: 2px 0 0; font-size: 0.95rem; }
.canvass-message:empty { display: none; }
.canvass-message { margin: 4px 0 0; padding: 6px 8px; background: #fff3cd; border-radius: 4px; font-size: 0.9rem; }
.canvass-panel { grid-area: list; overflow-y: auto; -webkit-overflow-scrolling: touch; background: #fff; border-top: 1px solid #ccc; }
.canvass-row-head, .canvass-list li { display: grid; grid-template-columns: 2.6em minmax(0, 1fr) 4.2em 3.6em; align-items: center; gap: 6px; padding: 0 10px; }
.canvass-row-head { position: sticky; top: 0; background: #eee; font-size: 0.8rem; font-weight: 600; padding-top: 4px; padding-bottom: 4px; z-index: 1; }
.canvass-row-head span:nth-child(n+3), .canvass-list .portes, .canvass-list .min { text-align: right; }
.canvass-list { list-style: none; margin: 0; padding: 0; }
.canvass-list li { min-height: 52px; border-bottom: 1px solid #e5e5e5; font-size: 1rem; cursor: pointer; -webkit-tap-highlight-color: rgba(0,0,0,0.1); }
.canvass-list li:focus { outline: 3px solid #0b57d0; outline-offset: -3px; }
.canvass-list li.selected { background: #fff1c4; }
.canvass-list .n { display: inline-flex; justify-content: center; align-items: center; width: 2em; height: 2em; border: 3px solid #444; border-radius: 50%; font-weight: 700; background: #fff; box-sizing: border-box; }
.canvass-list .rue { overflow-wrap: anywhere; }
.canvass-teams li { cursor: default; }
.canvass-note, .canvass-empty { margin: 8px 12px; font-size: 0.85rem; color: #555; }
.canvass-num { background: none; border: none; }
.canvass-num span { display: flex; justify-content: center; align-items: center; width: 34px; height: 34px; box-sizing: border-box; border-radius: 50%;
  background: #fff; border: 3px solid #444; font: 700 15px/1 system-ui, sans-serif; color: #111; box-shadow: 0 1px 3px rgba(0,0,0,0.4); }
.canvass-num.selected span { background: #ffb000; }
.canvass-start { background: none; border: none; }
.canvass-place { font-weight: bold; }
.canvass-start span { display: flex; justify-content: center; align-items: center; width: 40px; height: 40px; box-sizing: border-box; border-radius: 8px;
  background: #111; color: #fff; font: 700 22px/1 system-ui, sans-serif; border: 3px solid #fff; box-shadow: 0 1px 4px rgba(0,0,0,0.5); }
.fullscreen-icon, .leaflet-touch .fullscreen-icon { background-image: url("data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 24 24' fill='none' stroke='%23333' stroke-width='2.5'%3E%3Cpath d='M3 9V3h6M15 3h6v6M21 15v6h-6M9 21H3v-6'/%3E%3C/svg%3E") !important;
  background-size: 22px 22px !important; background-position: center !important; background-repeat: no-repeat !important; }
.fullscreen-icon.leaflet-fullscreen-on, .leaflet-touch .fullscreen-icon.leaflet-fullscreen-on { background-image: url("data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 24 24' fill='none' stroke='%23333' stroke-width='2.5'%3E%3Cpath d='M9 3v6H3M21 9h-6V3M15 21v-6h6M3 15h6v6'/%3E%3C/svg%3E") !important; }
.canvass-locate::before { content: "◎"; font-size: 22px; line-height: 30px; }
.leaflet-touch .leaflet-bar a, .leaflet-touch .leaflet-control-layers-toggle { width: 44px; height: 44px; line-height: 44px; }
.leaflet-control-layers label { min-height: 32px; display: flex; align-items: center; }
.canvass-legend { background: #fff; padding: 6px 10px; border-radius: 4px; box-shadow: 0 1px 4px rgba(0,0,0,0.3); font-size: 0.85rem; }
.canvass-legend ul { list-style: none; margin: 4px 0; padding: 0; }
.canvass-legend i { display: inline-block; width: 14px; height: 14px; margin-right: 6px; vertical-align: -2px; border: 1px solid #888; }
.canvass-figures th { text-align: left; font-weight: 500; padding-right: 10px; }
.canvass-figures td { text-align: right; }
"""

_RUNTIME_JS = r"""
(function () {
  "use strict";
  function controls(map, strings) {
    map.attributionControl.setPrefix("Leaflet");
    map.attributionControl.addAttribution(strings.osm);
    L.control.scale({imperial: false}).addTo(map);
    function say(text) { var box = document.getElementById("canvass-message"); if (box) { box.textContent = text; } }
    if (L.control.locate) {
      L.control.locate({
        position: "topleft", icon: "canvass-locate", iconLoading: "canvass-locate", drawCircle: true, showPopup: true,
        flyTo: false, keepCurrentZoomLevel: false, locateOptions: {enableHighAccuracy: true, maxZoom: 18},
        strings: {title: strings.locateTitle, metersUnit: strings.metersUnit, feetUnit: strings.feetUnit,
                  popup: strings.locatePopup, outsideMapBoundsMsg: strings.outsideMapBoundsMsg},
        onLocationError: function () { say(strings.locateError); },
        onLocationOutsideMapBounds: function () { say(strings.outsideMapBoundsMsg); }
      }).addTo(map);
    }
    if (L.control.fullscreen) {
      L.control.fullscreen({position: "topleft", title: strings.fullscreenTitle, titleCancel: strings.fullscreenCancel,
                            forceSeparateButton: true}).addTo(map);
    }
  }
  function drawContext(lines, group, weight) {
    lines.forEach(function (latlngs) {
      L.polyline(latlngs, {color: "#8a8a8a", weight: weight, opacity: 0.8, interactive: false}).addTo(group);
    });
  }
  function arrows(line, colour, size) {
    if (line.setText) {
      line.setText("  \u25BA  ", {repeat: true, offset: Math.round(size / 3), attributes: {fill: colour, "font-size": String(size), "font-weight": "bold"}});
    }
  }

  window.canvassTeamMap = function (map, groups, data) {
    controls(map, data.strings);
    drawContext(data.context, groups.context, 2);
    var base = {color: data.colour, weight: 7, opacity: 0.9};
    var streets = {}, numbers = {}, selected = null;
    window.canvassMap = map;
    window.canvassStreets = streets;
    var bounds = L.latLngBounds([data.start]);
    function rowOf(order) { return document.querySelector('#canvass-list li[data-order="' + order + '"]'); }
    function select(order, fit) {
      if (selected !== null && streets[selected]) {
        streets[selected].setStyle(base);
        var oldRow = rowOf(selected); if (oldRow) { oldRow.classList.remove("selected"); oldRow.removeAttribute("aria-current"); }
        var oldIcon = numbers[selected] && numbers[selected].getElement(); if (oldIcon) { oldIcon.classList.remove("selected"); }
      }
      selected = order;
      var line = streets[order];
      if (!line) { return; }
      line.setStyle({color: data.highlight, weight: 13, opacity: 1});
      line.bringToFront();
      var row = rowOf(order);
      if (row) { row.classList.add("selected"); row.setAttribute("aria-current", "true"); if (row.scrollIntoView) { row.scrollIntoView({block: "nearest"}); } }
      var icon = numbers[order] && numbers[order].getElement(); if (icon) { icon.classList.add("selected"); }
      if (fit) { map.fitBounds(line.getBounds(), {padding: [48, 48], maxZoom: 18}); }
    }
    window.canvassSelect = select;
    data.steps.forEach(function (step) {
      var line = L.polyline(step.latlngs, base).addTo(groups.route);
      line.canvassOrder = step.order;
      line.bindTooltip(step.tip, {sticky: true});
      line.bindPopup(step.popup);
      line.on("click", function () { select(step.order, false); });
      arrows(line, "#ffffff", 15);
      streets[step.order] = line;
      bounds.extend(line.getBounds());
      var number = L.marker(step.middle, {
        icon: L.divIcon({className: "canvass-num", html: '<span style="border-color:' + data.colour + '">' + step.order + "</span>",
                         iconSize: [34, 34], iconAnchor: [17, 17]}),
        keyboard: false, title: "", riseOnHover: true
      }).addTo(groups.numbers);
      number.on("click", function () { select(step.order, true); line.openPopup(); });
      number.on("add", function () { var el = number.getElement(); if (el) { el.setAttribute("data-order", step.order); } });
      var el = number.getElement(); if (el) { el.setAttribute("data-order", step.order); }
      numbers[step.order] = number;
    });
    var start = L.marker(data.start, {
      icon: L.divIcon({className: "canvass-start", html: "<span>\u2691</span>", iconSize: [40, 40], iconAnchor: [20, 20]}),
      zIndexOffset: 1000, keyboard: false
    }).addTo(groups.start);
    start.bindTooltip(data.startLabel, {direction: "top", offset: [0, -20], permanent: data.startNamed, className: "canvass-place"});
    var startIcon = start.getElement(); if (startIcon) { startIcon.setAttribute("aria-label", data.startLabel); startIcon.setAttribute("title", data.startLabel); }
    document.querySelectorAll("#canvass-list li[data-order]").forEach(function (row) {
      var order = parseInt(row.getAttribute("data-order"), 10);
      row.addEventListener("click", function () { select(order, true); });
      row.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); select(order, true); }
      });
    });
    map.fitBounds(bounds, {padding: [24, 24], maxZoom: 18});
  };

  window.canvassOverviewMap = function (map, groups, data) {
    controls(map, data.strings);
    window.canvassMap = map;
    drawContext(data.context, groups.context, 1);
    var bureaux = L.geoJSON(data.bureaux, {
      style: function (feature) {
        var fill = feature.properties.fill;
        return {color: "#444", weight: 1.5, fillColor: fill || "#ffffff", fillOpacity: fill ? 0.45 : 0.05};
      },
      onEachFeature: function (feature, layer) { layer.bindPopup(feature.properties.popup); }
    }).addTo(groups.bureaux);
    var bounds = bureaux.getLayers().length ? bureaux.getBounds() : L.latLngBounds([]);
    var walked = L.latLngBounds([]);
    if (groups.done) {
      data.done.forEach(function (done) {
        L.polyline(done.latlngs, {color: "#555555", weight: 5, opacity: 0.9, dashArray: "6 6"}).bindTooltip(done.tip, {sticky: true}).addTo(groups.done);
      });
    }
    window.canvassTeams = {};
    data.routes.forEach(function (route) {
      var group = groups[route.key];
      window.canvassTeams[route.key] = group;
      route.steps.forEach(function (step) {
        var line = L.polyline(step.latlngs, {color: route.colour, weight: 5, opacity: 0.9}).addTo(group);
        line.bindTooltip(step.tip, {sticky: true});
        arrows(line, "#ffffff", 11);
        walked.extend(line.getBounds());
      });
    });
    data.meeting.forEach(function (place) {
      var marker = L.marker(place.latlng, {
        icon: L.divIcon({className: "canvass-start", html: "<span>\u2691</span>", iconSize: [40, 40], iconAnchor: [20, 20]}),
        zIndexOffset: 1000, keyboard: false
      });
      marker.bindPopup(place.popup).addTo(groups.meeting);
      if (place.name) { marker.bindTooltip(place.name, {direction: "top", offset: [0, -20], className: "canvass-place"}); }
      walked.extend(place.latlng);
    });
    if (data.legend) {
      var legend = L.control({position: "bottomleft"});
      legend.onAdd = function () { var div = L.DomUtil.create("div"); div.innerHTML = data.legend; return div; };
      legend.addTo(map);
    }
    // Zoom to the walks and meeting places (the commune is one zoom-out away); the whole territory when nothing is planned.
    var target = walked.isValid() ? walked : bounds;
    window.canvassFit = function () { if (target.isValid()) { map.invalidateSize(); map.fitBounds(target, {padding: [16, 16]}); } };
    window.canvassFit();
  };
})();
"""
