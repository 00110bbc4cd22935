"""Fetch every official source a commune's territory needs into one folder that ``canvass build`` reads.

Sources are independent: one that fails is listed with its URL and where to drop a
hand-downloaded file, and the others are still fetched. The folder gets ``SOURCES.json``
and ``SOURCES.md`` (licence, vintage, attribution, URLs and checksums of every source).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from canvass.errors import CanvassError
from canvass.fetch import sources
from canvass.fetch.cache import Cache, default_cache_dir
from canvass.fetch.catalogue import Place, http_settings, load_catalogue
from canvass.fetch.commune import resolve_commune

ProgressCallback = Callable[[float, str], None]

SOURCE_KEYS = ("commune", "bureaux", "results", "reu_table", "nuances", "iris", "census", "grid", "ban", "streets")
"""Every source ``fetch_commune`` knows, in the order they are fetched."""

_ESSENTIAL = ("bureaux", "results")


@dataclass
class Outcome:
    """What happened to one source."""

    source: str
    title: str
    ok: bool
    files: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    error: str | None = None
    drop_hint: str | None = None
    licence: str | None = None
    attribution: str | None = None
    vintage: str | None = None
    verify: str | None = None


@dataclass
class FetchReport:
    """The result of :func:`fetch_commune`: the place, the folder and one outcome per source."""

    place: Place
    folder: Path
    outcomes: list[Outcome]

    @property
    def usable(self) -> bool:
        """True when bureau polygons or results were fetched (something ``canvass build`` can start from)."""
        return any(item.ok and item.source in _ESSENTIAL for item in self.outcomes)

    @property
    def failed(self) -> list[Outcome]:
        return [item for item in self.outcomes if not item.ok]

    def summary(self) -> str:
        """A plain-text account: what was fetched, what changed, what failed and where to drop it."""
        lines = [f"{self.place.name} ({self.place.code}) → {self.folder}"]
        for item in self.outcomes:
            state = "ok" if item.ok else "FAILED"
            lines.append(f"  {state:6} {item.source}: {item.title}" + (f" ({'; '.join(item.notes)})" if item.notes else ""))
            lines += [f"         changed: {note}" for note in item.changed]
        if self.failed:
            lines.append("Not fetched (download by hand, then run canvass build on the folder):")
            for item in self.failed:
                lines.append(f"  - {item.source}: {item.error}")
                lines.append(f"    {item.drop_hint}")
        return "\n".join(lines)


def _drop_hint(source: str, folder: Path, urls: list[str], catalogue: dict, place: Place) -> str:
    where = f"drop it into {folder} (any file name: canvass build detects the kind from the content)"
    if source == "results":
        return (f"download the Ministry's results per bureau de vote (or data.gouv general_results + candidats_results) "
                f"from {urls[0] if urls else catalogue['results']['general_url']} and {where}")
    if source == "bureaux":
        return f"download the bureaux de vote contours from {urls[0] if urls else catalogue['bureaux_national']['url']} and {where}"
    if source == "streets" and catalogue.get("streets_extract"):
        extracts = sources.extract_urls(catalogue["streets_extract"], place)
        if extracts:
            return (f"export the commune's streets from Overpass, or cut the département's OSM extract {extracts[0]} "
                    f"to commune_{place.code}.geojson (osmium extract -p), and {where}")
    return f"download {urls[0] if urls else 'the file'} and {where}"


def _run(job: sources.Job) -> dict[str, Callable[[], list[tuple[str, sources.Fetched | Exception, dict]]]]:
    catalogue = job.catalogue

    def one(key: str, function, source: dict) -> list:
        try:
            return [(key, function(), source)]
        except (CanvassError, OSError, ValueError, KeyError) as error:
            return [(key, error, source)]

    return {
        "commune": lambda: one("commune", lambda: sources.fetch_commune_contour(job), catalogue["commune"]),
        "bureaux": lambda: one("bureaux", lambda: sources.fetch_bureaux(job),
                               sources.city_layer(catalogue, job.place) or catalogue["bureaux_national"]),
        "results": lambda: one("results", lambda: sources.fetch_results(job), catalogue["results"]),
        "reu_table": lambda: one("reu_table", lambda: sources.fetch_reu_table(job), catalogue["reu_table"]),
        "nuances": lambda: one("nuances", lambda: sources.fetch_copy(job, catalogue["nuances"]), catalogue["nuances"]),
        "iris": lambda: one("iris", lambda: sources.fetch_iris(job), catalogue["iris"]),
        "census": lambda: [item for table in catalogue.get("census", [])
                           for item in one("census", lambda table=table: sources.fetch_census(job, table), table)],
        "grid": lambda: one("grid", lambda: sources.fetch_grid(job), catalogue["grid"]),
        "ban": lambda: one("ban", lambda: sources.fetch_ban(job), catalogue["ban"]),
        "streets": lambda: one("streets", lambda: sources.fetch_streets(job), catalogue["streets"]),
    }


def fetch_commune(
    commune: str,
    folder: Path,
    *,
    elections: list[str] | None = None,
    catalogue: str | Path | dict | None = None,
    cache_dir: Path | None = None,
    offline: bool = False,
    only: list[str] | None = None,
    on_progress: ProgressCallback | None = None,
) -> FetchReport:
    """Download what the territory of ``commune`` (INSEE code or name) needs into ``folder``.

    Parameters
    ----------
    commune
        INSEE code (``29019``, ``75116``) or name (``Brest``); an ambiguous name raises with the candidates.
    elections
        ``2024_legi`` (both rounds) or ``2024_legi_t1``; default: the catalogue's ``default_elections``.
    catalogue
        A TOML file or a loaded dict; default: ``$CANVASS_CATALOGUE`` or the packaged catalogue.
    cache_dir
        Where downloads and the lock manifest live (default :func:`default_cache_dir`).
    offline
        Serve every source from the cache only.
    only
        Subset of :data:`SOURCE_KEYS` to fetch.

    Raises
    ------
    InputDataError
        The commune is unknown or ambiguous.
    FetchError
        The commune cannot be resolved (no network and nothing cached).
    """
    catalogue = catalogue if isinstance(catalogue, dict) else load_catalogue(catalogue)
    progress = on_progress or (lambda fraction, message: None)
    cache = Cache(cache_dir or default_cache_dir(), http_settings(catalogue), offline=offline)
    folder = Path(folder)
    progress(0.0, f"resolving {commune}")
    place, feature = resolve_commune(commune, catalogue, cache)
    folder.mkdir(parents=True, exist_ok=True)
    chosen = tuple(elections or catalogue.get("settings", {}).get("default_elections", []))
    keys = [key for key in SOURCE_KEYS if only is None or key in only]
    state = {"fraction": 0.0}

    def on_bytes(label: str):
        last = {"time": 0.0}

        def report(received: int, total: int | None) -> None:
            now = time.monotonic()
            if now - last["time"] >= 2.0 or (total and received >= total):
                last["time"] = now
                size = f"{received / 1e6:.1f}/{total / 1e6:.1f} MB" if total else f"{received / 1e6:.1f} MB"
                progress(state["fraction"], f"downloading {label}: {size}")

        return report

    job = sources.Job(place, folder, cache, catalogue, chosen, feature, on_bytes)
    runners = _run(job)
    outcomes = []
    for index, key in enumerate(keys):
        state["fraction"] = index / len(keys)
        progress(state["fraction"], f"{key} of {place.name} ({place.code})")
        for source_key, result, source in runners[key]():
            outcomes.append(_outcome(source_key, result, source, folder, catalogue, place))
    report = FetchReport(place, folder, outcomes)
    write_sources(report, chosen)
    progress(1.0, f"{sum(item.ok for item in outcomes)}/{len(outcomes)} sources fetched into {folder}")
    return report


def _outcome(key: str, result, source: dict, folder: Path, catalogue: dict, place: Place) -> Outcome:
    if isinstance(result, Exception):
        urls = [getattr(result, "url", None) or source.get("url") or source.get("general_url") or ""]
        urls = [url for url in urls if url]
        return Outcome(key, source.get("title", key), False, urls=urls, error=str(result),
                       drop_hint=_drop_hint(key, folder, urls, catalogue, place), licence=source.get("licence"),
                       attribution=source.get("attribution"), vintage=source.get("vintage"), verify=source.get("verify"))
    info = result.info or source
    return Outcome(key, info.get("title", key), True, files=[path.name for path in result.files], urls=list(dict.fromkeys(result.urls)),
                   notes=result.notes, changed=result.changed, licence=info.get("licence"), attribution=info.get("attribution"),
                   vintage=info.get("vintage"), verify=info.get("verify"))


def write_sources(report: FetchReport, elections: tuple[str, ...]) -> None:
    """Write ``SOURCES.json`` (machine-readable) and ``SOURCES.md`` (attribution to show) into the folder."""
    payload = {
        "commune": {"code": report.place.code, "name": report.place.name, "departement": report.place.dep},
        "fetched_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "elections": list(elections),
        "sources": [asdict(item) for item in report.outcomes],
        "attribution": sorted({item.attribution for item in report.outcomes if item.ok and item.attribution}),
        "odbl": any(item.ok and (item.licence or "").startswith("ODbL") for item in report.outcomes),
    }
    (report.folder / "SOURCES.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
    lines = [f"# Sources des données de {report.place.name} ({report.place.code})", ""]
    for item in report.outcomes:
        state = "" if item.ok else " — NON TÉLÉCHARGÉ"
        lines.append(f"- **{item.title}**{state}: {item.licence or 'licence ?'}, {item.attribution or ''}, {item.vintage or ''}")
        lines += [f"  - {url}" for url in item.urls]
    if payload["odbl"]:
        lines += ["", "Certaines données sont sous licence ODbL (© les contributeurs d'OpenStreetMap, Ville de Paris…): "
                  "toute base de données dérivée doit être partagée sous la même licence et citer ces sources."]
    (report.folder / "SOURCES.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
