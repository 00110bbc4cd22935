"""The local download cache and its lock manifest.

Every file fetched is kept under ``<cache>/files`` and pinned in ``<cache>/lock.json``
(URL, final URL after redirects, ETag, size, sha256, date). The next fetch asks the
server whether the file changed (``If-None-Match``); a file whose checksum differs
from the manifest is reported, so a silent republication does not go unnoticed.
``offline`` serves from the cache only.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from canvass.fetch.http import BytesCallback, FetchError, HttpSettings, download

MANIFEST = "lock.json"


def default_cache_dir() -> Path:
    """``$CANVASS_CACHE``, else ``$XDG_CACHE_HOME/canvass``, else ``~/.cache/canvass``."""
    if os.environ.get("CANVASS_CACHE"):
        return Path(os.environ["CANVASS_CACHE"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "canvass"


@dataclass(frozen=True)
class Entry:
    """One pinned file of the manifest."""

    url: str
    final_url: str
    etag: str | None
    size: int
    sha256: str
    date: str
    path: str


@dataclass(frozen=True)
class Cached:
    """A file served by the cache; ``changed`` says how it differs from the previous lock, if it does."""

    path: Path
    entry: Entry
    changed: str | None = None
    from_cache: bool = False


def cache_key(url: str, data: bytes | None = None) -> str:
    """A short stable key for a URL (and POST body)."""
    return hashlib.sha256(url.encode() + b"\0" + (data or b"")).hexdigest()[:16]


class Cache:
    """Download-once store with a lock manifest; see the module docstring."""

    def __init__(self, root: Path, settings: HttpSettings, *, offline: bool = False):
        self.root = Path(root)
        self.settings = settings
        self.offline = offline
        self.manifest_path = self.root / MANIFEST
        self.entries: dict[str, Entry] = {}
        if self.manifest_path.exists():
            raw = json.loads(self.manifest_path.read_text(encoding="utf-8"))
            self.entries = {key: Entry(**value) for key, value in raw.get("files", {}).items()}

    def _save(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        payload = {"files": {key: asdict(entry) for key, entry in sorted(self.entries.items())}}
        temporary = self.manifest_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
        temporary.replace(self.manifest_path)

    def path_for(self, key: str, name: str) -> Path:
        return self.root / "files" / f"{key}-{name}"

    def get(self, url: str, name: str, *, data: bytes | None = None, on_bytes: BytesCallback | None = None) -> Cached:
        """Return the cached copy of ``url`` (POST ``data``), downloading or revalidating it unless offline.

        Raises
        ------
        FetchError
            Offline without a cached copy, or the download failed.
        """
        key = cache_key(url, data)
        entry = self.entries.get(key)
        target = self.path_for(key, name)
        whole = entry is not None and target.exists() and target.stat().st_size == entry.size
        if self.offline:
            if not whole:
                raise FetchError(url, "not in the cache and --offline was given")
            return Cached(target, entry, from_cache=True)
        result = download(url, target, self.settings, data=data, etag=entry.etag if whole else None, on_bytes=on_bytes)
        if result.not_modified:
            return Cached(target, entry, from_cache=True)
        changed = None
        if entry is not None and entry.sha256 != result.sha256:
            changed = f"content changed since the lock of {entry.date} (sha256 {entry.sha256[:12]}… → {result.sha256[:12]}…)"
        return Cached(target, self.pin(key, url, result.final_url, result.etag, target), changed)

    def pin(self, key: str, url: str, final_url: str, etag: str | None, path: Path) -> Entry:
        """Record ``path`` in the manifest under ``key``."""
        digest = hashlib.sha256()
        with open(path, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
        entry = Entry(url, final_url, etag, path.stat().st_size, digest.hexdigest(),
                      datetime.now(timezone.utc).isoformat(timespec="seconds"), str(path.relative_to(self.root)))
        self.entries[key] = entry
        self._save()
        return entry

    def remember(self, key: str, url: str, final_url: str, etag: str | None, produce) -> tuple[Path, str | None]:
        """Store a derived file (an extract read by Range requests) under ``key``; ``produce(path)`` writes it.

        Returns the path and a change note when the remote ETag or the extract's checksum moved.
        """
        previous = self.entries.get(key)
        target = self.path_for(key, "extract")
        if self.offline:
            if previous is None or not target.exists():
                raise FetchError(url, "not in the cache and --offline was given")
            return target, None
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(target.name + f".{os.getpid()}.{time.monotonic_ns()}")
        produce(temporary)
        temporary.replace(target)
        entry = self.pin(key, url, final_url, etag, target)
        changed = None
        if previous is not None and (previous.sha256 != entry.sha256 or (previous.etag and previous.etag != etag)):
            changed = f"content changed since the lock of {previous.date} (ETag {previous.etag} → {etag})"
        return target, changed


def copy_to(path: Path, destination: Path) -> Path:
    """Copy a cached file into the fetched folder."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, destination)
    return destination
