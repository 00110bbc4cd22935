"""Printable walk sheets: one A4 page per team (map, streets in order, QR code), and a booklet for the whole plan.

The sheets speak French and are made offline: the map is drawn with matplotlib
from the plan's own geometries (no tiles), the PDF with fpdf2 and the DejaVu
Sans fonts that matplotlib ships (a Unicode font, so ’, Œ and « » print), the
QR code with segno. The same inputs give the same bytes: the PDF creation date
is the session date when the session starts with one (``2025-06-14 …``), a fixed
date otherwise.

Only aggregated figures are printed (doors and minutes per street), never a
voter's name or choice.
"""

from __future__ import annotations

import io
import re
from datetime import datetime, timezone
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import segno
import shapely
from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos
from fpdf.fonts import FontFace
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from PIL import Image

from canvass.outputs._common import french_number, minutes_text, step_label, team_colour
from canvass.plan.result import Plan
from canvass.plan.teams import Team
from canvass.scores.camps import plain
from canvass.territory.model import Territory

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT = "DejaVu"
FOOTER_TEXT = "Données agrégées – aucune donnée individuelle d’électeur"
FIXED_DATE = datetime(2024, 1, 1, tzinfo=timezone.utc)
"""Creation date written when the session gives none, so that the output does not depend on the clock."""

MARGIN_MM = 10.0
MAP_W_MM, MAP_H_MM = 190.0, 110.0
QR_MM = 34.0
"""Printed QR size, quiet zone included (the symbol itself stays above 25 mm for short links)."""
MAP_DPI = 170
MAX_SNAP_DISTANCE_M = 80.0
"""Same rule as the door counts (:mod:`canvass.territory.doors`): an address further away is on no street."""

TALLY_COLUMNS = ("Frappées", "Ouvertes", "Soutien", "Indécis", "Opposant")
"""Empty columns the volunteers fill in, the counts the app's Terrain page asks for each step."""
TABLE_WIDTHS = (8, 62, 22, 12, 11) + (15,) * len(TALLY_COLUMNS)
"""Millimetres per column of the step table: 190 mm, the A4 width inside the margins; without house numbers the label
takes the 22 mm of the side column."""
TABLE_LINE_MM = 4.2
CHARS_PER_MM = 0.64
"""About how many characters of a step's label fit in a millimetre of its cell at 7.5 pt."""
MIN_MAP_H_MM = 70.0
"""The map shrinks down to this height so that the step table stays on the first page."""

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre")


class _SheetPDF(FPDF):
    """A4 portrait with the DejaVu fonts and the privacy footer on every page."""

    def __init__(self, title: str, session: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
        self.set_auto_page_break(True, margin=16)
        self.set_title(title)
        self.set_author("canvass")
        self.set_creator("canvass")
        self.set_lang("fr-FR")
        self.set_creation_date(session_date(session) or FIXED_DATE)
        self.footer_team = ""

    def footer(self):
        self.set_y(-12)
        self.set_font(FONT, "", 7)
        self.set_text_color(90)
        left = FOOTER_TEXT + (f" · {self.footer_team}" if self.footer_team else "")
        self.cell(150, 5, left)
        self.cell(0, 5, f"Page {self.page_no()}/{{nb}}", align="R")
        self.set_text_color(0)


def session_date(session: str) -> datetime | None:
    """The date a session text starts with (``'2025-06-14 10:00 …'``), or None."""
    match = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2})[:h](\d{2}))?", session or "")
    if not match:
        return None
    year, month, day, hour, minute = match.groups()
    try:
        return datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), tzinfo=timezone.utc)
    except ValueError:
        return None


def session_text(session: str) -> str:
    """``'2025-06-14 10:00'`` → ``'samedi 14 juin 2025, 10 h 00'``; any other text is kept as it is."""
    date = session_date(session)
    if date is None:
        return (session or "").strip()
    match = re.match(r"\s*\d{4}-\d{2}-\d{2}(?:[ T]\d{1,2}[:h]\d{2})?", session)
    rest = session[match.end():].strip(" ,–-") if match else ""
    text = f"{WEEKDAYS[date.weekday()]} {date.day}{'er' if date.day == 1 else ''} {MONTHS[date.month - 1]} {date.year}"
    if re.match(r"\s*\d{4}-\d{2}-\d{2}[ T]\d", session):
        text += f", {date.hour} h {date.minute:02d}"
    return f"{text} – {rest}" if rest else text


def walk_sheet_pdf(
    walk_steps: gpd.GeoDataFrame,
    team: Team,
    team_index: int,
    *,
    link: str | None = None,
    meeting: str = "",
    territory: Territory | None = None,
    session: str = "",
    return_m: float = 0.0,
) -> bytes:
    """One team's walk sheet as PDF bytes: a page with the map and the streets, more pages if the list is long.

    Parameters
    ----------
    walk_steps
        The team's steps from :func:`canvass.plan.io.load_plan` (rows of other
        teams, if any, are left out), geometry in Lambert-93 oriented in the
        walking direction.
    team
        The team: its name, size, meeting point and time budget.
    team_index
        Position of the team in the plan, which picks its colour.
    link
        Printed as a QR code and in small type under it (e.g. the team's web map).
    meeting
        Meeting place and time as the organiser writes it; without it the
        nearest address of the territory (if any) names the starting point.
    territory
        Draws the surrounding streets in grey and fills the house numbers of
        each street from the address points.
    session
        The canvassing session (``'2025-06-14 10:00, marché'``); its date is also
        the PDF's creation date.
    return_m
        Walk back to the meeting point after the last street (from the plan),
        added to the walking time and distance.

    Returns
    -------
    bytes
        The PDF document.
    """
    pdf = _SheetPDF(f"Feuille de route – {team.name}", session)
    _team_pages(pdf, walk_steps, team, team_index, link=link, meeting=meeting, territory=territory, session=session, return_m=return_m)
    return bytes(pdf.output())


def booklet_pdf(
    plan: Plan | None,
    teams: list[Team],
    walks: gpd.GeoDataFrame,
    *,
    links: dict[str, str] | None = None,
    meetings: dict[str, str] | None = None,
    territory: Territory | None = None,
    session: str = "",
) -> bytes:
    """Every team's walk sheet in one PDF, after a cover page listing the teams.

    Parameters
    ----------
    plan
        The plan (for the walk back to the meeting point); may be None.
    teams, walks
        As returned by :func:`canvass.plan.io.load_plan`, teams in plan order
        (which sets their colours).
    links, meetings
        Per team name: the link printed as a QR code, the meeting place and time.
    territory, session
        As for :func:`walk_sheet_pdf`.

    Returns
    -------
    bytes
        The PDF document.
    """
    links, meetings = links or {}, meetings or {}
    returns = {walk.team: walk.return_m for walk in plan.walks} if plan is not None else {}
    pdf = _SheetPDF("Feuilles de route – porte-à-porte", session)
    rows = []
    for team in teams:
        steps = _team_steps(walks, team)
        figures = _figures(steps, returns.get(team.name, 0.0))
        rows.append((team, _meeting_text(meetings.get(team.name, ""), team, territory, on_map=False), figures))
    _cover(pdf, rows, session)
    for index, team in enumerate(teams):
        _team_pages(pdf, walks, team, index, link=links.get(team.name), meeting=meetings.get(team.name, ""), territory=territory,
                    session=session, return_m=returns.get(team.name, 0.0))
    return bytes(pdf.output())


# --- pages -----------------------------------------------------------------------------------------------------------


def _cover(pdf: _SheetPDF, rows: list, session: str) -> None:
    pdf.add_page()
    pdf.footer_team = ""
    pdf.set_font(FONT, "B", 20)
    pdf.cell(0, 12, "Porte-à-porte – feuilles de route", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 11)
    if session_text(session):
        pdf.cell(0, 7, f"Séance : {session_text(session)}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doors = sum(figures["doors"] for _, _, figures in rows)
    pdf.cell(0, 7, f"{len(rows)} équipes · {french_number(doors)} portes", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_font(FONT, "", 9)
    heading = FontFace(emphasis="BOLD", fill_color=(230, 230, 230))
    with pdf.table(col_widths=(68, 70, 17, 35), text_align=("LEFT", "LEFT", "RIGHT", "RIGHT"), headings_style=heading,
                   line_height=5.5, markdown=False) as table:
        table.row(("Équipe", "Rendez-vous", "Portes", "Durée (prévue)"))
        for team, meeting, figures in rows:
            table.row((team.name, meeting, french_number(figures["doors"]),
                       f"{minutes_text(figures['minutes'])} ({minutes_text(team.minutes)})"))
        table.row(("Total", "", french_number(doors), ""), style=FontFace(emphasis="BOLD"))
    pdf.ln(4)
    pdf.set_font(FONT, "", 8)
    pdf.multi_cell(0, 4.5, "Chaque équipe a sa feuille : la carte de son parcours, les rues, blocs et immeubles dans l’ordre de passage "
                   "avec le nombre de portes (de logements pour un immeuble), et un code QR vers sa carte en ligne. "
                   "Les chiffres sont agrégés par bloc de rue.")


def _team_pages(pdf: _SheetPDF, walks: gpd.GeoDataFrame, team: Team, team_index: int, *, link: str | None, meeting: str,
                territory: Territory | None, session: str, return_m: float) -> None:
    steps = _team_steps(walks, team)
    colour = team_colour(team_index)
    figures = _figures(steps, return_m)
    pdf.add_page()
    pdf.footer_team = team.name  # after add_page, which closes the previous page with the previous footer
    top = pdf.get_y()
    text_w = 190 - (QR_MM + 6 if link else 0)

    # Heading: title, meeting, budget; QR code on the right.
    pdf.set_fill_color(*_rgb(colour))
    pdf.rect(MARGIN_MM, top, 3, 26, style="F")
    pdf.set_fill_color(255)
    pdf.set_xy(MARGIN_MM + 5, top)
    pdf.set_font(FONT, "B", 16)
    pdf.multi_cell(text_w - 5, 8, f"Feuille de route – {team.name}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 10)
    lines = [f"Rendez-vous : {_meeting_text(meeting, team, territory)}"]
    if session_text(session):
        lines.append(f"Séance : {session_text(session)}")
    lines.append(f"Durée prévue : {minutes_text(team.minutes)} · estimée : {minutes_text(figures['minutes'])} · "
                 f"{team.size} bénévole{'s' if team.size > 1 else ''}")
    buildings = int(steps["label"].astype("string").str.contains("(immeuble", regex=False).sum()) if "label" in steps.columns else 0
    counted = f"{len(steps)} étapes" + (f" dont {buildings} immeuble{'s' if buildings > 1 else ''}" if buildings else "")
    lines.append(f"{counted} · {french_number(figures['doors'])} portes · {french_number(figures['km'], 2)} km à pied")
    for line in lines:
        pdf.set_x(MARGIN_MM + 5)
        pdf.multi_cell(text_w - 5, 5.2, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    bottom = pdf.get_y()
    if link:
        x = MARGIN_MM + 190 - QR_MM
        pdf.image(_qr_png(link), x=x, y=top, w=QR_MM, h=QR_MM)
        pdf.set_xy(x - 4, top + QR_MM)
        pdf.set_font(FONT, "", 6)
        pdf.multi_cell(QR_MM + 4, 2.6, link, align="C", wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        bottom = max(bottom, pdf.get_y())

    # Map.
    map_top = bottom + 2
    numbers = _house_numbers(steps, territory)
    sides = any(numbers)
    widths = TABLE_WIDTHS if sides else (TABLE_WIDTHS[0], TABLE_WIDTHS[1] + TABLE_WIDTHS[2], *TABLE_WIDTHS[3:])
    table_h = _table_height(steps, figures["back"] > 0, widths[1])
    map_h = min(MAP_H_MM, max(MIN_MAP_H_MM, 297 - 16 - map_top - 3 - table_h - 14), 297 - 16 - map_top - 40)
    pdf.image(_map_image(steps, team, colour, territory, MAP_W_MM, map_h), x=MARGIN_MM, y=map_top, w=MAP_W_MM, h=map_h)
    pdf.set_draw_color(160)
    pdf.rect(MARGIN_MM, map_top, MAP_W_MM, map_h)
    pdf.set_draw_color(0)
    pdf.set_y(map_top + map_h + 3)

    # Streets in walk order (the side column only when some house numbers are known).
    pdf.set_font(FONT, "", 7.5)
    heading = FontFace(emphasis="BOLD", fill_color=(230, 230, 230), size_pt=6.5)
    blank = ("",) * len(TALLY_COLUMNS)

    def cells(first, label, side, *rest):
        return (first, label, side, *rest) if sides else (first, label, *rest)

    align = cells("CENTER", "LEFT", "LEFT", "RIGHT", "RIGHT") + ("CENTER",) * len(TALLY_COLUMNS)
    with pdf.table(col_widths=widths, text_align=align, headings_style=heading, line_height=TABLE_LINE_MM, markdown=False,
                   padding=(0.4, 0.8, 0.4, 0.8)) as table:
        table.row(cells("N°", "Rue, bloc ou immeuble", "Côté / numéros", "Portes", "Min.", *TALLY_COLUMNS))
        minutes = list(steps["minutes_walking"] + steps["minutes_knocking"]) + ([figures["back"]] if figures["back"] > 0 else [])
        minutes = _rounded_to_total(minutes)
        for step, number_text, step_minutes in zip(steps.itertuples(), numbers, minutes):
            table.row(cells(str(int(step.order)), step_label(step), number_text, french_number(step.n_doors), str(step_minutes), *blank))
        if figures["back"] > 0:
            table.row(cells("", "Retour au point de départ", "", "", str(minutes[-1]), *blank))
        table.row(cells("", "Total", "", french_number(figures["doors"]), french_number(figures["minutes"]), *blank),
                  style=FontFace(emphasis="BOLD"))
    pdf.ln(1)
    pdf.set_font(FONT, "", 7.5)
    pdf.multi_cell(0, 3.8, f"Porte-à-porte {minutes_text(figures['knocking'])} · marche {minutes_text(figures['walking'])} · "
                   f"{french_number(figures['km'], 2)} km · minutes par étape, trajet compris · G / D : à gauche / à droite "
                   "dans le sens de la marche · soutien, indécis, opposant : parmi les portes ouvertes", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _table_height(steps: pd.DataFrame, back: bool, label_mm: float) -> float:
    """Estimated height (mm) of the step table: a heading, one row per step (long labels wrap), the walk back and the total."""
    labels = [step_label(step) for step in steps.itertuples()]
    per_line = max(1, int(label_mm * CHARS_PER_MM))
    lines = sum(-(-len(label) // per_line) for label in labels) + 2 + int(back) + len(TALLY_COLUMNS) // 5
    return lines * TABLE_LINE_MM + (len(labels) + 3) * 0.8


def _rounded_to_total(values: list[float]) -> list[int]:
    """Whole numbers that add up to the rounded total (largest remainders get the extra units), so the column sums right."""
    if not values:
        return []
    values = np.asarray(values, dtype=float)
    floors = np.floor(values).astype(int)
    missing = int(round(values.sum())) - int(floors.sum())
    order = np.argsort(-(values - floors), kind="stable")
    floors[order[:max(0, missing)]] += 1
    return [int(v) for v in floors]


def _team_steps(walks: gpd.GeoDataFrame, team: Team) -> gpd.GeoDataFrame:
    steps = walks[walks["team"] == team.name] if "team" in walks.columns else walks
    return steps.sort_values("order", kind="stable")


def _figures(steps: pd.DataFrame, return_m: float) -> dict:
    """Doors, minutes knocking and walking (walk back included), kilometres: as :class:`TeamWalk` counts them."""
    walked = float((steps["approach_m"] + steps["length_m"]).sum()) if len(steps) else 0.0
    walking = float(steps["minutes_walking"].sum()) if len(steps) else 0.0
    back = return_m * walking / walked if walked > 0 else 0.0
    knocking = float(steps["minutes_knocking"].sum()) if len(steps) else 0.0
    return {"doors": float(steps["n_doors"].sum()) if len(steps) else 0.0, "knocking": knocking, "walking": walking + back,
            "minutes": knocking + walking + back, "back": back, "km": (walked + (return_m if len(steps) else 0.0)) / 1000}


def _meeting_text(meeting: str, team: Team, territory: Territory | None, *, on_map: bool = True) -> str:
    """The organiser's text, else the meeting place's name, else the nearest address to the meeting point, else the star on the map."""
    if meeting and meeting.strip():
        return meeting.strip()
    if team.place_name and team.place_name.strip():
        return team.place_name.strip() + (" (★ sur la carte)" if on_map else "")
    if territory is not None and len(territory.addresses):
        addresses = territory.addresses
        point = shapely.Point(team.start_xy)
        near = addresses[addresses.geometry.dwithin(point, 150)]
        if len(near):
            row = near.iloc[int(np.argmin(near.geometry.distance(point).to_numpy()))]
            number = "" if pd.isna(row["housenumber"]) else f"{row['housenumber']} "
            return f"près du {number}{row['street_name']}" + (" (★ sur la carte)" if on_map else "")
    return "point de départ ★ sur la carte" if on_map else "point de départ de la carte"


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


# --- QR code and map ----------------------------------------------------------------------------------------------------


def _qr_png(link: str) -> io.BytesIO:
    """The link as a QR code PNG (medium error correction, standard quiet zone of 4 modules)."""
    buffer = io.BytesIO()
    segno.make(link, error="m", micro=False).save(buffer, kind="png", scale=10, border=4)
    buffer.seek(0)
    return buffer


_MAP_CACHE: dict[tuple, Image.Image] = {}
_MAP_CACHE_SIZE = 64


def _map_image(steps: gpd.GeoDataFrame, team: Team, colour: str, territory: Territory | None, width_mm: float, height_mm: float) -> Image.Image:
    """The team's map, drawn once per walk: the booklet reuses the image drawn for the team's own sheet.

    The key holds the walk itself (order, geometries, names), the team and the territory object, so a
    different walk or territory draws anew; the cache keeps the last 64 maps.
    """
    key = (team, colour, id(territory), width_mm, height_mm, tuple(steps["order"]), tuple(shapely.to_wkb(steps.geometry.values)),
           tuple(steps["street_name"]))
    if key not in _MAP_CACHE:
        if len(_MAP_CACHE) >= _MAP_CACHE_SIZE:
            _MAP_CACHE.pop(next(iter(_MAP_CACHE)))
        _MAP_CACHE[key] = _draw_map(steps, team, colour, territory, width_mm, height_mm)
    return _MAP_CACHE[key]


def _draw_map(steps: gpd.GeoDataFrame, team: Team, colour: str, territory: Territory | None, width_mm: float, height_mm: float) -> Image.Image:
    """The walk over the surrounding streets: numbered, with arrows in the walking direction, and the start."""
    figure = Figure(figsize=(width_mm / 25.4, height_mm / 25.4), dpi=MAP_DPI)
    FigureCanvasAgg(figure)
    ax = figure.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    lines = list(steps.geometry.values)
    start = np.asarray(team.start_xy, dtype=float)
    if lines:
        minx, miny, maxx, maxy = shapely.total_bounds(np.asarray(lines + [shapely.Point(start)], dtype=object))
    else:
        minx, miny, maxx, maxy = start[0] - 200, start[1] - 200, start[0] + 200, start[1] + 200
    # Extent padded and stretched to the box, so that the map is not distorted.
    pad = max(maxx - minx, maxy - miny, 150.0) * 0.07
    minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    cx, cy, w, h = (minx + maxx) / 2, (miny + maxy) / 2, maxx - minx, maxy - miny
    ratio = width_mm / height_mm
    w, h = max(w, h * ratio), max(h, w / ratio)
    ax.set_xlim(cx - w / 2, cx + w / 2)
    ax.set_ylim(cy - h / 2, cy + h / 2)
    ax.set_aspect("equal")
    metres_per_point = w / (width_mm / 25.4 * 72)

    if territory is not None and len(territory.segments):
        around = territory.segments.cx[cx - w / 2:cx + w / 2, cy - h / 2:cy + h / 2]
        ax.add_collection(LineCollection(_paths(around.geometry.values), colors="#c8c8c8", linewidths=1.1, zorder=1))
        if len(around) and "street_name" in around.columns:
            _street_names(ax, around, set(steps["street_name"].astype(str)), metres_per_point)
    if lines:
        ax.add_collection(LineCollection(_paths(lines), colors=colour, linewidths=3.2, capstyle="round", zorder=3))
        for step, line in zip(steps.itertuples(), lines):
            length = line.length
            if length <= 0:
                continue
            # Arrow at two thirds of the street, number at one third.
            a, b = line.interpolate(0.62 * length), line.interpolate(min(length, 0.62 * length + max(1.0, 0.08 * length)))
            ax.annotate("", xy=(b.x, b.y), xytext=(a.x, a.y), zorder=4,
                        arrowprops={"arrowstyle": "-|>,head_length=0.55,head_width=0.32", "color": "black", "lw": 0.8, "shrinkA": 0, "shrinkB": 0})
            p = line.interpolate(0.3 * length)
            ax.text(p.x, p.y, str(int(step.order)), ha="center", va="center", fontsize=6.5, fontweight="bold", color=colour, zorder=5,
                    bbox={"boxstyle": "circle,pad=0.22", "facecolor": "white", "edgecolor": colour, "linewidth": 1.0})
    ax.plot([start[0]], [start[1]], marker="*", markersize=15, color="black", markeredgecolor="white", markeredgewidth=0.8, zorder=6)
    ax.annotate("Départ", (start[0], start[1]), xytext=(7, -11), textcoords="offset points", fontsize=7, fontweight="bold", zorder=6,
                bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.85})
    _scale_bar(ax, cx - w / 2, cy - h / 2, w, h)
    figure.set_facecolor("white")
    figure.canvas.draw()
    # Straight from the canvas to a 64-colour image: no PNG round trip, and a map page of ~60 kB instead of ~130 kB.
    image = Image.fromarray(np.asarray(figure.canvas.buffer_rgba())[:, :, :3])
    return image.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)


def _paths(lines) -> list[np.ndarray]:
    return [np.asarray(line.coords)[:, :2] for line in lines if line is not None and not line.is_empty and line.geom_type == "LineString"] + [
        np.asarray(part.coords)[:, :2] for line in lines if line is not None and line.geom_type == "MultiLineString" for part in line.geoms]


def _street_names(ax, around: gpd.GeoDataFrame, walked: set[str], metres_per_point: float) -> None:
    """Name each walked street once, along its longest visible segment, in small grey type."""
    frame = around[around["street_name"].astype("string").isin(walked)]
    if not len(frame):
        return
    longest = frame.assign(_length=frame.geometry.length).sort_values(["street_name", "_length"], ascending=[True, False])
    for row in longest.drop_duplicates("street_name").itertuples():
        line = row.geometry
        if line is None or line.geom_type != "LineString" or len(str(row.street_name)) * 4.2 * metres_per_point > 1.6 * line.length:
            continue
        middle = line.interpolate(0.5, normalized=True)
        a, b = line.interpolate(0.45, normalized=True), line.interpolate(0.55, normalized=True)
        angle = float(np.degrees(np.arctan2(b.y - a.y, b.x - a.x)))
        angle = angle - 180 if angle > 90 else angle + 180 if angle < -90 else angle
        ax.text(middle.x, middle.y, str(row.street_name), rotation=angle, rotation_mode="anchor", ha="center", va="bottom",
                fontsize=5.5, color="#555555", zorder=2, transform_rotates_text=True)


def _scale_bar(ax, x0: float, y0: float, w: float, h: float) -> None:
    """A round-length bar in the lower left corner (about a fifth of the width)."""
    target = w / 5
    length = max(v for v in (25, 50, 100, 200, 250, 500, 1000, 2000, 5000) if v <= max(target, 25))
    x, y = x0 + w * 0.03, y0 + h * 0.04
    ax.plot([x, x + length], [y, y], color="black", linewidth=2, solid_capstyle="butt", zorder=6)
    ax.text(x + length / 2, y + h * 0.012, f"{length} m" if length < 1000 else f"{length // 1000} km", ha="center", va="bottom", fontsize=6.5, zorder=6)


# --- house numbers ----------------------------------------------------------------------------------------------------


def _house_numbers(steps: gpd.GeoDataFrame, territory: Territory | None) -> list[str]:
    """Per step, the house numbers on each side in the walking direction (``'G 1–15 · D 2–14'``), or '' if unknown.

    Addresses are snapped to their nearest segment as the door counts were, so
    the numbers listed are those whose doors the street's count holds.
    """
    blank = [""] * len(steps)
    if territory is None or not len(territory.addresses) or not len(steps) or "housenumber" not in territory.addresses.columns:
        return blank
    minx, miny, maxx, maxy = steps.total_bounds
    d = MAX_SNAP_DISTANCE_M
    addresses = territory.addresses.cx[minx - d:maxx + d, miny - d:maxy + d]
    segments = territory.segments
    if not len(addresses) or not len(segments):
        return blank
    points = addresses.geometry.values
    point_index, segment_index = shapely.STRtree(segments.geometry.values).query_nearest(points, max_distance=d, all_matches=False)
    snapped = pd.DataFrame({"segment_id": segments["segment_id"].to_numpy()[segment_index], "point": point_index})
    wanted = pd.Series(range(len(steps)), index=steps["segment_id"].to_numpy())
    wanted = wanted[~wanted.index.duplicated()]
    snapped = snapped[snapped["segment_id"].isin(wanted.index)]
    numbers = pd.Series(addresses["housenumber"].astype("string").to_numpy()).str.extract(r"^\s*(\d+)")[0]
    out = []
    lines = steps.geometry.values
    address_streets = plain(addresses["street_name"].astype("string").fillna("")).to_numpy()
    for segment_id, street, line in zip(steps["segment_id"].to_numpy(), plain(steps["street_name"].astype("string").fillna("")), lines):
        mine = snapped.loc[snapped["segment_id"] == segment_id, "point"].to_numpy()
        # Only the numbers of this street: a corner house snapped here belongs to the cross street's numbering.
        mine = mine[address_streets[mine] == street]
        values = pd.to_numeric(numbers.iloc[mine], errors="coerce").to_numpy() if len(mine) else np.array([])
        keep = ~np.isnan(values)
        if line is None or line.is_empty or not keep.any():
            out.append("")
            continue
        sides = _sides(line, points[mine][keep])
        parts = []
        for label, on_side in (("G", sides > 0), ("D", sides <= 0)):
            side_values = values[keep][on_side]
            if len(side_values):
                low, high = int(side_values.min()), int(side_values.max())
                parts.append(f"{label} {low}" if low == high else f"{label} {low}–{high}")
        out.append(" · ".join(parts))
    return out


def _sides(line, points) -> np.ndarray:
    """Cross product sign of each point against the line's direction where it projects (left = positive)."""
    length = line.length
    along = shapely.line_locate_point(line, points)
    step = min(1.0, length / 2)
    before = shapely.line_interpolate_point(line, np.clip(along - step, 0, length))
    after = shapely.line_interpolate_point(line, np.clip(along + step, 0, length))
    direction = shapely.get_coordinates(after) - shapely.get_coordinates(before)
    offset = shapely.get_coordinates(points) - shapely.get_coordinates(before)
    return direction[:, 0] * offset[:, 1] - direction[:, 1] * offset[:, 0]
