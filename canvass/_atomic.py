"""Atomic file writes: a file is either its old content or its whole new content, never half written.

The new content goes to a temporary file in the same folder, is flushed to the
disk (``fsync``), then replaces the target in one step (``os.replace``); the
folder is synced so that the rename survives a power cut. A full disk or a
read-only folder raises :class:`canvass.errors.StorageError` (English message,
French in ``.french``) and leaves the old file untouched.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from canvass.errors import StorageError

_REASONS = {
    errno.ENOSPC: "full", errno.EDQUOT: "full", errno.EFBIG: "full",
    errno.EROFS: "read-only",
    errno.EACCES: "permission", errno.EPERM: "permission",
}


def storage_error(error: OSError, path: str | Path) -> StorageError | None:
    """The :class:`StorageError` saying why ``error`` stopped a write to ``path``, or None for errors that are not about the disk."""
    reason = _REASONS.get(error.errno or 0)
    if reason is None and error.errno != errno.EIO:
        return None
    return storage_failure(reason or "io", path, detail=error.strerror or str(error))


def storage_failure(reason: str, path: str | Path, *, detail: str = "") -> StorageError:
    """A :class:`StorageError` for ``reason`` (``full``, ``read-only``, ``permission``, ``io``) writing the file ``path``, worded for the CLI and the app."""
    folder = Path(path).parent
    english = {
        "full": f"the disk holding {folder} is full",
        "read-only": f"the folder {folder} is read-only",
        "permission": f"this program may not write in {folder}",
        "io": f"the disk holding {folder} failed to write",
    }[reason]
    french = {
        "full": f"Le disque qui contient {folder} est plein",
        "read-only": f"Le dossier {folder} est en lecture seule",
        "permission": f"Ce programme n’a pas le droit d’écrire dans {folder}",
        "io": f"Le disque qui contient {folder} a refusé l’écriture",
    }[reason]
    suffix = f" ({detail})" if detail else ""
    return StorageError(
        f"cannot save {path}: {english}{suffix}; nothing of this save was written and what was saved before is intact. "
        "Free some space or choose a writable folder, then save again",
        french=f"Enregistrement impossible : {french}. Rien de cet enregistrement n’a été écrit et les données déjà enregistrées sont intactes. "
               "Libérez de la place ou choisissez un dossier accessible en écriture, puis recommencez.",
        reason=reason,
        path=path,
    )


@contextmanager
def atomic_writer(path: str | Path, mode: str = "wb", *, encoding: str | None = None) -> Iterator[IO]:
    """Open a temporary file beside ``path`` for writing; on a clean exit it replaces ``path`` (fsync, then ``os.replace``).

    On an error inside the block the temporary file is removed and ``path``
    keeps its old content (or stays absent).
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_writer writes whole files: mode 'w' or 'wb', not {mode!r}")
    target = Path(path)
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise storage_error(error, target) or error from error
    try:
        with os.fdopen(handle, mode, encoding=encoding if "b" not in mode else None) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except OSError as error:
        _remove(temporary)
        raise storage_error(error, target) or error from error
    except BaseException:
        _remove(temporary)
        raise
    _sync_folder(target.parent)


def write_atomic(path: str | Path, data: bytes | str, *, encoding: str = "utf-8") -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_writer`); text is encoded with ``encoding``."""
    payload = data.encode(encoding) if isinstance(data, str) else bytes(data)
    with atomic_writer(path, "wb") as stream:
        stream.write(payload)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _sync_folder(folder: Path) -> None:
    """Make the rename durable; folders cannot be opened for syncing on some systems (then the rename is still atomic)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
