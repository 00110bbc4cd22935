"""Resolve a commune given by INSEE code or by name, with geo.api.gouv.fr; ambiguous names list the candidates."""

from __future__ import annotations

import json
import re
import unicodedata

from canvass.errors import InputDataError
from canvass.fetch.cache import Cache
from canvass.fetch.catalogue import Place
from canvass.opendata.codes import arrondissement_number

_CODE = re.compile(r"^(\d[\dAB]\d{3})$", re.IGNORECASE)


def _plain(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[\s'’\-]+", " ", text).strip()


def resolve_commune(query: str, catalogue: dict, cache: Cache) -> tuple[Place, dict]:
    """Return the place asked for and its geo.api GeoJSON feature (with the contour).

    Raises
    ------
    InputDataError
        The name matches no commune, or several (the message lists them with their codes).
    FetchError
        geo.api.gouv.fr cannot be reached and nothing is cached.
    """
    source = catalogue["commune"]
    query = query.strip()
    if _CODE.match(query):
        code = query.upper()
    else:
        code = _code_from_name(query, source, cache)
    template = source["arrondissement_url"] if arrondissement_number(code) is not None else source["url"]
    url = Place(code, "", "").fill(template)
    cached = cache.get(url, f"commune-{code}.geojson")
    feature = json.loads(cached.path.read_text(encoding="utf-8"))
    if feature.get("type") == "FeatureCollection":
        features = feature.get("features") or []
        if not features:
            raise InputDataError(f"no commune or arrondissement has the INSEE code {code}", source=url,
                                 hint="check the code (5 characters, e.g. 29019 or 75116)")
        feature = features[0]
    properties = feature.get("properties") or {}
    dep = str(properties.get("codeDepartement") or code[:3 if code.startswith("97") else 2])
    return Place(code, str(properties.get("nom") or code), dep), feature


def _code_from_name(name: str, source: dict, cache: Cache) -> str:
    url = Place("", name, "").fill(source["search_url"])
    candidates = json.loads(cache.get(url, "commune-search.json").path.read_text(encoding="utf-8"))
    exact = [item for item in candidates if _plain(item.get("nom", "")) == _plain(name)]
    chosen = exact or candidates
    if len(chosen) == 1:
        return str(chosen[0]["code"])
    listing = [f"{item.get('nom')} ({item.get('code')}, département {item.get('codeDepartement')}, "
               f"{item.get('population', '?')} hab.)" for item in chosen]
    if not listing:
        raise InputDataError(f"no commune is named {name!r}", source=url, hint="check the spelling, or give the INSEE code")
    raise InputDataError(f"several communes are named {name!r}", source=url, codes=listing,
                         hint="give the INSEE code of the one you mean, e.g. --commune " + str(chosen[0].get("code")))
