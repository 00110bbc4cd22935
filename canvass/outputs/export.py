"""The share bundle: a public folder for the volunteers, a private one for the organiser.

Layout of an export folder::

    public/            served as is (HTTPS): only <token>.html (a team's map and field form)
                       and <token>.pdf (its walk sheet), and a neutral index.html
    organisateur/      never served: index.html (every team's link), organisateur.html (the
                       overview with the bureaux' figures), carnet.pdf (every sheet), links.json
                       (tokens, kept across exports), manifest.json (every file's SHA-256)

Tokens are random (:func:`secrets.token_urlsafe`, 96 bits), so a volunteer's
link reveals only that team's walk and another team's page cannot be guessed;
nothing in ``public/`` names another token or shows a bureau's figures. Tokens
are reused on the next export, so that printed QR codes stay valid.

An export is written whole into a new folder under ``.exports/``, then the
``current`` link is swapped to it in one rename (``public`` and ``organisateur``
point through ``current``): a crash, a kill or a full disk leaves the previous
export exactly as it was, never a mix. Links are ``<base_url>/<token>.html``
where ``base_url`` is where ``public/`` is served (HTTPS; ``http://localhost``
for a test on this computer); without a base URL the links are relative to
``public/`` and the sheets carry no QR code.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from canvass._atomic import storage_error, write_atomic
from canvass.errors import InputDataError
from canvass.outputs._common import escape, french_number, minutes_text, step_label
from canvass.outputs.maps import overview_map, team_map
from canvass.outputs.sheets import booklet_pdf, walk_sheet_pdf
from canvass.plan.result import Plan
from canvass.plan.teams import Team
from canvass.serve.field_form import field_form
from canvass.territory.model import Territory

PUBLIC = "public"
PRIVATE = "organisateur"
LINKS_FILE = "links.json"
MANIFEST_FILE = "manifest.json"
CURRENT = "current"
VERSIONS = ".exports"
_VERSION_PREFIX = "v-"
FIELD_API = "api/terrain/"
"""Default field API, relative to a team page: where ``canvass serve`` answers beside the pages it serves."""

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_LEGACY = ("index.html", "organisateur.html", "carnet.pdf", LINKS_FILE)
_PUBLIC_INDEX = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>Porte-à-porte</title></head>
<body style="font-family:system-ui,sans-serif;margin:1rem"><p>Ouvrez le lien de votre équipe, reçu de l’organisation.</p></body></html>
"""
_PAGE_HEAD = '<meta name="referrer" content="no-referrer"><meta name="robots" content="noindex">'


@dataclass(frozen=True)
class Bundle:
    """What was written: the export folder, each team's token and link, and the seconds it took.

    ``links`` maps team name to ``{"team", "token", "link", "map", "sheet", "n_doors", "minutes", "units", "session"}``
    (``map`` and ``sheet`` relative to ``folder``).
    """

    folder: Path
    links: dict
    seconds: float

    @property
    def public(self) -> Path:
        """The folder to serve as is: team pages and sheets only."""
        return self.folder / PUBLIC

    @property
    def private(self) -> Path:
        """The organiser's folder: index, overview, booklet, links; never serve it."""
        return self.folder / PRIVATE


def check_base_url(url: str) -> str:
    """``url`` without its trailing slash if team links may start with it: ``https://…``, or ``http://`` on this computer only.

    Raises
    ------
    InputDataError
        Another scheme (``javascript:``, ``file:``, plain ``http://`` to another host…), no host,
        a user name or password, a query or a fragment.
    """
    text = str(url).strip()
    parts = urlsplit(text)
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    local = host == "localhost" or _is_loopback(host)
    problem = None
    if any(ord(char) < 33 for char in text):
        problem = "it contains spaces or control characters"
    elif scheme not in ("https", "http") or not host:
        problem = "it is not an https:// address with a host name"
    elif scheme == "http" and not local:
        problem = "plain http:// is only for a test on this computer (localhost, 127.0.0.1): phones need https:// for « Où suis-je ? »"
    elif parts.username or parts.password or parts.query or parts.fragment:
        problem = "it carries a user name, a password, a query (?…) or a fragment (#…)"
    if problem:
        raise InputDataError(f"the base URL {text!r} cannot start the team links: {problem}", where="base URL",
                             hint="give the https:// address where the public/ folder will be served, e.g. https://exemple.org/porte-a-porte")
    return text.rstrip("/")


def team_tokens(folder: Path, teams: list[Team]) -> dict[str, str]:
    """Token of each team: the one already in the folder's ``links.json`` if any, else a new random one."""
    known = {item["team"]: item["token"] for item in _read_links(Path(folder))}
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
    field_api: str | None = None,
    session: str = "",
    on_progress: Callable[[float, str], None] | None = None,
) -> Bundle:
    """Write a new export into ``folder`` (see the module's layout), swap it in atomically and return the links.

    Parameters
    ----------
    base_url
        Where ``public/`` will be served (checked by :func:`check_base_url`); QR codes point to
        ``base_url/<token>.html``. Without it, links are relative file names and sheets have no QR code.
    field_api
        Base URL of the field API the team pages post to (``<field_api><token>``); by default
        ``api/terrain/`` relative to the page, as ``canvass serve`` answers; ``""``: pages without
        the field form (no field API can be reached from where they are served).

    Raises
    ------
    StorageError
        The disk is full or the folder read-only: nothing of this export is visible, the previous one is intact.
    InputDataError
        A bad ``base_url``.
    """
    progress = on_progress or (lambda fraction, message: None)
    clock = time.perf_counter()
    folder = Path(folder)
    prefix = check_base_url(base_url) + "/" if base_url else ""
    api = field_api if field_api is not None else FIELD_API
    tokens = team_tokens(folder, teams)
    for name in (PUBLIC, PRIVATE):
        if (folder / name).exists() and not (folder / name).is_symlink():
            raise InputDataError(f"{folder / name} is a real folder: canvass keeps {name} as a link to the current export", source=folder / name,
                                 hint="move it away, or export into another folder")
    staging = _staging(folder / VERSIONS)
    public, private = staging / PUBLIC, staging / PRIVATE
    try:
        _make_folders(public, private)
        _write_public(public / "index.html", _PUBLIC_INDEX)
        links = {}
        walk_of = {walk.team: walk for walk in plan.walks}
        for index, team in enumerate(teams):
            progress(index / (len(teams) + 2), f"équipe {team.name}")
            steps = walks[walks["team"] == team.name].sort_values("order")
            token = tokens[team.name]
            link = f"{prefix}{token}.html"
            walk = walk_of.get(team.name)
            units = [{"unit": int(row["segment_id"]), "order": int(row["order"]), "label": step_label(row)} for _, row in steps.iterrows()]
            page = team_map(steps, team, index, territory=territory, walk=walk)
            form = field_form(token, units, api=f"{api}{token}") if api else ""
            _write_public(public / f"{token}.html", _with_form(page, form))
            sheet = walk_sheet_pdf(steps, team, index, link=link if prefix else None, territory=territory, session=session,
                                   return_m=walk.return_m if walk else 0.0)
            _write_public(public / f"{token}.pdf", sheet)
            links[team.name] = {"team": team.name, "token": token, "link": link, "map": f"{PUBLIC}/{token}.html", "sheet": f"{PUBLIC}/{token}.pdf",
                                "n_doors": walk.n_doors if walk else 0.0, "minutes": walk.minutes if walk else 0.0,
                                "units": [unit["unit"] for unit in units], "session": session}
        progress(len(teams) / (len(teams) + 2), "carnet")
        booklet = booklet_pdf(plan, teams, walks, links={name: item["link"] for name, item in links.items() if prefix}, territory=territory,
                              session=session)
        write_atomic(private / "carnet.pdf", booklet)
        progress((len(teams) + 1) / (len(teams) + 2), "vue d’ensemble")
        if territory is not None:
            write_atomic(private / "organisateur.html", overview_map(plan, teams, walks, territory, bureau_scores))
        write_atomic(private / LINKS_FILE, json.dumps(list(links.values()), ensure_ascii=False, indent=1))
        write_atomic(private / "index.html", _index_page(links, overview=territory is not None, session=session))
        write_atomic(private / MANIFEST_FILE, json.dumps(_manifest(staging), indent=1))
        _link_views(folder)
        swap_in(staging, folder, CURRENT)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _remove_legacy(folder, tokens.values())
    progress(1.0, "partage prêt")
    return Bundle(folder, links, time.perf_counter() - clock)


def swap_in(staging: Path, folder: Path, name: str) -> Path:
    """Make ``folder/name`` point to the complete folder ``staging`` in one rename; older versions beside it are removed.

    ``staging`` is a folder inside ``folder`` (or below it). Readers see the old
    version or the new one, never a mix; a crash before the rename leaves the old one.
    """
    folder, target = Path(folder), Path(staging)
    link = folder / name
    if link.exists() and not link.is_symlink():
        raise InputDataError(f"{link} is a real folder, not the link canvass swaps between exports", source=link,
                             hint="move it away (or export into another folder) and export again")
    temporary = folder / f".{name}.{secrets.token_hex(6)}.tmp"
    try:
        _sync(target)
        os.symlink(os.path.relpath(target, folder), temporary)
        os.replace(temporary, link)
        _sync(folder)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise storage_error(error, link) or error from error
    for old in target.parent.iterdir():
        if old != target and old.name.startswith(_VERSION_PREFIX):
            shutil.rmtree(old, ignore_errors=True)
    return link


def read_manifest(folder: Path) -> dict:
    """The current export's manifest: ``{"export_id", "created_at", "files": {relative path: sha256}}``."""
    return json.loads((Path(folder) / PRIVATE / MANIFEST_FILE).read_text(encoding="utf-8"))


def team_for_token(folder: Path, token: str) -> dict | None:
    """The link item of ``token`` in the folder's ``links.json``, or None; every known token is compared in constant time."""
    token = str(token or "")
    if not _TOKEN.match(token):
        return None
    found = None
    for item in _read_links(Path(folder)):
        if hmac.compare_digest(item["token"].encode(), token.encode()):
            found = item
    return found


def find_team_map(folder: Path, token: str) -> Path | None:
    """The team map of a shared link, or None: only well-formed tokens listed in ``links.json`` are served."""
    item = team_for_token(folder, token)
    if item is None:
        return None
    page = Path(folder) / item["map"]
    return page if page.exists() else None


def _write_public(path: Path, data: str | bytes) -> None:
    """Write a file of ``public/`` readable by the web server's user (private files stay readable by their owner only)."""
    write_atomic(path, data)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def _with_form(page: str, form: str) -> str:
    """The team page with the field form at the end of its body and a no-referrer policy (the token never leaks to tile servers)."""
    page = page.replace("<head>", "<head>" + _PAGE_HEAD, 1)
    head, tail = page.rsplit("</body>", 1)
    return f"{head}{form}</body>{tail}"


def _staging(versions: Path) -> Path:
    """A new, empty version folder under ``versions`` (made here)."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    staging = versions / f"{_VERSION_PREFIX}{stamp}-{secrets.token_hex(4)}"
    _make_folders(staging)
    return staging


def _make_folders(*folders: Path) -> None:
    for path in folders:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise storage_error(error, path / ".") or error from error


def _manifest(staging: Path) -> dict:
    files = {path.relative_to(staging).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
             for path in sorted(staging.rglob("*")) if path.is_file() and path.name != MANIFEST_FILE}
    return {"export_id": staging.name, "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "files": files}


def _link_views(folder: Path) -> None:
    """``public`` and ``organisateur`` point through ``current`` (made once; they never change afterwards)."""
    for name in (PUBLIC, PRIVATE):
        view = folder / name
        if not view.is_symlink():
            try:
                os.symlink(f"{CURRENT}/{name}", view)
            except OSError as error:
                raise storage_error(error, view) or error from error


def _read_links(folder: Path) -> list[dict]:
    """Items of the current ``links.json`` (or of a folder exported by an older canvass, at its top), or none."""
    for path in (folder / PRIVATE / LINKS_FILE, folder / LINKS_FILE):
        if path.is_file():
            items = json.loads(path.read_text(encoding="utf-8"))
            return [item for item in items if isinstance(item, dict) and isinstance(item.get("token"), str) and "team" in item]
    return []


def _remove_legacy(folder: Path, tokens) -> None:
    """Files an older canvass wrote at the top of the folder (everything public there): gone once the new layout is in place."""
    if not (folder / LINKS_FILE).is_file():
        return
    for path in [*(folder / name for name in _LEGACY), *(folder / f"{token}.html" for token in tokens),
                 *(folder / "feuilles" / f"{token}.pdf" for token in tokens)]:
        path.unlink(missing_ok=True)
    try:
        (folder / "feuilles").rmdir()
    except OSError:
        pass


def _sync(folder: Path) -> None:
    """Flush a folder's entries to the disk, so that the swap survives a power cut."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _index_page(links: dict, *, overview: bool, session: str) -> str:
    """The organiser's page (in ``organisateur/``): every team with its map, its sheet and the link to send."""
    rows = "\n".join(
        f"<tr><td>{escape(item['team'])}</td><td>{french_number(item['n_doors'])}</td><td>{minutes_text(item['minutes'])}</td>"
        f"<td><a href=\"../{escape(item['map'])}\">carte</a></td><td><a href=\"../{escape(item['sheet'])}\">feuille</a></td>"
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
<p>Page réservée à l’organisation : ne publiez que le dossier <code>public/</code> ; chaque équipe ne reçoit que son propre lien.</p>
{overview_link}
<table><thead><tr><th>Équipe</th><th>Portes</th><th>Durée</th><th>Carte</th><th>Feuille</th><th>Lien à envoyer</th></tr></thead>
<tbody>
{rows}
</tbody></table>
</body></html>
"""
