"""HTTP transfers with the standard library: retries with backoff, timeouts, resumable downloads, Range reads.

Public servers fail in ordinary ways (timeouts, 5xx, a connection cut mid-file);
every call here retries those with an exponential backoff, and a download cut
short resumes from the bytes already on disk (``Range`` on a ``.part`` file).
A 4xx answer is final: retrying a 404 only delays the message.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from canvass.errors import CanvassError

BytesCallback = Callable[[int, int | None], None]
"""Called with (bytes received so far, total bytes or None) while a download runs."""

CHUNK = 1 << 20


class FetchError(CanvassError):
    """A source could not be fetched: the URL, the reason, and the HTTP status when there was one."""

    def __init__(self, url: str, reason: str, *, status: int | None = None):
        self.url = url
        self.reason = reason
        self.status = status
        super().__init__(f"{url}: {reason}")


@dataclass(frozen=True)
class HttpSettings:
    """How to talk to servers: identify politely, give up after ``timeout_s`` per read, retry ``retries`` times."""

    user_agent: str = "canvass (door-to-door canvassing planner)"
    timeout_s: float = 60.0
    retries: int = 4
    backoff_s: float = 2.0


@dataclass(frozen=True)
class Download:
    """What the server said about a completed download."""

    url: str
    final_url: str
    etag: str | None
    last_modified: str | None
    size: int
    sha256: str
    not_modified: bool = False


_TRANSIENT = (urllib.error.URLError, http.client.HTTPException, socket.timeout, TimeoutError, ConnectionError)


def _request(url: str, settings: HttpSettings, headers: dict[str, str] | None = None, data: bytes | None = None):
    request = urllib.request.Request(url, data=data, headers={"User-Agent": settings.user_agent, **(headers or {})})
    return urllib.request.urlopen(request, timeout=settings.timeout_s)


def _retrying(url: str, settings: HttpSettings, attempt: Callable[[], object]):
    """Run ``attempt`` until it succeeds, a 4xx answer comes, or the retries are spent."""
    last: Exception | None = None
    for trial in range(settings.retries + 1):
        try:
            return attempt()
        except urllib.error.HTTPError as error:
            if error.code == 304:
                raise
            if 400 <= error.code < 500 and error.code not in (408, 429):
                raise FetchError(url, f"HTTP {error.code} {error.reason}", status=error.code) from error
            last = error
        except _TRANSIENT as error:
            last = error
        if trial < settings.retries:
            time.sleep(settings.backoff_s * 2**trial)
    status = last.code if isinstance(last, urllib.error.HTTPError) else None
    raise FetchError(url, f"failed after {settings.retries + 1} attempts ({type(last).__name__}: {last})", status=status) from last


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def download(
    url: str,
    target: Path,
    settings: HttpSettings,
    *,
    data: bytes | None = None,
    etag: str | None = None,
    on_bytes: BytesCallback | None = None,
) -> Download:
    """Download ``url`` (POST ``data`` when given) to ``target``, resuming a ``target.part`` left by a cut transfer.

    With ``etag`` (the one recorded last time), the server may answer 304 and the
    call returns ``not_modified=True`` without touching ``target``.

    Raises
    ------
    FetchError
        A 4xx answer, or still failing after the retries.
    """
    part = target.with_name(target.name + ".part")
    part.parent.mkdir(parents=True, exist_ok=True)
    state: dict = {}

    def attempt() -> Download | None:
        start = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={start}-"} if start and data is None else {}
        if etag and not start:
            headers["If-None-Match"] = etag
        try:
            response = _request(url, settings, headers, data)
        except urllib.error.HTTPError as error:
            if error.code == 304:
                return None
            if error.code == 416 and start:  # the part is already whole (or stale): start again
                part.unlink()
            raise
        with response:
            resumed = response.status == 206
            total = response.headers.get("Content-Length")
            total = int(total) + (start if resumed else 0) if total is not None else None
            received = start if resumed else 0
            with open(part, "ab" if resumed else "wb") as out:
                while block := response.read(CHUNK):
                    out.write(block)
                    received += len(block)
                    if on_bytes:
                        on_bytes(received, total)
            if total is not None and received < total:
                raise http.client.IncompleteRead(b"", total - received)
            state.update(final_url=response.geturl(), etag=response.headers.get("ETag"),
                         last_modified=response.headers.get("Last-Modified"))
            return received

    size = _retrying(url, settings, attempt)
    if size is None:
        return Download(url, url, etag, None, target.stat().st_size if target.exists() else 0, "", not_modified=True)
    part.replace(target)
    return Download(url, state["final_url"], state["etag"], state["last_modified"], size, _hash_file(target))


def probe(url: str, settings: HttpSettings) -> tuple[str, int, str | None]:
    """Return (final URL, size, ETag) of a remote file from a one-byte Range request."""

    def attempt():
        with _request(url, settings, {"Range": "bytes=0-0"}) as response:
            response.read()
            if response.status != 206:
                raise FetchError(url, "the server does not answer Range requests; download the file by hand")
            total = response.headers.get("Content-Range", "").rpartition("/")[2]
            if not total.isdigit():
                raise FetchError(url, "the server gave no file size (Content-Range)")
            return response.geturl(), int(total), response.headers.get("ETag")

    return _retrying(url, settings, attempt)


class RangeFile(io.RawIOBase):
    """A read-only, seekable view of a remote file through HTTP Range requests.

    pyarrow reads a parquet footer, then only the column chunks it needs: this
    class serves those reads without downloading the file. Reads are rounded up
    to ``block`` bytes and the last few blocks are kept, because parquet readers
    issue many small reads near each other.
    """

    def __init__(self, url: str, settings: HttpSettings, *, block: int = 1 << 20, keep: int = 8):
        super().__init__()
        self.url, self.settings, self.block, self.keep = url, settings, block, keep
        self.final_url, self.size, self.etag = probe(url, settings)
        self.position = 0
        self.bytes_read = 0
        self._blocks: dict[int, bytes] = {}

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def _fetch_block(self, index: int) -> bytes:
        if index not in self._blocks:
            start = index * self.block
            end = min(self.size, start + self.block) - 1

            def attempt() -> bytes:
                with _request(self.final_url, self.settings, {"Range": f"bytes={start}-{end}"}) as response:
                    body = response.read()
                if response.status != 206 or len(body) != end - start + 1:
                    raise http.client.IncompleteRead(body, end - start + 1 - len(body))
                return body

            self._blocks[index] = _retrying(self.url, self.settings, attempt)
            self.bytes_read += end - start + 1
            while len(self._blocks) > self.keep:
                self._blocks.pop(next(iter(self._blocks)))
        return self._blocks[index]

    def readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")
        wanted = min(len(view), self.size - self.position)
        done = 0
        while done < wanted:
            index, offset = divmod(self.position + done, self.block)
            chunk = self._fetch_block(index)[offset : offset + wanted - done]
            view[done : done + len(chunk)] = chunk
            done += len(chunk)
        self.position += done
        return done
