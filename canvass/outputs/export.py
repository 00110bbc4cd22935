"""The share bundle: overview, one map and one sheet per team, a booklet, and an index for the organiser.

Team links are random tokens (``<token>.html``) so that a volunteer's link
reveals only that team's walk and cannot be guessed from another. Tokens are
kept in ``links.json`` and reused on the next export, so that printed QR codes
stay valid when the plan is exported again.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from canvass.outputs._common import escape, french_number, minutes_text
from canvass.outputs.maps import overview_map, team_map
from canvass.outputs.sheets import booklet_pdf, walk_sheet_pdf
from canvass.plan.result import Plan
from canvass.plan.teams import Team
from canvass.territory.model import Territory

LINKS_FILE = "links.json"


@dataclass(frozen=True)
class Bundle:
    """What was written: the folder, each team's token and link, and the seconds it took."""

    folder: Path
    links: dict
    seconds: float


def team_tokens(folder: Path, teams: list[Team]) -> dict[str, str]:
    """Token of each team: the one already in ``links.json`` if any, else a new random one."""
    known = {}
    path = folder / LINKS_FILE
    if path.exists():
        known = {item["team"]: item["token"] for item in json.loads(path.read_text(encoding="utf-8"))}
    return {team.name: known.get(team.name) or secrets.token_urlsafe(12) for team in teams}


def export_bundle(
    plan: Plan,
    teams: list[Team],
    walks,
    folder: Path,
    *,
    territory: Territory | None = None,
    bureau_scores: pd.DataFrame | None = None,
    base_url: str | None = None,
    session: str = "",
    on_progress: Callable[[float, str], None] | None = None,
) -> Bundle:
    """Write the bundle into ``folder`` and return the links.

    ``base_url`` is where the folder will be served (HTTPS, so that phones
    allow "où suis-je"); QR codes point to ``base_url/<token>.html``. Without
    it, links are relative file names.
    """
    progress = on_progress or (lambda fraction, message: None)
    clock = time.perf_counter()
    folder = Path(folder)
    (folder / "feuilles").mkdir(parents=True, exist_ok=True)
    tokens = team_tokens(folder, teams)
    prefix = base_url.rstrip("/") + "/" if base_url else ""
    links = {}
    walk_of = {walk.team: walk for walk in plan.walks}
    for index, team in enumerate(teams):
        progress(index / (len(teams) + 2), f"équipe {team.name}")
        steps = walks[walks["team"] == team.name].sort_values("order")
        token = tokens[team.name]
        link = f"{prefix}{token}.html"
        (folder / f"{token}.html").write_text(team_map(steps, team, index, territory=territory, walk=walk_of.get(team.name)), encoding="utf-8")
        return_m = walk_of[team.name].return_m if team.name in walk_of else 0.0
        sheet = walk_sheet_pdf(steps, team, index, link=link, territory=territory, session=session, return_m=return_m)
        (folder / "feuilles" / f"{token}.pdf").write_bytes(sheet)
        links[team.name] = {"team": team.name, "token": token, "link": link, "map": f"{token}.html", "sheet": f"feuilles/{token}.pdf",
                            "n_doors": walk_of[team.name].n_doors if team.name in walk_of else 0.0,
                            "minutes": walk_of[team.name].minutes if team.name in walk_of else 0.0}
    progress(len(teams) / (len(teams) + 2), "carnet")
    booklet = booklet_pdf(plan, teams, walks, links={name: item["link"] for name, item in links.items()}, territory=territory, session=session)
    (folder / "carnet.pdf").write_bytes(booklet)
    progress((len(teams) + 1) / (len(teams) + 2), "vue d’ensemble")
    if territory is not None:
        (folder / "organisateur.html").write_text(overview_map(plan, teams, walks, territory, bureau_scores), encoding="utf-8")
    (folder / LINKS_FILE).write_text(json.dumps(list(links.values()), ensure_ascii=False, indent=1), encoding="utf-8")
    (folder / "index.html").write_text(_index_page(links, overview=territory is not None, session=session), encoding="utf-8")
    progress(1.0, "partage prêt")
    return Bundle(folder, links, time.perf_counter() - clock)


def _index_page(links: dict, *, overview: bool, session: str) -> str:
    """The organiser's page: every team with its map, its sheet and the link to send."""
    rows = "\n".join(
        f"<tr><td>{escape(item['team'])}</td><td>{french_number(item['n_doors'])}</td><td>{minutes_text(item['minutes'])}</td>"
        f"<td><a href=\"{escape(item['map'])}\">carte</a></td><td><a href=\"{escape(item['sheet'])}\">feuille</a></td>"
        f"<td><code>{escape(item['link'])}</code></td></tr>"
        for item in links.values()
    )
    overview_link = '<p><a href="organisateur.html">Vue d’ensemble du plan</a> · <a href="carnet.pdf">Carnet de toutes les feuilles</a></p>' if overview else '<p><a href="carnet.pdf">Carnet de toutes les feuilles</a></p>'
    return f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Plan de porte-à-porte {escape(session)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:1rem;}} table{{border-collapse:collapse;}} td,th{{padding:.4rem .6rem;border-bottom:1px solid #ddd;text-align:left;}}</style>
</head><body>
<h1>Plan de porte-à-porte {escape(session)}</h1>
<p>Page réservée à l’organisation : chaque équipe ne reçoit que son propre lien.</p>
{overview_link}
<table><thead><tr><th>Équipe</th><th>Portes</th><th>Durée</th><th>Carte</th><th>Feuille</th><th>Lien à envoyer</th></tr></thead>
<tbody>
{rows}
</tbody></table>
</body></html>
"""


def find_team_map(folder: Path, token: str) -> Path | None:
    """The team map of a shared link, or None: only well-formed tokens listed in ``links.json`` are served."""
    folder = Path(folder)
    links = folder / LINKS_FILE
    if not token or not token.replace("-", "").replace("_", "").isalnum() or not links.exists():
        return None
    known = {item["token"] for item in json.loads(links.read_text(encoding="utf-8"))}
    page = folder / f"{token}.html"
    return page if token in known and page.exists() else None
