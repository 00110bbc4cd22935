"""Publish an export's public pages into a folder a web server serves (Streamlit's ``static/``, a static host's root).

The pages are copied (Streamlit refuses files reached through a link that leaves
``static/``) into a new version folder, then ``<static>/<name>`` is swapped to it
in one rename, as :func:`canvass.outputs.export.swap_in` does for exports:
volunteers see the old pages or the new ones, never a mix.
"""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path

from canvass._atomic import storage_error
from canvass.outputs.export import PUBLIC, swap_in
from canvass.serve.links import SHARE_FOLDER

VERSIONS = ".versions"


def publish(export_folder: str | Path, static_folder: str | Path, name: str = SHARE_FOLDER) -> Path:
    """Copy ``export_folder/public`` to ``static_folder/name`` atomically; return the published folder.

    Raises
    ------
    StorageError
        The disk is full or the folder read-only: the pages published before stay as they were.
    """
    source = (Path(export_folder) / PUBLIC).resolve(strict=True)
    static_folder = Path(static_folder)
    versions = static_folder / f".{name}{VERSIONS}"
    staging = versions / f"v-{source.parent.name.removeprefix('v-')}-{secrets.token_hex(4)}"
    try:
        versions.mkdir(parents=True, exist_ok=True)
        shutil.copytree(source, staging, copy_function=shutil.copy2)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise storage_error(error, staging) or error from error
    return swap_in(staging, static_folder, name)
