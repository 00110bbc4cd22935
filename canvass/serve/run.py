"""``canvass serve``: the public team pages and the field API on one port, for a reverse proxy to put behind HTTPS."""

from __future__ import annotations

from pathlib import Path

from canvass.campaign.store import open_store
from canvass.errors import CanvassError
from canvass.outputs.export import PUBLIC
from canvass.serve.app import create_app


def serve(folder: str | Path, *, database: str, campaign: str, host: str = "127.0.0.1", port: int = 8502) -> None:
    """Serve ``folder`` (an export folder) and log field entries into ``campaign`` of the store at ``database`` until stopped.

    Raises
    ------
    CanvassError
        No export in ``folder`` yet, or no such campaign in the store.
    """
    import uvicorn

    folder = Path(folder)
    if not (folder / PUBLIC).is_dir():
        raise CanvassError(f"{folder} holds no export (no {PUBLIC}/ folder): run canvass export --out {folder} first")
    store = open_store(database)
    found = store.find_campaign(campaign)
    if found is None:
        store.close()
        raise CanvassError(f"no campaign {campaign!r} in {database}: create it first (canvass campaign create, or log in to the app once)")
    try:
        uvicorn.run(create_app(folder, store, found), host=host, port=port, proxy_headers=True, forwarded_allow_ips="127.0.0.1",
                    log_level="warning", server_header=False)
    finally:
        store.close()
