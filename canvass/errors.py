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
