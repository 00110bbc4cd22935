"""Full team links from the app's public address, for pages published through Streamlit's static file serving.

Streamlit serves the files of ``static/`` beside ``app.py`` at ``<app URL>/app/static/…``
when ``server.enableStaticServing`` is on: a team page there costs the server a
file read, never a script run. :func:`public_url` picks the app's public address
(``CANVASS_PUBLIC_URL``, else the address the organiser's browser used), and
:func:`static_base_url` the base of the team links under it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from canvass.errors import InputDataError
from canvass.outputs.export import check_base_url

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
