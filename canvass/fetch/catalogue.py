"""The catalogue of sources: a TOML data file in the package, which a user may replace.

``--catalogue FILE`` or the ``CANVASS_CATALOGUE`` environment variable points to another
file (tests point it at a local server). URL templates are filled from a :class:`Place`.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import quote

from canvass.errors import InputDataError
from canvass.fetch.http import HttpSettings
from canvass.opendata.codes import PLM_COMMUNES, arrondissement_number, plm_parent

ENV_VARIABLE = "CANVASS_CATALOGUE"


def load_catalogue(path: str | Path | None = None) -> dict:
    """Read the catalogue: ``path``, else ``$CANVASS_CATALOGUE``, else the packaged ``catalogue.toml``."""
    path = path or os.environ.get(ENV_VARIABLE)
    try:
        if path:
            return tomllib.loads(Path(path).read_text(encoding="utf-8"))
        return tomllib.loads(resources.files("canvass.fetch").joinpath("catalogue.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise InputDataError(f"the catalogue cannot be read ({error})", source=path or "canvass/fetch/catalogue.toml",
                             hint="give a TOML file shaped like canvass/fetch/catalogue.toml") from error


def http_settings(catalogue: dict) -> HttpSettings:
    """The HTTP settings of the catalogue's ``[settings]`` table."""
    settings = catalogue.get("settings", {})
    defaults = HttpSettings()
    return HttpSettings(
        user_agent=settings.get("user_agent", defaults.user_agent),
        timeout_s=float(settings.get("timeout_s", defaults.timeout_s)),
        retries=int(settings.get("retries", defaults.retries)),
        backoff_s=float(settings.get("backoff_s", defaults.backoff_s)),
    )


@dataclass(frozen=True)
class Place:
    """The commune (or PLM arrondissement) being fetched, with what URL templates need."""

    code: str
    name: str
    dep: str

    @property
    def parent(self) -> str:
        return plm_parent(self.code)

    @property
    def arrondissement(self) -> int | None:
        return arrondissement_number(self.code)

    @property
    def area_codes(self) -> tuple[str, ...]:
        """INSEE codes whose rows belong here: an arrondissement itself, or a PLM city and all its arrondissements."""
        if self.code in PLM_COMMUNES:
            return (self.code, *(str(code) for code in PLM_COMMUNES[self.code]))
        return (self.code,)

    def fill(self, template: str, **extra: object) -> str:
        """Fill a URL template; ``extra`` values are URL-quoted."""
        values = {
            "code": self.code,
            "parent": self.parent,
            "dep": self.dep,
            "name": quote(self.name),
            "arrondissement": "" if self.arrondissement is None else str(self.arrondissement),
            "admin_level": "9" if self.arrondissement is not None else "8",
        }
        values.update({key: quote(str(value), safe="") for key, value in extra.items()})
        return template.format(**values)
