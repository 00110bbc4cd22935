"""Exceptions and warnings raised by canvass.

Every message says *what* was wrong, *where* (file, column, line, first codes)
and *what to do*. The parts are also kept as attributes so that the French app
can word its own message.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def _preview(codes: Iterable[object], limit: int = 5) -> str:
    """Return the first few codes and the total count, e.g. ``'1, 2, 3 … (12 in all)'``."""
    codes = list(codes)
    shown = ", ".join(str(code) for code in codes[:limit])
    if len(codes) > limit:
        shown += f" … ({len(codes)} in all)"
    return shown


class CanvassError(Exception):
    """Base class of every error canvass raises on purpose."""


class InputDataError(CanvassError, ValueError):
    """An input file or table cannot be used as it is.

    Parameters
    ----------
    what
        What is wrong, in one sentence.
    source
        The file (or table) at fault.
    where
        Column, line or layer where the problem is.
    codes
        The offending codes or values; the message shows the first few.
    hint
        What the user can do about it.
    """

    def __init__(
        self,
        what: str,
        *,
        source: str | Path | None = None,
        where: str | None = None,
        codes: Iterable[object] = (),
        hint: str | None = None,
    ):
        self.what = what
        self.source = str(source) if source is not None else None
        self.where = where
        self.codes = list(codes)
        self.hint = hint
        super().__init__(self._message())

    def _message(self) -> str:
        parts = [f"{self.source}: {self.what}" if self.source else self.what]
        if self.where:
            parts.append(f"where: {self.where}")
        if self.codes:
            parts.append(f"values: {_preview(self.codes)}")
        if self.hint:
            parts.append(f"what to do: {self.hint}")
        return "\n  ".join(parts)


class ImpossibleValueError(InputDataError):
    """A value of an input file cannot be true: a count that is negative or not finite, totals that cannot hold
    (more voters than registered, more votes for a candidate than votes cast…). The message names the file, line and value."""


class CoordinateError(InputDataError):
    """Coordinates that cannot be those of the French places they describe: not finite, outside France, swapped,
    or not in the coordinate system the file declares. The message names the file, the rows or features and the values."""


class PlanningError(CanvassError, ValueError):
    """A planning problem cannot be built (impossible budget, no start point, ...)."""


class CanvassWarning(UserWarning):
    """Base class of canvass warnings: the data can be used, with a caveat the user must see."""


class JoinWarning(CanvassWarning):
    """Fires when codes of one layer do not all find a match in another (bureaux, IRIS).

    The territory is still built; the report lists the unmatched codes.
    """


class GeometryWarning(CanvassWarning):
    """Fires when geometries had to be repaired or dropped (invalid, null, empty)."""


class DataQualityWarning(CanvassWarning):
    """Fires on values that look wrong but can be kept (totals that don't add up, suppressed cells)."""


class StorageError(CanvassError):
    """A save failed because of the disk or the folder (full, read-only, not allowed): nothing of that save was written.

    What was saved before is intact. ``str(error)`` is English (CLI); the app
    shows :attr:`french`. ``reason`` is one of ``"full"``, ``"read-only"``,
    ``"permission"`` or ``"io"``; ``path`` is the file or folder concerned.
    """

    def __init__(self, what: str, *, french: str, reason: str, path: str | Path | None = None):
        self.what = what
        self.french = french
        self.reason = reason
        self.path = str(path) if path is not None else None
        super().__init__(what)


class TooManyAttemptsError(CanvassError):
    """Too many wrong passwords: the campaign refuses logins from this client (or from everyone) for ``retry_after`` seconds.

    ``str(error)`` is English (CLI); the app shows :attr:`french`
    (« Trop de tentatives : réessayez dans N minutes. »).
    """

    def __init__(self, retry_after: float):
        self.retry_after = float(retry_after)
        if retry_after >= 60:
            count, unit_fr, unit_en = int(-(-retry_after // 60)), "minute", "minute"
        else:
            count, unit_fr, unit_en = max(1, int(-(-retry_after // 1))), "seconde", "second"
        plural = "s" if count > 1 else ""
        self.french = f"Trop de tentatives : réessayez dans {count} {unit_fr}{plural}."
        super().__init__(f"too many wrong passwords: try again in {count} {unit_en}{plural}")
