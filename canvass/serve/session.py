"""The organiser's session cookie: a reload of the app page keeps the login (a Streamlit reload starts a new session).

After a good password the app sets a cookie holding :func:`issue`'s ticket
(campaign, author, expiry, HMAC-SHA256 under a key only the server knows); on a
new session it reads the cookie (``st.context.cookies``) and :func:`check` gives
back the author while the ticket is valid. The key lives in the data folder
(:func:`session_key`, a 0600 file); deleting it logs everyone out. Changing the
campaign password should delete it too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from pathlib import Path

from canvass._atomic import write_atomic

COOKIE = "canvass_session"
"""Name of the cookie."""

LIFETIME_S = 12 * 3600
"""How long a ticket stays valid: one campaign day."""

KEY_FILE = ".session_key"


def session_key(folder: str | Path) -> bytes:
    """The server's signing key, made once in ``folder`` (readable by its owner only)."""
    path = Path(folder) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, secrets.token_hex(32))
    return bytes.fromhex(path.read_text(encoding="ascii").strip())


def issue(key: bytes, campaign: str, author: str, *, now: float | None = None, lifetime_s: float = LIFETIME_S) -> str:
    """A ticket for ``author`` in ``campaign``, valid ``lifetime_s`` seconds."""
    body = _b64(json.dumps({"c": campaign, "a": author, "e": int((time.time() if now is None else now) + lifetime_s)},
                           ensure_ascii=False, separators=(",", ":")).encode())
    return f"{body}.{_b64(_sign(key, body))}"


def check(key: bytes, ticket: str | None, campaign: str, *, now: float | None = None) -> str | None:
    """The author of a valid, unexpired ticket for ``campaign``, else None (signature compared in constant time)."""
    if not ticket or ticket.count(".") != 1:
        return None
    body, signature = ticket.split(".")
    try:
        if not hmac.compare_digest(_unb64(signature), _sign(key, body)):
            return None
        claims = json.loads(_unb64(body))
    except (ValueError, UnicodeDecodeError):
        return None
    if claims.get("c") != campaign or claims.get("e", 0) < (time.time() if now is None else now):
        return None
    author = claims.get("a")
    return author if isinstance(author, str) and author else None


def cookie_script(ticket: str | None, *, secure: bool, lifetime_s: float = LIFETIME_S) -> str:
    """The ``<script>`` that sets (or, with None, deletes) the cookie from the app page (``st.html(..., unsafe_allow_javascript=True)``)."""
    value = json.dumps(ticket or "")
    age = int(lifetime_s) if ticket else 0
    flags = "; Secure" if secure else ""
    return (f"<script>document.cookie = {json.dumps(COOKIE + '=')} + encodeURIComponent({value}) + "
            f"\"; Max-Age={age}; Path=/; SameSite=Strict{flags}\";</script>")


def _sign(key: bytes, body: str) -> bytes:
    return hmac.new(key, body.encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

