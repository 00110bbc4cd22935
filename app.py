"""canvass — the field organisers' app (Streamlit, in French).

A thin layer: widgets read choices, the ``canvass`` library does the work (the
same functions as the CLI), the page shows the result. Campaign state (choices,
teams, plans, field log) is saved as it changes in the campaign store: a SQLite
file by default, PostgreSQL when ``DATABASE_URL`` is set.

Everything the organiser reads is French, numbers in French formats
(``1 234``, ``35,6 %``); library errors are shown as French sentences, never a traceback.

Run: ``CANVASS_PASSWORD=... streamlit run app.py``. Volunteers open
``?equipe=<token>`` links, which show their own team's map and nothing else.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import secrets
import threading
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import streamlit as st

from canvass.errors import CanvassError, InputDataError, StorageError
from canvass.outputs._common import french_number

DATA = Path(os.environ.get("CANVASS_DATA", "data"))
# Streamlit serves this folder as is (server.enableStaticServing): the published team pages live under static/partage.
STATIC = Path(__file__).resolve().parent / "static"
DEMO = DATA / "demo"
CAMPAIGN = os.environ.get("CANVASS_CAMPAIGN", "demo")
PAGES = ("Territoire", "Priorités", "Équipes", "Plan", "Partager", "Terrain")
STRATEGIES = {"mobilisation": "Mobilisation (abstentionnistes du camp)", "persuasion": "Persuasion (bureaux serrés et mobiles)",
              "turnout": "Participation (tous les abstentionnistes)", "custom": "Mélange personnalisé"}
SOURCES = ("Commune de démonstration (Plouvenec)", "Télécharger une commune", "Téléverser des fichiers", "Dossier sur le serveur")
LOG = logging.getLogger("canvass.app")
UNEXPECTED = "Une erreur inattendue a interrompu cette page."
# Outcomes asked on the Terrain page, in the order of the walk sheet's tally columns.
OUTCOME_LABELS = {"soutien": "Soutien", "indecis": "Indécis", "opposant": "Opposant"}

# Streamlit's file uploader writes English that no parameter changes; this CSS replaces those words with French ones.
FRENCH_CHROME = """<style>
[data-testid="stFileUploaderDropzoneInstructions"] div > span { display: none; }
[data-testid="stFileUploaderDropzoneInstructions"] div::before { content: "Glissez-déposez les fichiers ici"; }
[data-testid="stFileUploaderDropzoneInstructions"] div > small { display: none; }
[data-testid="stFileUploaderDropzoneInstructions"] div::after { content: "200 Mo au plus par fichier"; display: block; font-size: 0.8em; opacity: 0.7; }
[data-testid="stFileUploaderDropzone"] button[data-testid^="stBaseButton"] > * { display: none; }
[data-testid="stFileUploaderDropzone"] button[data-testid^="stBaseButton"]::after { content: "Parcourir…"; }
</style>"""


# ----------------------------------------------------------------------------- French text


def number(value, decimals: int = 0) -> str:
    """``1234.5 → '1 234,5'``; '—' when the value is not known."""
    return "—" if value is None or pd.isna(value) else french_number(float(value), decimals)


def percent(value, decimals: int = 0) -> str:
    """``0.3559 → '35,6 %'`` (with ``decimals=1``); '—' when the value is not known."""
    return "—" if value is None or pd.isna(value) else f"{french_number(100 * float(value), decimals)}\u202f%"


def show_error(error: Exception, context: str = "") -> None:
    """A library error as a French message: its own French text when it has one, else its parts under French headings."""
    lead = f"{context} : " if context else ""
    if getattr(error, "french", None):
        st.error(lead + error.french)
    elif isinstance(error, InputDataError):
        parts = [f"{lead or 'Données inutilisables : '}{error.what}."]
        if error.source:
            parts.append(f"Fichier : {Path(error.source).name}.")
        if error.where:
            parts.append(f"Endroit : {error.where}.")
        if error.codes:
            parts.append("Valeurs : " + ", ".join(map(str, error.codes[:5])) + (" …" if len(error.codes) > 5 else "") + ".")
        if error.hint:
            parts.append(f"Que faire : {error.hint}.")
        st.error(" ".join(parts))
    else:
        st.error(f"{lead or 'Opération impossible : '}{error}")


def slug(text: str) -> str:
    """A folder name from what the organiser typed ('Saint-Brieuc' → 'saint-brieuc')."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-") or "commune"


# ----------------------------------------------------------------------------- background work


@dataclass
class Background:
    """A library call in a thread, as :class:`canvass.plan.job.PlanJob` runs the planner: progress, stop, result or error."""

    work: Callable[[Callable[[float, str], None], Callable[[], bool]], object]
    fraction: float = 0.0
    message: str = "en attente"
    result: object = None
    error: Exception | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> Background:
        self._thread = threading.Thread(target=self._run, name="canvass-app", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self.result = self.work(self._progress, self._stop.is_set)
        except Exception as error:  # shown to the organiser by the page, not lost in the thread
            self.error = error
        finally:
            self.fraction = 1.0

    def _progress(self, fraction: float, message: str) -> None:
        self.fraction, self.message = fraction, message

    def stop(self) -> None:
        self._stop.set()

    @property
    def done(self) -> bool:
        return self._thread is not None and not self._thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)


# ----------------------------------------------------------------------------- shared resources


def store():
    """The campaign store: PostgreSQL when DATABASE_URL is set, else a SQLite file in the data folder."""
    return _store_at(os.environ.get("DATABASE_URL") or str(DATA / "campagne.sqlite"))


@st.cache_resource
def _store_at(location: str):
    """One store per location, shared by every session of this server."""
    from canvass.campaign.store import open_store

    return open_store(location)


@st.cache_resource(max_entries=4)
def territory_at(path: str, mtime: float):
    """A territory file, loaded once per version of the file (``mtime`` is part of the cache key)."""
    from canvass.territory.io import load_territory

    return load_territory(Path(path))


@st.cache_data(max_entries=16, show_spinner="Calcul des priorités…")
def scores_for(path: str, mtime: float, strategy: str, camp: tuple[str, ...], decay: float, census_weight: float):
    """Scores of a territory for one set of choices (aggregated data only, safe to share between sessions)."""
    from canvass.scores.camps import Camp
    from canvass.scores.score import score_territory
    from canvass.scores.strategies import ScoreParams

    params = ScoreParams(strategy=strategy, camp=Camp.parse(camp), decay=decay, census_weight=census_weight)
    return score_territory(territory_at(path, mtime), params)


@st.cache_data(max_entries=8)
def overview_html(plan_path: str, mtime: float, scores_key: tuple, place_names: tuple = (), done: tuple = ()) -> str:
    """The organiser's overview map, rendered once per plan (no rebuild on pan or zoom: it is static HTML)."""
    from canvass.outputs.maps import overview_map
    from canvass.plan.io import load_plan

    plan, teams, walks = load_plan(Path(plan_path))
    names = dict(place_names)
    teams = [replace(team, place_name=names.get(team.name, team.place_name)) for team in teams]
    scores = scores_for(*scores_key)
    return overview_map(plan, teams, walks, territory_at(scores_key[0], scores_key[1]), scores.bureaux.reset_index(), done_segments=done)


# What the app saves, as (kind, key) documents of the campaign store.
DOCUMENTS = {
    "territory": ("territory", "current"), "strategy": ("strategy", "current"), "teams": ("teams", "current"),
    "plan": ("plan", "current"), "share": ("plan", "share"), "adjustments": ("plan", "adjustments"), "field_done": ("field", "done"),
    "places": ("teams", "places"), "sessions": ("plan", "sessions"), "experiment": ("plan", "experiment"),
}


def campaign():
    """The campaign of this server, created on first use with the configured password."""
    found = store().find_campaign(CAMPAIGN)
    return found or store().create_campaign(CAMPAIGN, configured_password() or "", author=author())


def document(name: str, default=None):
    """A campaign document and its version; the version this session first saw is kept to detect concurrent edits."""
    doc = store().get(campaign(), *DOCUMENTS[name])
    version = doc.version if doc else None
    st.session_state.setdefault(f"version_{name}", version)
    return (doc.value if doc else default), version


def save(name: str, value) -> bool:
    """Save a campaign document; on a concurrent edit, say who changed it and keep what is on screen."""
    from canvass.campaign.store import ConflictError
    from canvass.errors import StorageError

    _, version = document(name)
    expected = st.session_state[f"version_{name}"]
    try:
        st.session_state[f"version_{name}"] = store().put(campaign(), *DOCUMENTS[name], value, expected_version=expected, author=author())
        return True
    except ConflictError as error:
        st.error(f"Modification concurrente : {error}. Chargez la version enregistrée, puis refaites la modification.")
        if st.button("Charger la version enregistrée", key=f"reload_{name}"):
            st.session_state.pop(f"version_{name}", None)
            st.rerun()
        return False
    except StorageError as error:
        st.error(error.french)
        return False


def author() -> str:
    return st.session_state.get("author") or "organisateur"


def mtime(path: Path) -> float:
    return path.stat().st_mtime if path.exists() else 0.0


# ----------------------------------------------------------------------------- access


def configured_password() -> str | None:
    try:
        if "password" in st.secrets:
            return str(st.secrets["password"])
    except FileNotFoundError:
        pass
    return os.environ.get("CANVASS_PASSWORD")


def client_address() -> str:
    """Who is logging in, for the wrong-password throttle: the first address a proxy forwarded, else the browser's address."""
    forwarded = (st.context.headers.get("X-Forwarded-For") or "").split(",")[0].strip()
    address = st.context.ip_address  # None on localhost
    return forwarded or (address if isinstance(address, str) else "") or "inconnu"


def login() -> bool:
    """The campaign password, before any data shows; wrong passwords are throttled per browser and per campaign."""
    from canvass.errors import StorageError, TooManyAttemptsError

    from canvass.serve.session import COOKIE, check, issue, session_key

    if not st.session_state.get("authenticated"):
        who = check(session_key(DATA), st.context.cookies.get(COOKIE), CAMPAIGN)
        if who:  # a signed, expiring ticket from an earlier login in this browser: a reload keeps the organiser in
            st.session_state.update(authenticated=True, author=who)
    if st.session_state.get("authenticated"):
        return True
    expected = configured_password()
    st.title("Porte-à-porte — accès réservé")
    if not expected:
        st.error("Aucun mot de passe de campagne n’est configuré : définissez CANVASS_PASSWORD ou `password` dans .streamlit/secrets.toml.")
        return False
    with st.form("login"):
        name = st.text_input("Votre prénom (pour l’historique)", key="login_name")
        password = st.text_input("Mot de passe de la campagne", type="password", key="login_password")
        if st.form_submit_button("Entrer"):
            try:
                valid = store().login(campaign(), password, client=client_address())
            except (TooManyAttemptsError, StorageError) as error:
                st.error(error.french)
                return False
            if valid:
                st.session_state["authenticated"] = True
                st.session_state["author"] = name.strip() or "organisateur"
                st.session_state["set_cookie"] = issue(session_key(DATA), CAMPAIGN, st.session_state["author"])
                st.rerun()
            else:
                st.error("Mot de passe incorrect.")
    return False


def volunteer_view(token: str) -> None:
    """A shared link: the team's own map, nothing else, no login."""
    from canvass.outputs.export import team_for_token

    item = team_for_token(DATA / "partage", token)
    if item is None:
        st.error("Lien inconnu ou expiré. Demandez le lien de votre équipe à l’organisation.")
        return
    # Links of an older export: the team's page is a static file now, opened without running this script again.
    st.link_button("Ouvrir la carte de l’équipe", item["link"], type="primary")


# ----------------------------------------------------------------------------- Territoire


def page_territory() -> None:
    st.header("Territoire")
    choice = st.radio("Données", SOURCES, key="territory_source", horizontal=True)
    path = None
    if choice == SOURCES[0]:
        path = DEMO / "territory.gpkg"
        if not path.exists() and st.button("Créer la commune de démonstration", key="make_demo"):
            build_demo(path)
    elif choice == SOURCES[1]:
        path = fetch_form()
    elif choice == SOURCES[2]:
        path = upload_form()
    else:
        path = folder_form()
    if path is None or not path.exists():
        st.info("Aucun territoire pour l’instant.")
        return
    if save_if_changed("territory", {"path": str(path)}):
        st.session_state.pop("plan_path", None)
    show_report(str(path), mtime(path))


def fetch_form() -> Path | None:
    """Download a commune's official files (by name or INSEE code) into its folder, then build its territory."""
    st.caption("Bureaux de vote, résultats, IRIS et recensement, rues d’OpenStreetMap et adresses sont téléchargés depuis les sites officiels.")
    commune = st.text_input("Commune (nom ou code INSEE)", key="fetch_commune", placeholder="Brest ou 29019")
    known = st.session_state.get("fetched")
    if st.button("Télécharger et construire le territoire", key="fetch", disabled=not commune.strip()):
        from canvass.fetch.fetch import fetch_commune

        bar = st.progress(0.0, "Téléchargement des données officielles…")
        folder = DATA / "communes" / slug(commune)
        try:
            report = fetch_commune(commune.strip(), folder, on_progress=lambda f, m: bar.progress(min(1.0, f) * 0.6, "Téléchargement des données officielles…"))
        except CanvassError as error:
            show_error(error, "Téléchargement impossible")
            return None
        for item in report.failed:
            st.warning(f"Source non téléchargée : {item.title}." + (f" Que faire : {item.drop_hint}" if item.drop_hint else ""))
        if not report.usable:
            st.error("Ni contours de bureaux ni résultats n’ont pu être téléchargés : le territoire ne peut pas être construit. "
                     "Réessayez plus tard, ou téléversez les fichiers de la commune.")
            return None
        known = build_from(folder, [report.place.code], bar, start=0.6)
        st.session_state["fetched"] = known
    return Path(known) if known else None


def upload_form() -> Path | None:
    """Files (or a ZIP) from the organiser's computer, saved in the campaign's folder, then built."""
    files = st.file_uploader("Fichiers de la commune (bureaux, résultats, IRIS, recensement, rues OSM, adresses) ou une archive ZIP",
                             accept_multiple_files=True, key="upload_files",
                             help="Les fichiers sont reconnus par leur contenu, quel que soit leur nom.")
    commune = st.text_input("Code(s) INSEE de la commune, séparés par des virgules", key="upload_commune", placeholder="29019")
    known = st.session_state.get("uploaded")
    if st.button("Construire le territoire", key="upload_build", disabled=not (files and commune.strip())):
        codes = [c.strip() for c in commune.split(",") if c.strip()]
        folder = DATA / "campagnes" / slug(CAMPAIGN) / "fichiers" / "_".join(codes)
        try:
            save_uploads(files, folder)
        except InputDataError as error:
            show_error(error)
            return None
        known = build_from(folder, codes, st.progress(0.0, "Construction du territoire…"))
        st.session_state["uploaded"] = known
    return Path(known) if known else None


def save_uploads(files, folder: Path) -> None:
    """Write uploaded files into ``folder``; a ZIP is unpacked (its own folders flattened, nothing written outside ``folder``)."""
    folder.mkdir(parents=True, exist_ok=True)
    for upload in files:
        data = upload.getvalue()
        if upload.name.lower().endswith(".zip"):
            try:
                with zipfile.ZipFile(io.BytesIO(data)) as archive:
                    for member in archive.infolist():
                        name = Path(member.filename).name
                        if member.is_dir() or not name or name.startswith("."):
                            continue
                        (folder / name).write_bytes(archive.read(member))
            except zipfile.BadZipFile as error:
                raise InputDataError("cette archive ZIP est illisible", source=upload.name, hint="refaites l’archive, ou téléversez les fichiers un par un") from error
        else:
            (folder / Path(upload.name).name).write_bytes(data)


def folder_form() -> Path | None:
    folder = st.text_input("Dossier sur le serveur (fichiers de la commune : bureaux, résultats, IRIS, rues…)", key="folder")
    commune = st.text_input("Code(s) INSEE, séparés par des virgules", key="commune")
    path = DATA / f"territoire_{commune.replace(',', '_').strip() or 'x'}.gpkg"
    if st.button("Importer", key="import") and folder and commune:
        if not Path(folder).is_dir():
            st.error(f"Le dossier « {folder} » n’existe pas sur le serveur. Vérifiez le chemin, ou téléversez les fichiers.")
            return None
        built = build_from(Path(folder), [c.strip() for c in commune.split(",")], st.progress(0.0, "Import…"), out=path)
        return Path(built) if built else None
    return path


def build_from(folder: Path, codes: list[str], bar, *, start: float = 0.0, out: Path | None = None) -> str | None:
    """Build and save the territory of ``codes`` from a folder of files; return its path, or None after showing the error."""
    from canvass.territory.build import build_territory
    from canvass.territory.io import save_territory

    out = out or DATA / f"territoire_{'_'.join(codes)}.gpkg"
    try:
        territory = build_territory(folder, codes, on_progress=lambda f, m: bar.progress(start + (1 - start) * min(1.0, f), "Construction du territoire…"))
        save_territory(territory, out)
    except CanvassError as error:
        show_error(error, "Construction impossible")
        return None
    bar.progress(1.0, "Territoire prêt.")
    return str(out)


def build_demo(path: Path) -> None:
    from canvass.demo import DEMO_COMMUNE, write_demo

    bar = st.progress(0.0, "Génération de la commune de démonstration…")
    write_demo(path.parent)
    build_from(path.parent, [DEMO_COMMUNE], bar, out=path)


@st.cache_data(max_entries=4)
def territory_layers(path: str, stamp: float) -> tuple[dict, dict]:
    """Bureaux and streets of a territory as GeoJSON (WGS84), for the maps of the app."""
    from canvass.crs import to_web

    territory = territory_at(path, stamp)
    bureaux = to_web(territory.bureaux[["bureau_id", "label", "name", "geometry"]].assign(geometry=territory.bureaux.geometry.simplify(2.0)))
    bureaux["titre"] = "Bureau " + bureaux["label"].astype("string").fillna("") + " " + bureaux["name"].astype("string").fillna("")
    segments = territory.segments
    if not len(segments):
        return json.loads(bureaux.drop(columns=["label", "name"]).to_json()), {"type": "FeatureCollection", "features": []}
    names = segments["street_name"] if "street_name" in segments.columns else pd.Series(pd.NA, index=segments.index)
    streets = to_web(segments[["geometry"]].assign(geometry=segments.geometry.simplify(1.0), titre=names.astype("string").fillna("Rue sans nom")))
    return json.loads(bureaux.drop(columns=["label", "name"]).to_json()), json.loads(streets.to_json())


def area_map(path: str, stamp: float, *, fills: dict | None = None, key: str, height: int = 460, extra: list | None = None,
             on_select: bool = False):
    """Bureaux (coloured by ``fills``: bureau_id → RGBA) and streets on a pydeck map without basemap (no network)."""
    import pydeck

    bureaux, streets = territory_layers(path, stamp)
    for feature in bureaux["features"]:
        feature["properties"]["fill"] = (fills or {}).get(feature["properties"]["bureau_id"], [230, 230, 230, 90])
    layers = [
        pydeck.Layer("GeoJsonLayer", id="bureaux", data=bureaux, get_fill_color="properties.fill", get_line_color=[90, 90, 90, 200],
                     line_width_min_pixels=1, pickable=not on_select),
        pydeck.Layer("GeoJsonLayer", id="rues", data=streets, get_line_color=[60, 60, 60, 170], line_width_min_pixels=1, pickable=not on_select),
        *(extra or []),
    ]
    lon, lat, zoom = _view(bureaux, height)
    deck = pydeck.Deck(layers=layers, initial_view_state=pydeck.ViewState(longitude=lon, latitude=lat, zoom=zoom), map_style=None,
                       tooltip={"text": "{titre}"})
    if on_select:
        return st.pydeck_chart(deck, on_select="rerun", selection_mode="single-object", key=key, height=height)
    return st.pydeck_chart(deck, key=key, height=height)


def _view(collection: dict, height: int, width: int = 800) -> tuple[float, float, float]:
    """Centre and web-mercator zoom that show the whole territory in a map of about ``width`` × ``height`` pixels."""
    import numpy as np
    import shapely

    shapes = shapely.from_geojson([json.dumps(feature["geometry"]) for feature in collection["features"] if feature["geometry"]])
    if not len(shapes):
        return 2.4, 46.6, 5.0
    minx, miny, maxx, maxy = shapely.total_bounds(shapes)
    lat = (miny + maxy) / 2
    span_x = max(maxx - minx, 1e-4) * np.cos(np.radians(lat))
    span_y = max(maxy - miny, 1e-4)
    zoom = float(np.log2(min(360 * width / (256 * span_x), 360 * height / (256 * span_y)))) - 0.3
    return float((minx + maxx) / 2), float(lat), min(zoom, 17.0)


def show_report(path: str, stamp: float) -> None:
    """The import report: figures, loud alerts with what to do, a French summary and a map of bureaux and streets."""
    from canvass.territory.report import report_lines, territory_report

    territory = territory_at(path, stamp)
    report = territory_report(territory)
    cols = st.columns(4)
    cols[0].metric("Bureaux de vote", number(report["bureaux"]["n"]))
    cols[1].metric("Rues (tronçons)", number(report["streets"]["n_segments"]))
    cols[2].metric("Portes", number(report["doors"]["n_doors"]))
    cols[3].metric("Scrutins", number(len(report["results"])))
    for message in report.get("alerts", []):
        st.error(message)
    st.subheader(f"Territoire de {', '.join(report['communes'])}")
    st.markdown("\n".join(f"- {line}" for line in report_lines(report)))
    area_map(path, stamp, key="territory_map")
    st.caption("Bureaux de vote (contours) et rues (traits) du territoire. Fond de carte absent : rien n’est chargé depuis Internet.")


def save_if_changed(kind: str, value) -> bool:
    current, _ = document(kind)
    if current != value:
        return save(kind, value)
    return False


def current_territory():
    value, _ = document("territory")
    if not value or not Path(value["path"]).exists():
        st.warning("Choisissez d’abord un territoire (page Territoire).")
        st.stop()
    path = Path(value["path"])
    return str(path), mtime(path)


DEFAULT_STRATEGY = {"strategy": "mobilisation", "camp": ["gauche"], "decay": 0.5, "census_weight": 0.0}


# ----------------------------------------------------------------------------- Priorités


# ColorBrewer YlOrRd, lowest priority first (as on the overview map).
PRIORITY_COLOURS = ([255, 255, 178], [254, 204, 92], [253, 141, 60], [240, 59, 32], [189, 0, 38])


def page_priorities() -> None:
    st.header("Priorités")
    key = current_territory()
    saved, _ = document("strategy", DEFAULT_STRATEGY)
    strategy = st.selectbox("Stratégie", list(STRATEGIES), format_func=STRATEGIES.get, index=list(STRATEGIES).index(saved["strategy"]), key="strategy")
    camp = st.text_input("Notre camp (famille, nuances ou noms ; ELECTION=… pour un scrutin)", ", ".join(saved["camp"]), key="camp",
                         help="Familles : gauche, ecologistes, centre, droite, extreme_droite, divers. Ex. : 2017_pres=MACRON, 2020_muni=SEBBAH")
    tenths = [round(0.1 * k, 1) for k in range(11)]
    decay = st.select_slider("Poids de chaque scrutin plus ancien", tenths[1:], value=round(float(saved["decay"]), 1), key="decay",
                             format_func=lambda v: number(v, 1))
    census = st.select_slider("Part du modèle de recensement dans la part du camp", tenths, value=round(float(saved["census_weight"]), 1),
                              key="census", format_func=lambda v: number(v, 1))
    specs = tuple(item.strip() for item in camp.split(",") if item.strip())
    choice = {"strategy": strategy, "camp": list(specs), "decay": decay, "census_weight": census}
    try:
        scores = scores_for(*key, strategy, specs, decay, census)
    except CanvassError as error:
        show_error(error, "Priorités impossibles à calculer")
        return
    save_if_changed("strategy", choice)
    for message in scores.warnings:
        st.warning(message)
    from canvass.scores.score import displayed

    table = displayed(scores.bureaux)
    st.subheader("Bureaux par priorité")
    st.caption("Le rang classe les bureaux par score (les voix à gagner dans tout le bureau) ; la priorité est ce score par porte "
               "(1 = le bureau le plus rentable par porte frappée). Un grand bureau peut avoir un bon rang et une priorité moyenne : "
               "le plan suit la priorité.")
    left, right = st.columns([3, 2])
    with left:
        area_map(*key, fills=priority_fills(scores.bureaux), key="priority_map", height=520)
        st.caption("Couleur : priorité par porte, en cinq classes du jaune (faible) au rouge (forte) ; gris : bureau sans score (secret).")
    with right:
        st.dataframe(priority_table(table, bureau_names(territory_at(*key))), key="scores_table", hide_index=True, height=520)
    for name, model in scores.models.items():
        st.caption(f"Modèle de recensement ({name}) : R² hors échantillon {number(model.r2_cv, 2)}, erreur moyenne {number(model.mae_cv, 3)}")


def priority_fills(bureaux: pd.DataFrame) -> dict:
    """RGBA per bureau: quintile of priority; grey for secret or unscored bureaux."""
    priority = pd.to_numeric(bureaux["priority"], errors="coerce").where(~bureaux["suppressed"].astype(bool))
    classes = pd.qcut(priority.rank(method="first"), 5, labels=False) if priority.notna().sum() >= 5 else priority.rank(pct=True).mul(4.999).fillna(-1)
    return {str(bureau): (PRIORITY_COLOURS[int(level)] + [170]) if pd.notna(level) and level >= 0 else [189, 189, 189, 150]
            for bureau, level in zip(bureaux.index, classes)}


def bureau_names(territory) -> dict[str, str]:
    """How people call each bureau: its number and, when known, its polling place ('16-51 École Murat')."""
    bureaux = territory.bureaux
    names = bureaux["name"].astype("string").fillna("") if "name" in bureaux.columns else pd.Series("", index=bureaux.index)
    return {str(b): f"{label} {name}".strip() for b, label, name in zip(bureaux["bureau_id"], bureaux["label"].astype("string").fillna(""), names)}


def priority_table(table: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """The bureau table with French headers and formats (secret bureaux stay « secret »)."""
    def text(value, how) -> str:
        if isinstance(value, str):
            return value
        return how(value)

    shown = pd.DataFrame({
        "Bureau": [names.get(str(b)) or str(b) for b in table.index],
        "Rang": [text(v, lambda x: number(x)) for v in table["rank"]],
        "Priorité": [text(v, lambda x: number(x, 2)) for v in table["priority"]],
        "Score": [text(v, lambda x: number(x, 1)) for v in table["score"]],
        "Portes": [number(v) for v in table["n_doors"]],
        "Inscrits": [number(v) for v in table["n_registered"]],
        "Abstention": [text(v, lambda x: percent(x, 1)) for v in table["share_abstention"]],
        "Part du camp": [text(v, lambda x: percent(x, 1)) for v in table["share_camp"]],
    })
    return shown


# ----------------------------------------------------------------------------- Équipes


TEAM_COLUMNS = {
    "nom": st.column_config.TextColumn("Équipe", required=True),
    "taille": st.column_config.NumberColumn("Volontaires", min_value=1, step=1),
    "rendez_vous": None,
    "adresse": st.column_config.TextColumn("ou adresse (n° et rue)"),
    "minutes": st.column_config.NumberColumn("Minutes", min_value=10, step=10),
    "vitesse_kmh": st.column_config.NumberColumn("Vitesse (km/h)", min_value=1.0, step=0.5, format="localized"),
    "minutes_par_porte": st.column_config.NumberColumn("Minutes par porte", min_value=0.2, step=0.1, format="localized"),
}


def page_teams() -> None:
    st.header("Équipes")
    path, stamp = current_territory()
    territory = territory_at(path, stamp)
    places = meeting_places(territory)
    saved, _ = document("teams", None)
    if saved is None:
        saved = default_teams(places)
    frame = pd.DataFrame(saved).reindex(columns=list(TEAM_COLUMNS))
    frame["adresse"] = frame["adresse"].fillna("")
    edited = st.data_editor(
        frame,
        num_rows="dynamic",
        key="teams_editor",
        hide_index=True,
        column_config=TEAM_COLUMNS | {"rendez_vous": st.column_config.SelectboxColumn("Rendez-vous", options=list(places))},
    )
    records = [{k: ("" if k == "adresse" and (v is None or pd.isna(v)) else v) for k, v in row.items()} for row in edited.to_dict("records")]
    if records != saved and st.button("Enregistrer les équipes", key="save_teams"):
        if save("teams", records):
            st.success("Équipes enregistrées.")
    suggest_places(territory, path, stamp)
    pick_meeting_place(path, stamp)


def suggest_places(territory, path: str, stamp: float) -> None:
    """Équipes: N meeting places that put the most valuable doors within reach, offered to the teams."""
    from canvass.plan.meeting_places import suggest_meeting_places

    with st.expander("Proposer des lieux de rendez-vous"):
        count = st.number_input("Nombre de lieux", min_value=1, max_value=20, value=2, step=1, key="suggest_n")
        if st.button("Proposer des lieux de rendez-vous", key="suggest_places"):
            strategy, _ = document("strategy", DEFAULT_STRATEGY)
            try:
                scores = scores_for(path, stamp, strategy["strategy"], tuple(strategy["camp"]), strategy["decay"], strategy["census_weight"])
                with st.spinner("Recherche des lieux…"):
                    st.session_state["suggestion"] = suggest_meeting_places(territory, scores.segments, teams_from_document(territory), int(count),
                                                                            problem_options={"addresses": territory.addresses})
            except CanvassError as error:
                show_error(error, "Suggestion impossible")
        suggestion = st.session_state.get("suggestion")
        if suggestion is None:
            return
        table = suggestion.table()
        st.dataframe(table.assign(**{"Valeur à portée": table["Valeur à portée"].map(lambda v: number(v, 1)),
                                     "Portes à portée": table["Portes à portée"].map(number)}).drop(columns=["Latitude", "Longitude"]),
                     hide_index=True, key="suggestion_table")
        if st.button("Accepter ces lieux pour les équipes", key="accept_places"):
            extra, _ = document("places", {})
            extra = extra | {name: [float(x), float(y)] for name, (x, y) in suggestion.places_by_name().items()}
            if save("places", extra) and save("teams", suggestion.team_rows()):
                st.session_state.pop("suggestion", None)
                st.success("Lieux acceptés : chaque équipe part du lieu proposé.")
                st.rerun()


@st.cache_data(max_entries=4)
def place_candidates(path: str, stamp: float) -> pd.DataFrame:
    from canvass.outputs.pick import meeting_point_candidates

    return meeting_point_candidates(territory_at(path, stamp))


def pick_meeting_place(path: str, stamp: float) -> None:
    """Pick a polling place or a crossroads on a map of the streets; it becomes a meeting place the table offers."""
    import pydeck

    st.subheader("Choisir un lieu de rendez-vous sur la carte")
    candidates = place_candidates(path, stamp)
    colours = {"bureau": [200, 30, 45, 230], "carrefour": [40, 90, 170, 160]}
    data = candidates.assign(colour=candidates["kind"].map(colours), radius=candidates["kind"].map({"bureau": 30, "carrefour": 12}),
                             titre=candidates["name"])
    points = pydeck.Layer("ScatterplotLayer", id="lieux", data=data[["name", "titre", "lon", "lat", "colour", "radius"]], get_position=["lon", "lat"],
                          get_fill_color="colour", get_radius="radius", radius_min_pixels=4, pickable=True)
    labels = pydeck.Layer("TextLayer", id="noms", data=data.loc[data["kind"] == "bureau", ["name", "lon", "lat"]], get_position=["lon", "lat"],
                          get_text="name", get_size=12, get_color=[120, 20, 30, 255], get_pixel_offset=[0, -16], character_set="auto")
    event = area_map(path, stamp, key="place_map", height=480, extra=[points, labels], on_select=True)
    selection = (event or {}).get("selection") or {}
    chosen = ((selection.get("objects") or {}).get("lieux") or [None])[0]
    if chosen is None:
        st.caption("Bureaux de vote en rouge (avec leur nom), carrefours en bleu, sur le plan des rues : cliquez sur un point.")
        return
    st.write(f"Lieu choisi : **{chosen['name']}**")
    if st.button("Ajouter aux lieux de rendez-vous", key="add_place"):
        extra, _ = document("places", {})
        row = candidates[candidates["name"] == chosen["name"]].iloc[0]
        extra[chosen["name"]] = [float(row["x"]), float(row["y"])]
        if save("places", extra):
            st.success("Lieu ajouté : choisissez-le dans la colonne Rendez-vous.")


def meeting_places(territory) -> dict[str, tuple[float, float]]:
    """Polling places, plus the places organisers picked on the map or accepted."""
    from canvass.plan.teams import polling_places

    extra, _ = document("places", {})
    return polling_places(territory.bureaux) | {name: tuple(xy) for name, xy in extra.items()}


def default_teams(places: dict) -> list[dict]:
    first = list(places)[:3]
    return [{"nom": f"Équipe {i + 1}", "taille": 2, "rendez_vous": first[i % len(first)], "adresse": "", "minutes": 120,
             "vitesse_kmh": 3.5, "minutes_par_porte": 1.0} for i in range(6)]


def teams_from_document(territory) -> list:
    from canvass.plan.teams import teams_from_rows

    places = meeting_places(territory)
    return teams_from_rows(document("teams", default_teams(places))[0], places, territory.addresses)


def place_names() -> dict[str, str]:
    """Team name → meeting place as the organiser chose it ('Bureau 1 – Mairie', an address), from the teams table."""
    rows, _ = document("teams", None)
    if rows is None:  # the default teams, never edited: named after the territory's first polling places
        territory, _ = document("territory")
        rows = default_teams(meeting_places(territory_at(territory["path"], mtime(Path(territory["path"]))))) if territory else []
    names = {}
    for row in rows or []:
        place = row.get("adresse") if isinstance(row.get("adresse"), str) and row.get("adresse").strip() else row.get("rendez_vous")
        if isinstance(place, str) and place.strip():
            names[str(row.get("nom") or "").strip()] = place.strip()
    return names


def named(teams: list) -> list:
    """Teams of a saved plan with their meeting places' names (plan files keep the point, the teams table the name)."""
    names = place_names()
    return [team if team.place_name else replace(team, place_name=names.get(team.name, "")) for team in teams]


# ----------------------------------------------------------------------------- Plan


PLAN_HEADERS = {"team": "Équipe", "n_segments": "Étapes", "n_doors": "Portes", "value": "Valeur", "minutes_walking": "Marche (min)",
                "minutes_knocking": "Porte-à-porte (min)", "minutes": "Total (min)", "budget_minutes": "Budget (min)", "distance_km": "Distance (km)"}


def french_plan_table(table: pd.DataFrame) -> pd.DataFrame:
    """A plan's per-team table with French headers and numbers."""
    decimals = {"value": 1, "distance_km": 2}
    shown = pd.DataFrame({column: table[column] if column == "team" else table[column].map(lambda v, d=decimals.get(column, 0): number(v, d))
                          for column in PLAN_HEADERS if column in table.columns})
    return shown.rename(columns=PLAN_HEADERS)


def page_plan() -> None:
    st.header("Plan")
    from canvass.plan.io import load_plan, save_plan
    from canvass.plan.job import PlanJob
    from canvass.plan.problem import build_problem

    key = current_territory()
    territory = territory_at(*key)
    strategy, _ = document("strategy", DEFAULT_STRATEGY)
    scores_key = (*key, strategy["strategy"], tuple(strategy["camp"]), strategy["decay"], strategy["census_weight"])
    try:
        scores = scores_for(*scores_key)
    except CanvassError as error:
        show_error(error, "Priorités impossibles à calculer (changez le camp sur la page Priorités)")
        return
    for message in scores.warnings:
        st.warning(message)
    field, _ = document("field_done", [])
    adjust, _ = document("adjustments", {"locked": {}, "forbidden": []})
    held_back = experiment_section(territory, scores, strategy)
    if not len(territory.segments):
        st.error("Aucune rue dans ce territoire : aucun plan n’est possible. Ajoutez les rues d’OpenStreetMap (page Territoire, "
                 "« Télécharger une commune », ou un fichier OSM parmi les fichiers téléversés), puis reconstruisez le territoire.")
        return
    seconds = st.slider("Durée du calcul (secondes)", 5, 120, 20, 5, key="time_limit")
    try:
        teams = teams_from_document(territory)
        problem = build_problem(territory.segments, scores.segments, teams, addresses=territory.addresses, done=set(field),
                                forbidden=set(adjust["forbidden"]) | held_back, locked={int(k): v for k, v in adjust["locked"].items()})
    except CanvassError as error:
        show_error(error, "Plan impossible")
        return
    job: PlanJob | None = st.session_state.get("job")
    cols = st.columns(2)
    if cols[0].button("Lancer le calcul", key="run_plan", disabled=bool(job and not job.done)):
        st.session_state["job"] = job = PlanJob(problem, time_limit_s=seconds).start()
    if job and not job.done:
        if cols[1].button("Arrêter", key="stop_plan"):
            job.stop()
        show_progress(job)
    if job and job.done:
        if job.error:
            show_error(job.error, "Le calcul a échoué")
        elif job.plan is not None and st.session_state.get("saved_job") is not job:
            path = DATA / "plans" / f"plan_{CAMPAIGN}.gpkg"
            save_plan(job.plan, teams, territory, path, units=job.problem.units)
            unit_file(path).write_text(json.dumps([int(i) for i in job.problem.units["unit_id"]]))
            save("plan", {"path": str(path), "totals": job.plan.totals(), "scores_key": list(scores_key)})
            st.session_state["saved_job"] = job
    saved, _ = document("plan")
    if not saved or not Path(saved["path"]).exists():
        st.info("Aucun plan pour l’instant : lancez le calcul.")
        return
    plan, plan_teams, walks = load_plan(Path(saved["path"]))
    totals = plan.totals()
    cols = st.columns(4)
    cols[0].metric("Portes", number(totals["n_doors"]))
    cols[1].metric("Étapes", number(totals["n_segments"]))
    cols[2].metric("Part de marche", percent(totals["walking_share"]))
    cols[3].metric("Temps utilisé", percent(totals["budget_used"]))
    if totals.get("share_of_bound") is not None:
        st.caption(f"Ce plan atteint {round(100 * totals['share_of_bound'])} % du maximum théorique (ce que rapporterait tout le temps "
                   "des bénévoles si personne ne marchait entre les rues).")
    st.dataframe(french_plan_table(plan.table()), key="plan_table", hide_index=True)
    names = tuple(sorted(place_names().items()))
    st.iframe(overview_html(saved["path"], mtime(Path(saved["path"])), tuple(saved["scores_key"]), names, tuple(sorted(field))), height=620)
    adjust_section(problem, walks, plan_teams, adjust)
    calendar_section(territory, scores, teams, set(field), set(adjust["forbidden"]) | held_back)


def unit_file(plan_path: Path) -> Path:
    """The planning units' ids of a saved plan (what a field sheet may name), beside the plan file."""
    return Path(plan_path).with_suffix(".unites.json")


def adjust_section(problem, walks: pd.DataFrame, plan_teams: list, adjust: dict) -> None:
    """Reserve any street block of the territory to a team, or leave it out; then plan again."""
    with st.expander("Ajuster : réserver une rue à une équipe ou l’exclure, puis relancer"):
        units = problem.units
        team_of = dict(zip(walks["segment_id"].astype("int64"), walks["team"])) if len(walks) else {}
        labels = {int(u): f"{label}" + (f" — {team_of[int(u)]}" if int(u) in team_of else "")
                  for u, label in zip(units["unit_id"], units["label"].astype("string").fillna("Rue sans nom"))}
        options = sorted(labels, key=lambda u: labels[u])
        chosen = st.selectbox("Rue, bloc ou immeuble (tapez pour chercher)", options, format_func=labels.get, key="adjust_street",
                              index=None, placeholder="Tapez un nom de rue…")
        target = st.selectbox("Action", ["Réserver à…"] + [t.name for t in plan_teams] + ["Exclure du plan"], key="adjust_action")
        if st.button("Appliquer", key="adjust_apply") and chosen is not None and target != "Réserver à…":
            if target == "Exclure du plan":
                adjust["forbidden"] = sorted(set(adjust["forbidden"]) | {int(chosen)})
            else:
                adjust["locked"][str(int(chosen))] = target
            if save("adjustments", adjust):
                st.success("Ajustement enregistré : relancez le calcul.")
        count = len(adjust["locked"]) + len(adjust["forbidden"])
        if count:
            st.caption(f"{len(adjust['locked'])} réservation(s), {len(adjust['forbidden'])} exclusion(s) en cours.")
            if st.button("Annuler tous les ajustements", key="adjust_reset") and save("adjustments", {"locked": {}, "forbidden": []}):
                st.success("Ajustements annulés : relancez le calcul.")


def show_progress(job) -> None:
    @st.fragment(run_every=1.0)
    def poll():
        st.progress(min(1.0, job.fraction), "Recherche du meilleur parcours…")
        if job.done:
            st.rerun()

    poll()


def experiment_section(territory, scores, strategy: dict) -> set[int]:
    """Plan: hold back a random share of bureaux as witnesses (drawn and hashed before the campaign), then measure the effect.

    Returns the segments of the held-back bureaux, which the plan must not canvass.
    """
    from canvass.scores.camps import Camp
    from canvass.scores.experiment import Assignment, assign

    saved, _ = document("experiment")
    assignment = None
    with st.expander("Mesurer l’effet du porte-à-porte (bureaux témoins)"):
        st.caption("Avant la campagne, un tirage au sort met de côté une part des bureaux : on n’y frappe pas. Après l’élection, "
                   "la comparaison avec les bureaux prospectés mesure l’effet du porte-à-porte.")
        share = st.slider("Part des bureaux témoins (%)", 5, 50, 20, 5, key="exp_share")
        seed = st.number_input("Graine du tirage (notez-la : elle permet de refaire le même tirage)", min_value=0, max_value=2**31 - 1,
                               value=st.session_state.setdefault("exp_seed_default", secrets.randbelow(1_000_000)), step=1, key="exp_seed")
        if st.button("Tirer", key="exp_draw"):
            try:
                drawn = assign(scores.bureaux, share=share / 100, seed=int(seed), camp=Camp.parse(tuple(strategy["camp"])))
                path = drawn.write(DATA / "experiences" / f"experience_{slug(CAMPAIGN)}.json")
            except CanvassError as error:
                show_error(error, "Tirage impossible")
            else:
                if save("experiment", {"path": str(path), "sha256": drawn.sha256}):
                    saved = {"path": str(path), "sha256": drawn.sha256}
        if saved and Path(saved["path"]).exists():
            try:
                assignment = Assignment.read(Path(saved["path"]))
            except CanvassError as error:
                show_error(error, "Fichier du tirage illisible")
        if assignment is not None:
            held = assignment.held_back_ids
            st.markdown(f"**{len(held)} bureaux témoins — ne pas prospecter** : " + ", ".join(held))
            st.caption(f"Empreinte SHA-256 du tirage : `{assignment.sha256}` (à communiquer avant la campagne).")
            st.write(f"Effet détectable (puissance 80 %) : participation ±{number(100 * assignment.power.mde_turnout, 1)} pts, "
                     f"score du camp ±{number(100 * assignment.power.mde_share_camp, 1)} pts")
            st.download_button("Télécharger le tirage (JSON)", Path(saved["path"]).read_bytes(), file_name=Path(saved["path"]).name,
                               mime="application/json", key="exp_download")
            evaluate_section(territory, strategy)
    if assignment is None:
        return set()
    segments = territory.segments
    return {int(s) for s in segments.loc[segments["bureau_id"].isin(assignment.held_back_ids), "segment_id"]}


def evaluate_section(territory, strategy: dict) -> None:
    """After the election: the assignment file read back (hash checked) and the effect estimated on the territory's results."""
    from canvass.scores.camps import Camp
    from canvass.scores.experiment import Assignment, evaluate
    from canvass.territory.report import election_name

    st.markdown("**Après l’élection** : reconstruisez le territoire avec ses résultats, puis téléversez le tirage.")
    upload = st.file_uploader("Fichier du tirage (JSON)", type="json", key="exp_upload")
    elections = sorted(territory.results["election"].unique()) if len(territory.results) else []
    election = st.selectbox("Élection à évaluer", elections, format_func=election_name, key="exp_election", index=len(elections) - 1 if elections else None)
    if upload is None or election is None or not st.button("Évaluer", key="exp_evaluate"):
        return
    path = DATA / "imports" / f"tirage_{secrets.token_hex(4)}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(upload.getvalue())
    try:
        table = evaluate(Assignment.read(path), territory.results, election=election, camp=Camp.parse(tuple(strategy["camp"])))
    except CanvassError as error:
        show_error(error, "Évaluation impossible")
        return
    finally:
        path.unlink(missing_ok=True)
    outcomes = {"turnout": "la participation", "share_camp": "le score du camp"}
    methods = {"difference in means (stratified)": "différence de moyennes par strate",
               "regression on pre-election figures": "régression sur les chiffres d’avant l’élection"}
    for row in table.itertuples():
        verdict = " — non concluant" if abs(row.estimate) < row.mde_before else ""
        st.write(f"Effet estimé sur {outcomes.get(row.outcome, row.outcome)} ({methods.get(row.method, row.method)}) : "
                 f"{'+' if row.estimate >= 0 else '−'}{number(abs(100 * row.estimate), 1)} pts "
                 f"[{number(100 * row.low, 1)} ; {number(100 * row.high, 1)}]{verdict}")


SESSION_COLUMNS = {"date": st.column_config.DateColumn("Date", format="DD/MM/YYYY", required=True),
                   "heure": st.column_config.TextColumn("Heure (ex. 10h00)"),
                   "equipes": st.column_config.NumberColumn("Équipes", min_value=1, step=1)}


def calendar_section(territory, scores, teams: list, done: set, forbidden: set) -> None:
    """Plan: several sessions planned in date order on what the earlier ones leave, re-planned after the field log."""
    from canvass.plan.calendar import plan_calendar, replan_calendar, sessions_from_table

    with st.expander("Calendrier : planifier plusieurs séances"):
        saved, _ = document("sessions", None)
        today = date.today()
        rows = saved or [{"date": (today + timedelta(days=7 * k)).isoformat(), "heure": "10h00", "equipes": len(teams)} for k in (1, 2)]
        frame = pd.DataFrame(rows).assign(date=lambda f: pd.to_datetime(f["date"]).dt.date)
        edited = st.data_editor(frame, num_rows="dynamic", hide_index=True, key="sessions_editor", column_config=SESSION_COLUMNS)
        seconds = st.slider("Durée du calcul par séance (secondes)", 5, 60, 10, 5, key="calendar_seconds")
        job: Background | None = st.session_state.get("calendar_job")
        options = {"addresses": territory.addresses}
        cols = st.columns(2)
        if cols[0].button("Planifier les séances", key="plan_calendar", disabled=bool(job and not job.done)):
            records = [{"date": row["date"].isoformat() if hasattr(row["date"], "isoformat") else str(row["date"]), "heure": row["heure"] or "",
                        "equipes": int(row["equipes"] or len(teams))} for row in edited.dropna(subset=["date"]).to_dict("records")]
            text = pd.DataFrame([{"date": pd.Timestamp(r["date"]).strftime("%d/%m/%Y"), "heure": r["heure"], "equipes": str(r["equipes"])} for r in records],
                                columns=["date", "heure", "equipes"])
            try:
                sessions = sessions_from_table(text, teams=teams, addresses=territory.addresses)
            except CanvassError as error:
                show_error(error, "Séances illisibles")
                sessions = None
            if sessions:
                save_if_changed("sessions", records)
                st.session_state["calendar_job"] = job = Background(lambda progress, stop: plan_calendar(
                    territory, scores.segments, sessions, done=done, forbidden=forbidden, problem_options=options, time_limit_s=seconds,
                    on_progress=progress, should_stop=stop)).start()
        calendar = job.result if job and job.done and job.error is None else None
        if calendar is not None and done and cols[1].button("Replanifier après le terrain", key="replan_calendar"):
            st.session_state["calendar_job"] = job = Background(lambda progress, stop: replan_calendar(
                calendar, territory, scores.segments, done=done, now=datetime.now(), forbidden=forbidden, problem_options=options,
                time_limit_s=seconds, on_progress=progress, should_stop=stop)).start()
        if job and not job.done:
            show_progress(job)
            return
        if job and job.error:
            show_error(job.error, "Calendrier impossible")
            return
        if job is None or job.result is None:
            return
        calendar = job.result
        table = calendar.table()
        st.dataframe(table.assign(Portes=table["Portes"].map(number), Valeur=table["Valeur"].map(lambda v: number(v, 1)),
                                  **{"Marche (%)": table["Marche (%)"].map(number)}), hide_index=True, key="calendar_table")
        index = st.selectbox("Séance à voir sur la carte", range(len(calendar.sessions)), key="calendar_session",
                             format_func=lambda i: f"Séance {i + 1} : {calendar.sessions[i].session.label()}")
        st.iframe(session_map(calendar, index, territory, scores), height=560)


def session_map(calendar, index: int, territory, scores) -> str:
    """One session of the calendar on the overview map (its units cut for its own teams, as the calendar planned them)."""
    from canvass.outputs.maps import overview_map
    from canvass.plan.io import walks_frame
    from canvass.plan.problem import build_problem

    cache = st.session_state.setdefault("session_maps", {})
    item = calendar.sessions[index]
    if (id(calendar), index) not in cache:
        teams = list(item.session.teams)
        units = build_problem(territory.segments, scores.segments, teams, addresses=territory.addresses).units
        cache[(id(calendar), index)] = overview_map(item.plan, named(teams), walks_frame(item.plan, units), territory, scores.bureaux.reset_index())
    return cache[(id(calendar), index)]


# ----------------------------------------------------------------------------- Partager


def page_share() -> None:
    st.header("Partager")
    data_protection()
    from canvass.outputs.export import PRIVATE, PUBLIC, export_bundle
    from canvass.plan.io import load_plan

    saved, _ = document("plan")
    if not saved or not Path(saved["path"]).exists():
        st.info("Faites d’abord un plan (page Plan).")
        return
    from canvass.serve.links import share_target
    from canvass.serve.publish import publish

    try:
        target = share_target(os.environ, st.context.url)
    except CanvassError as error:
        show_error(error, "Adresse publique inconnue : définissez CANVASS_PUBLIC_URL (https://…) ou CANVASS_TEAM_PAGES_URL")
        return
    st.caption(f"Les liens des équipes commenceront par {target.base_url}/")
    session_label = st.text_input("Séance (imprimée sur les feuilles)", key="session_label", placeholder="samedi 14 mars, 10 h")
    folder = DATA / "partage"
    if st.button("Préparer les cartes et les feuilles", key="export"):
        plan, teams, walks = load_plan(Path(saved["path"]))
        key = tuple(saved["scores_key"])
        bar = st.progress(0.0, "Préparation des cartes et des feuilles…")
        try:
            bundle = export_bundle(plan, named(teams), walks, folder, territory=territory_at(key[0], key[1]),
                                   bureau_scores=scores_for(*key).bureaux.reset_index(), base_url=target.base_url,
                                   field_api=target.field_api, session=session_label,
                                   on_progress=lambda f, m: bar.progress(min(1.0, f), f"Préparation : {m}"))
            if target.static:  # served by the app itself: a volunteer's open costs a file read, never a script run
                publish(bundle.folder, STATIC)
        except StorageError as error:
            st.error(error.french)
        except CanvassError as error:
            show_error(error, "Partage impossible")
        else:
            save("share", {"links": bundle.links, "base_url": target.base_url})
    share, _ = document("share")
    if not share:
        return
    for item in share["links"].values():
        cols = st.columns([3, 2, 2])
        cols[0].markdown(f"**{item['team']}** — lien à envoyer :")
        cols[0].code(item["link"])
        sheet = folder / item["sheet"]
        if sheet.exists():
            cols[1].download_button("Feuille (PDF)", sheet.read_bytes(), file_name=f"feuille_{slug(item['team'])}.pdf", key=f"sheet_{item['token']}")
        page = folder / item["map"]
        if page.exists():
            cols[2].download_button("Carte (HTML)", page.read_bytes(), file_name=f"carte_{slug(item['team'])}.html", key=f"map_{item['token']}")
    booklet = folder / PRIVATE / "carnet.pdf"
    if booklet.exists():
        st.download_button("Carnet de toutes les feuilles (PDF)", booklet.read_bytes(), file_name="carnet.pdf", key="booklet")
    cols = st.columns(2)
    if (folder / PUBLIC).exists():
        cols[0].download_button("Dossier public à mettre en ligne (ZIP)", zip_folder(folder / PUBLIC), file_name="porte-a-porte-public.zip",
                                key="bundle_zip")
    if (folder / PRIVATE).exists():
        cols[1].download_button("Dossier de l’organisateur (ZIP, à ne pas publier)", zip_folder(folder / PRIVATE),
                                file_name="porte-a-porte-organisateur.zip", key="private_zip")


def data_protection() -> None:
    """Partager: the processing record to download, and the erasure of old field entries (RGPD)."""
    from canvass.campaign.purge import purge
    from canvass.campaign.registre import TO_FILL, processing_record, record_html, record_markdown
    from canvass.errors import StorageError

    with st.expander("Protection des données (RGPD)"):
        controller = st.text_input("Organisme responsable du traitement", key="rgpd_controller")
        contact = st.text_input("Contact pour l’exercice des droits (courriel)", key="rgpd_contact")
        sections = processing_record(store(), campaign(), controller=controller or TO_FILL, contact=contact or TO_FILL)
        cols = st.columns(2)
        cols[0].download_button("Registre des traitements (HTML)", record_html(sections), file_name="registre_traitements.html",
                                mime="text/html", key="registre_html")
        cols[1].download_button("Registre des traitements (Markdown)", record_markdown(sections), file_name="registre_traitements.md",
                                key="registre_md")
        before = st.date_input("Effacer les relevés de terrain enregistrés avant le", value=date.today() - timedelta(days=183),
                               format="DD/MM/YYYY", key="purge_before")
        if st.button("Effacer ces relevés", key="purge_field"):
            try:
                st.success(f"{purge(store(), campaign(), before=before)} relevé(s) de terrain effacé(s).")
            except StorageError as error:
                st.error(error.french)


def zip_folder(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder))
    return buffer.getvalue()


# ----------------------------------------------------------------------------- Terrain


# The counts asked per step, in the order of the walk sheet's tally columns.
COUNT_COLUMNS = {"frappees": "Frappées", "ouvertes": "Ouvertes", **{key: label for key, label in OUTCOME_LABELS.items()}}


def field_table(mine: pd.DataFrame, logged: set[int]) -> pd.DataFrame:
    """One row per step of a team's walk: its label (never an id), the doors planned, whether it was entered, and blank counts."""
    from canvass.outputs._common import step_label

    return pd.DataFrame({
        "etape": mine["order"].astype(int).to_numpy(),
        "rue": [step_label(row) for _, row in mine.iterrows()],
        "portes": mine["n_doors"].map(number).to_numpy(),
        "deja": ["oui" if int(unit) in logged else "" for unit in mine["segment_id"]],
        "faite": False,
        **{column: 0 for column in COUNT_COLUMNS},
    }, index=mine["segment_id"].astype("int64").to_numpy())


FIELD_COLUMNS = {
    "etape": st.column_config.NumberColumn("N°", width=40),
    "rue": st.column_config.TextColumn("Rue, bloc ou immeuble", width=300),
    "portes": st.column_config.TextColumn("Portes", width=55),
    "deja": st.column_config.TextColumn("Saisie", width=60, help="« oui » : l’étape a déjà une saisie (de cette séance ou d’une autre)"),
    "faite": st.column_config.CheckboxColumn("Faite", width=50),
    **{column: st.column_config.NumberColumn(label, min_value=0, step=1, width=72) for column, label in COUNT_COLUMNS.items()},
}


def field_entries(edited: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The rows to record (ticked, or with a count) and, in French, what does not add up."""
    counts = edited[list(COUNT_COLUMNS)].fillna(0).astype(int)
    rows = edited[edited["faite"].fillna(False).astype(bool) | (counts.sum(axis=1) > 0)]
    counts = counts.loc[rows.index]
    problems = []
    for unit, row in counts.iterrows():
        label = edited.at[unit, "rue"]
        if row["ouvertes"] > row["frappees"]:
            problems.append(f"{label} : {row['ouvertes']} portes ouvertes pour {row['frappees']} frappées.")
        if row[list(OUTCOME_LABELS)].sum() > row["ouvertes"]:
            problems.append(f"{label} : soutien, indécis et opposant ({row[list(OUTCOME_LABELS)].sum()}) dépassent les portes ouvertes ({row['ouvertes']}).")
    return rows.assign(**{column: counts[column] for column in COUNT_COLUMNS}), problems


def page_field() -> None:
    st.header("Terrain")
    from canvass.errors import StorageError
    from canvass.field.log import french_progress, progress_by_team
    from canvass.plan.io import load_plan

    saved, _ = document("plan")
    if not saved or not Path(saved["path"]).exists():
        st.info("Faites d’abord un plan (page Plan).")
        return
    plan, teams, walks = load_plan(Path(saved["path"]))
    log = store().field_log(campaign())
    st.subheader("Saisir une séance")
    cols = st.columns(2)
    team = cols[0].selectbox("Équipe", [t.name for t in teams], key="field_team")
    session = cols[1].text_input("Séance", value=f"séance du {date.today():%d/%m/%Y}", key="field_session")
    mine = walks[walks["team"] == team].sort_values("order")
    st.caption("Une ligne par étape de la feuille de route : cochez « Faite » et reportez les colonnes de la feuille "
               "(portes frappées, ouvertes, puis soutien, indécis, opposant parmi les portes ouvertes).")
    edited = st.data_editor(field_table(mine, set(log["segment_id"].astype("int64"))), key=f"field_editor_{team}", hide_index=True,
                            column_config=FIELD_COLUMNS, disabled=["etape", "rue", "portes", "deja"], num_rows="fixed")
    if st.button("Enregistrer la séance", key="field_save"):
        rows, problems = field_entries(edited)
        for problem in problems:
            st.error(problem)
        if rows.empty and not problems:
            st.warning("Rien à enregistrer : cochez les étapes faites ou saisissez leurs chiffres.")
        if not rows.empty and not problems:
            try:
                for unit, row in rows.iterrows():
                    store().log_field(campaign(), session=session.strip() or "séance", team=team, segment_id=int(unit),
                                      doors_knocked=int(row["frappees"]), doors_opened=int(row["ouvertes"]),
                                      outcomes={key: int(row[key]) for key in OUTCOME_LABELS}, author=author())
            except StorageError as error:
                st.error(error.french)
            except CanvassError as error:
                show_error(error, "Enregistrement impossible")
            else:
                save("field_done", sorted(int(i) for i in store().done_segments(campaign())))
                st.success(f"{len(rows)} étape(s) enregistrée(s).")
                log = store().field_log(campaign())
    upload = st.file_uploader("Ou importer une feuille de terrain (CSV : equipe, segment_id, portes_frappees, portes_ouvertes, …)", type="csv",
                              key="field_csv")
    if upload is not None and st.button("Importer le CSV", key="field_import"):
        path = DATA / "imports" / Path(upload.name).name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(upload.getvalue())
        known = set(walks["segment_id"].astype("int64")) if len(walks) else set()
        if unit_file(Path(saved["path"])).exists():
            known |= set(json.loads(unit_file(Path(saved["path"])).read_text()))
        key = tuple(saved["scores_key"])
        known |= set(territory_at(key[0], key[1]).segments["segment_id"].astype("int64"))
        try:
            store().import_field_csv(campaign(), path, session=f"import {upload.name}", author=author(), segments=sorted(known))
            save("field_done", sorted(int(i) for i in store().done_segments(campaign())))
            st.success("Import terminé.")
            log = store().field_log(campaign())
        except StorageError as error:
            st.error(error.french)
        except CanvassError as error:
            show_error(error, "Import impossible")
    st.subheader("Avancement par équipe")
    st.dataframe(french_progress(progress_by_team(log, plan)), key="progress_team", hide_index=True)
    st.caption("La prochaine séance se planifie sur ce qui reste : les étapes faites sont exclues du calcul (page Plan).")


# ----------------------------------------------------------------------------- main


def main() -> None:
    st.set_page_config(page_title="canvass — porte-à-porte", page_icon="🚪", layout="wide", menu_items={})
    token = st.query_params.get("equipe")
    if token:
        volunteer_view(str(token))
        return
    if not login():
        return
    if ticket := st.session_state.pop("set_cookie", None):
        from canvass.serve.session import cookie_script

        st.html(cookie_script(ticket, secure=(st.context.url or "").startswith("https://")), unsafe_allow_javascript=True)
    st.html(FRENCH_CHROME)
    DATA.mkdir(parents=True, exist_ok=True)
    page = st.sidebar.radio("Étapes", PAGES, key="page")
    st.sidebar.caption(f"Campagne « {CAMPAIGN} » — {author()}")
    st.sidebar.caption("Données agrégées uniquement (bureau, IRIS, rue) : aucun profil individuel d’électeur.")
    show = {"Territoire": page_territory, "Priorités": page_priorities, "Équipes": page_teams, "Plan": page_plan,
            "Partager": page_share, "Terrain": page_field}[page]
    try:
        show()
    except CanvassError as error:
        show_error(error)
    except Exception:  # never a traceback for the organiser: a French message here, the details in the server's log
        LOG.exception("page %s failed", page)
        st.error(f"{UNEXPECTED} Réessayez ; si l’erreur revient, transmettez l’heure ({datetime.now():%d/%m/%Y %H:%M}) "
                 "à la personne qui gère le serveur : le détail est dans son journal.")


main()
