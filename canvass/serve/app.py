"""A small ASGI app beside the organisers' app: the public team pages, and the field API they post to.

Routes (under any prefix a reverse proxy strips, see ``deploy/Caddyfile``):

- ``GET /<token>.html``, ``GET /<token>.pdf``, ``GET /``: files of the export's
  ``public/`` folder, looked up at each request (a new export shows at once);
  nothing else is served, no folder is ever listed;
- ``POST /api/terrain/<token>``: field entries of that team,
  ``{"entries": [{"id", "unit", "knocked", "opened", "outcomes": {...}}]}``. The
  token is the team's credential (compared in constant time); each entry must
  name one of the team's steps; the phone's ``id`` makes a resend harmless
  (:meth:`canvass.campaign.store.Store.log_field` ``entry_key``). The reply lists
  the ids ``accepted`` (stored now or before) and ``rejected`` with a French reason.

The API takes no cookie, only the token in its path, so any origin may call it
(a page published through Streamlit's static serving posts across origins).
Run it with ``canvass serve`` (uvicorn).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from canvass.campaign.store import Campaign, Store
from canvass.errors import CanvassError, InputDataError, StorageError
from canvass.outputs.export import PUBLIC, team_for_token

MAX_BODY = 256 * 1024
"""Largest request body accepted (bytes): a phone's queue of a few hundred entries."""

MAX_ENTRIES = 200
"""Entries accepted in one request; the page sends at most 100 at a time."""

AUTHOR = "lien d’équipe"
"""Author of entries sent from team pages in the field log (the team is in its own column)."""

_FILE = re.compile(r"^[A-Za-z0-9_-]{16,64}\.(html|pdf)$")
_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex", "Cache-Control": "no-cache"}
_CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "POST, OPTIONS", "Access-Control-Allow-Headers": "Content-Type",
         "Access-Control-Max-Age": "86400"}


def create_app(folder: str | Path, store: Store, campaign: Campaign | int) -> Starlette:
    """The ASGI app serving ``folder`` (an export folder, see :mod:`canvass.outputs.export`) and logging into ``campaign`` of ``store``."""
    folder = Path(folder)

    def page(request: Request) -> Response:
        name = request.path_params.get("name", "") or "index.html"
        path = folder / PUBLIC / name
        if (name != "index.html" and not _FILE.match(name)) or not path.is_file():
            return PlainTextResponse("Page introuvable.", status_code=404, headers=_HEADERS)
        return FileResponse(path, headers=_HEADERS)

    async def field(request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=_CORS)
        team = team_for_token(folder, request.path_params["token"])
        if team is None:
            return _reply({"error": "Lien inconnu ou expiré."}, 404)
        body = await _body(request)
        if body is None:
            return _reply({"error": f"Envoi trop gros (plus de {MAX_BODY // 1024} Kio)."}, 413)
        entries = _entries(body)
        if entries is None:
            return _reply({"error": f"Envoi illisible : attendu {{\"entries\": [...]}}, au plus {MAX_ENTRIES} relevés."}, 400)
        try:
            accepted, rejected = await run_in_threadpool(_log, store, campaign, team, entries)
        except StorageError as error:
            return _reply({"error": error.french}, 503)
        return _reply({"accepted": accepted, "rejected": rejected}, 200)

    return Starlette(routes=[
        Route("/api/terrain/{token}", field, methods=["POST", "OPTIONS"]),
        Route("/", page, methods=["GET", "HEAD"]),
        Route("/{name}", page, methods=["GET", "HEAD"]),
    ])


def _log(store: Store, campaign: Campaign | int, team: dict, entries: list) -> tuple[list[str], list[dict]]:
    """Store each entry of ``team``; the ids accepted, and the ids refused with a French reason."""
    units = {int(unit) for unit in team.get("units", [])}
    accepted, rejected = [], []
    for entry in entries:
        key = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(key, str) or not key:
            continue  # nothing to answer to: the page made no such entry
        try:
            unit = entry.get("unit")
            if isinstance(unit, bool) or not isinstance(unit, int) or unit not in units:
                raise InputDataError(f"step {unit!r} is not one of this team's steps", where="unit")
            outcomes = entry.get("outcomes") or {}
            if not isinstance(outcomes, dict):
                raise InputDataError("outcomes are not counts by outcome", where="outcomes")
            store.log_field(campaign, session=team.get("session") or "terrain", team=team["team"], segment_id=unit,
                            doors_knocked=_count(entry.get("knocked")), doors_opened=_count(entry.get("opened")),
                            outcomes={name: _count(value) for name, value in outcomes.items()}, author=AUTHOR, entry_key=key)
        except InputDataError as error:
            rejected.append({"id": key, "error": _french(error)})
        except CanvassError as error:
            if isinstance(error, StorageError):
                raise
            rejected.append({"id": key, "error": str(error)})
        else:
            accepted.append(key)
    return accepted, rejected


def _count(value: object) -> object:
    """A count as sent (the store checks it is a whole number ≥ 0); booleans are not counts."""
    return -1 if isinstance(value, bool) else (0 if value is None else value)


def _french(error: InputDataError) -> str:
    where = error.where or ""
    if where == "unit":
        return "cette étape n’est pas dans le parcours de l’équipe."
    if where == "entry_key":
        return "identifiant de relevé invalide."
    return "des nombres entiers, 0 ou plus, et pas plus de portes ouvertes que frappées."


async def _body(request: Request) -> bytes | None:
    """The request body, or None past :data:`MAX_BODY` (read no further) or when the phone went away mid-request."""
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                return None
            chunks.append(chunk)
    except ClientDisconnect:
        return None
    return b"".join(chunks)


def _entries(body: bytes) -> list | None:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    entries = payload.get("entries") if isinstance(payload, dict) else None
    return entries if isinstance(entries, list) and len(entries) <= MAX_ENTRIES else None


def _reply(payload: dict, status: int) -> JSONResponse:
    return JSONResponse(payload, status_code=status, headers={**_CORS, "Cache-Control": "no-store"})
