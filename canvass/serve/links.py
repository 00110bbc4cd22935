"""Where the team pages are served, and the full links the app hands out.

Two ways, chosen by :func:`share_target` from the environment:

- ``CANVASS_TEAM_PAGES_URL`` set (e.g. ``https://pap.exemple.org/equipes``): ``canvass serve``
  serves the export folder there (behind ``deploy/Caddyfile``), field API included;
- otherwise the pages are published into the app's ``static/`` folder. Streamlit serves the files of ``static/`` beside ``app.py`` at ``<app URL>/app/static/…``
when ``server.enableStaticServing`` is on: a team page there costs the server a
file read, never a script run. :func:`public_url` picks the app's public address
(``CANVASS_PUBLIC_URL``, else the address the organiser's browser used), and
:func:`static_base_url` the base of the team links under it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from canvass.errors import InputDataError
from canvass.outputs.export import FIELD_API, check_base_url

STATIC_ROUTE = "app/static"
"""Where Streamlit serves its ``static/`` folder, under the app's address."""

SHARE_FOLDER = "partage"
"""Sub-folder of ``static/`` that receives the public team pages (:func:`canvass.serve.publish.publish`)."""


def public_url(configured: str | None, browser_url: str | None = None) -> str:
    """The app's public address (scheme, host, path prefix; no trailing slash).

    ``configured`` (the ``CANVASS_PUBLIC_URL`` setting) wins; otherwise the
    origin of ``browser_url`` (``st.context.url``: what the organiser's browser
    shows) is used, which is right when volunteers reach the app by the same
    address. Either must pass :func:`canvass.outputs.export.check_base_url`.

    Raises
    ------
    InputDataError
        Neither is given, or the address is not https:// (nor http://localhost).
    """
    if configured and configured.strip():
        return check_base_url(configured)
    if browser_url:
        parts = urlsplit(browser_url)
        return check_base_url(f"{parts.scheme}://{parts.netloc}")
    raise InputDataError("the app's public address is unknown", where="CANVASS_PUBLIC_URL",
                         hint="set CANVASS_PUBLIC_URL to the https:// address volunteers reach the app at")


def static_base_url(app_url: str, folder: str = SHARE_FOLDER) -> str:
    """Base of the team links for pages published into ``static/<folder>`` of the app at ``app_url``."""
    return f"{check_base_url(app_url)}/{STATIC_ROUTE}/{folder}"


def team_link(base_url: str, token: str) -> str:
    """The link a team receives: its page under ``base_url``."""
    return f"{check_base_url(base_url)}/{token}.html"


@dataclass(frozen=True)
class ShareTarget:
    """Where an export's team pages go: their links' base, the field API they post to, and whether to publish into ``static/``."""

    base_url: str
    field_api: str
    static: bool


def share_target(environ: Mapping[str, str], browser_url: str | None = None) -> ShareTarget:
    """The app's choice of :class:`ShareTarget` from its settings (``os.environ``) and ``st.context.url``.

    ``CANVASS_TEAM_PAGES_URL``: the pages are served there by ``canvass serve``, whose field API
    answers beside them. Else they go to Streamlit's ``static/`` under the app's public address
    (:func:`public_url`); their field form posts to ``CANVASS_FIELD_API`` (``https://…/api/terrain/``,
    a ``canvass serve`` reachable from phones), and without it the pages carry no form.

    Raises
    ------
    InputDataError
        An address that is not https:// (nor http://localhost), or no public address at all.
    """
    api = environ.get("CANVASS_FIELD_API", "").strip()
    field_api = check_base_url(api) + "/" if api else None
    pages = environ.get("CANVASS_TEAM_PAGES_URL", "").strip()
    if pages:
        return ShareTarget(check_base_url(pages), field_api if field_api is not None else FIELD_API, static=False)
    return ShareTarget(static_base_url(public_url(environ.get("CANVASS_PUBLIC_URL"), browser_url)), field_api or "", static=True)
