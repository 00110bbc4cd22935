"""canvass — the field organisers' app (Streamlit, in French).

A thin layer: widgets read choices, the ``canvass`` library does the work (the
same functions as the CLI), the page shows the result. Campaign state (choices,
teams, plans, field log) is saved as it changes in the campaign store: a SQLite
file by default, PostgreSQL when ``DATABASE_URL`` is set.

Run: ``CANVASS_PASSWORD=... streamlit run app.py``. Volunteers open
``?equipe=<token>`` links, which show their own team's map and nothing else.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pandas as pd
import streamlit as st

from canvass.errors import CanvassError

DATA = Path(os.environ.get("CANVASS_DATA", "data"))
DEMO = DATA / "demo"
CAMPAIGN = os.environ.get("CANVASS_CAMPAIGN", "demo")
PAGES = ("Territoire", "Priorités", "Équipes", "Plan", "Partager", "Terrain")
STRATEGIES = {"mobilisation": "Mobilisation (abstentionnistes du camp)", "persuasion": "Persuasion (bureaux serrés et mobiles)",
              "turnout": "Participation (tous les abstentionnistes)", "custom": "Mélange personnalisé"}


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
def overview_html(plan_path: str, mtime: float, scores_key: tuple) -> str:
    """The organiser's overview map, rendered once per plan (no rebuild on pan or zoom: it is static HTML)."""
    from canvass.outputs.maps import overview_map
    from canvass.plan.io import load_plan

    plan, teams, walks = load_plan(Path(plan_path))
    scores = scores_for(*scores_key)
    return overview_map(plan, teams, walks, territory_at(scores_key[0], scores_key[1]), scores.bureaux.reset_index())


# What the app saves, as (kind, key) documents of the campaign store.
DOCUMENTS = {
    "territory": ("territory", "current"), "strategy": ("strategy", "current"), "teams": ("teams", "current"),
    "plan": ("plan", "current"), "share": ("plan", "share"), "adjustments": ("plan", "adjustments"), "field_done": ("field", "done"),
    "places": ("teams", "places"),
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
        st.error(f"Modification concurrente : {error}. Rechargez la page pour voir la version enregistrée, puis refaites la modification.")
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
                st.rerun()
            else:
                st.error("Mot de passe incorrect.")
    return False


def volunteer_view(token: str) -> None:
    """A shared link: the team's own map, nothing else, no login."""
    from canvass.outputs.export import find_team_map

    page = find_team_map(DATA / "partage", token)
    if page is None:
        st.error("Lien inconnu ou expiré. Demandez le lien de votre équipe à l’organisation.")
        return
    st.iframe(page, height=760)


# ----------------------------------------------------------------------------- pages


def page_territory() -> None:
    st.header("Territoire")
    from canvass.territory.report import format_report, territory_report

    choice = st.radio("Données", ["Commune de démonstration (Plouvenec)", "Dossier de fichiers officiels"], key="territory_source", horizontal=True)
    if choice.startswith("Commune"):
        path = DEMO / "territory.gpkg"
        if not path.exists() and st.button("Créer la commune de démonstration", key="make_demo"):
            build_demo(path)
    else:
        folder = st.text_input("Dossier (fichiers de la commune : bureaux, résultats, IRIS, rues…)", key="folder")
        commune = st.text_input("Code(s) INSEE, séparés par des virgules", key="commune")
        path = DATA / f"territoire_{commune.replace(',', '_').strip() or 'x'}.gpkg"
        if st.button("Importer", key="import") and folder and commune:
            from canvass.territory.build import build_territory
            from canvass.territory.io import save_territory

            bar = st.progress(0.0, "Import…")
            try:
                territory = build_territory(Path(folder), [c.strip() for c in commune.split(",")], on_progress=lambda f, m: bar.progress(f, m))
            except CanvassError as error:
                st.error(str(error))
                return
            save_territory(territory, path)
    if not path.exists():
        st.info("Aucun territoire pour l’instant.")
        return
    if save_if_changed("territory", {"path": str(path)}):
        st.session_state.pop("plan_path", None)
    territory = territory_at(str(path), mtime(path))
    report = territory_report(territory)
    cols = st.columns(4)
    cols[0].metric("Bureaux de vote", report["bureaux"]["n"])
    cols[1].metric("Rues (segments)", report["streets"]["n_segments"])
    cols[2].metric("Portes", f"{report['doors']['n_doors']:.0f}")
    cols[3].metric("Scrutins", len(report["results"]))
    for message in report.get("alerts", []):
        st.error(message)
    st.text(format_report(report))
    for message in report["warnings"]:
        st.warning(message)


def build_demo(path: Path) -> None:
    from canvass.demo import DEMO_COMMUNE, write_demo
    from canvass.territory.build import build_territory
    from canvass.territory.io import save_territory

    bar = st.progress(0.0, "Génération de la commune de démonstration…")
    write_demo(path.parent)
    save_territory(build_territory(path.parent, [DEMO_COMMUNE], on_progress=lambda f, m: bar.progress(f, m)), path)


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


def page_priorities() -> None:
    st.header("Priorités")
    key = current_territory()
    saved, _ = document("strategy", {"strategy": "mobilisation", "camp": ["gauche"], "decay": 0.5, "census_weight": 0.0})
    strategy = st.selectbox("Stratégie", list(STRATEGIES), format_func=STRATEGIES.get, index=list(STRATEGIES).index(saved["strategy"]), key="strategy")
    camp = st.text_input("Notre camp (famille, nuances ou noms ; ELECTION=… pour un scrutin)", ", ".join(saved["camp"]), key="camp",
                         help="Familles : gauche, ecologistes, centre, droite, extreme_droite, divers. Ex. : 2017_pres=MACRON, 2020_muni=SEBBAH")
    decay = st.slider("Poids de chaque scrutin plus ancien", 0.1, 1.0, float(saved["decay"]), 0.1, key="decay")
    census = st.slider("Part du modèle de recensement dans la part du camp", 0.0, 1.0, float(saved["census_weight"]), 0.1, key="census")
    specs = tuple(item.strip() for item in camp.split(",") if item.strip())
    choice = {"strategy": strategy, "camp": list(specs), "decay": decay, "census_weight": census}
    try:
        scores = scores_for(*key, strategy, specs, decay, census)
    except CanvassError as error:
        st.error(str(error))
        return
    save_if_changed("strategy", choice)
    for message in scores.warnings:
        st.warning(message)
    from canvass.scores.score import displayed

    table = displayed(scores.bureaux)
    st.subheader("Bureaux par priorité")
    st.dataframe(table[["score", "rank", "priority", "n_doors", "n_registered", "share_abstention", "share_camp"]].rename(columns={
        "score": "Score", "rank": "Rang", "priority": "Priorité", "n_doors": "Portes", "n_registered": "Inscrits",
        "share_abstention": "Abstention", "share_camp": "Part du camp"}), key="scores_table")
    for name, model in scores.models.items():
        st.caption(f"Modèle de recensement ({name}) : R² hors échantillon {model.r2_cv:.2f}, erreur moyenne {model.mae_cv:.3f}")


def page_teams() -> None:
    st.header("Équipes")
    path, stamp = current_territory()
    territory = territory_at(path, stamp)
    places = meeting_places(territory)
    saved, _ = document("teams", None)
    if saved is None:
        saved = default_teams(places)
    frame = pd.DataFrame(saved)
    edited = st.data_editor(
        frame,
        num_rows="dynamic",
        key="teams_editor",
        column_config={
            "nom": st.column_config.TextColumn("Équipe", required=True),
            "taille": st.column_config.NumberColumn("Volontaires", min_value=1, step=1),
            "rendez_vous": st.column_config.SelectboxColumn("Rendez-vous", options=list(places)),
            "adresse": st.column_config.TextColumn("ou adresse (n° et rue)"),
            "minutes": st.column_config.NumberColumn("Minutes", min_value=10, step=10),
            "vitesse_kmh": st.column_config.NumberColumn("Vitesse (km/h)", min_value=1.0, step=0.5),
            "minutes_par_porte": st.column_config.NumberColumn("Minutes par porte", min_value=0.2, step=0.1),
        },
    )
    records = edited.to_dict("records")
    if records != saved and st.button("Enregistrer les équipes", key="save_teams"):
        if save("teams", records):
            st.success("Équipes enregistrées.")
    pick_meeting_place(path, stamp)


@st.cache_data(max_entries=4)
def place_candidates(path: str, stamp: float) -> pd.DataFrame:
    from canvass.outputs.pick import meeting_point_candidates

    return meeting_point_candidates(territory_at(path, stamp))


def pick_meeting_place(path: str, stamp: float) -> None:
    """Pick a polling place or a crossroads on the map; it becomes a meeting place the table offers."""
    import pydeck

    st.subheader("Choisir un lieu de rendez-vous sur la carte")
    candidates = place_candidates(path, stamp)
    colours = {"bureau": [200, 30, 45, 230], "carrefour": [40, 90, 170, 160]}
    data = candidates.assign(colour=candidates["kind"].map(colours), radius=candidates["kind"].map({"bureau": 30, "carrefour": 12}))
    layer = pydeck.Layer("ScatterplotLayer", id="lieux", data=data[["name", "lon", "lat", "colour", "radius"]], get_position=["lon", "lat"],
                         get_fill_color="colour", get_radius="radius", radius_min_pixels=4, pickable=True)
    view = pydeck.ViewState(longitude=float(data["lon"].mean()), latitude=float(data["lat"].mean()), zoom=13)
    event = st.pydeck_chart(pydeck.Deck(layers=[layer], initial_view_state=view, map_style=None, tooltip={"text": "{name}"}),
                            on_select="rerun", selection_mode="single-object", key="place_map", height=420)
    selection = (event or {}).get("selection") or {}
    chosen = ((selection.get("objects") or {}).get("lieux") or [None])[0]
    if chosen is None:
        st.caption("Bureaux de vote en rouge, carrefours en bleu : cliquez sur un point.")
        return
    st.write(f"Lieu choisi : **{chosen['name']}**")
    if st.button("Ajouter aux lieux de rendez-vous", key="add_place"):
        extra, _ = document("places", {})
        row = candidates[candidates["name"] == chosen["name"]].iloc[0]
        extra[chosen["name"]] = [float(row["x"]), float(row["y"])]
        if save("places", extra):
            st.success("Lieu ajouté : choisissez-le dans la colonne Rendez-vous.")

def meeting_places(territory) -> dict[str, tuple[float, float]]:
    """Polling places, plus the places organisers picked on the map."""
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


def page_plan() -> None:
    st.header("Plan")
    from canvass.plan.io import load_plan, save_plan
    from canvass.plan.job import PlanJob
    from canvass.plan.problem import build_problem

    key = current_territory()
    territory = territory_at(*key)
    strategy, _ = document("strategy", {"strategy": "mobilisation", "camp": ["gauche"], "decay": 0.5, "census_weight": 0.0})
    scores_key = (*key, strategy["strategy"], tuple(strategy["camp"]), strategy["decay"], strategy["census_weight"])
    try:
        scores = scores_for(*scores_key)
    except CanvassError as error:
        st.error(f"Priorités impossibles à calculer : {error}. Changez le camp sur la page Priorités.")
        return
    for message in scores.warnings:
        st.warning(message)
    field, _ = document("field_done", [])
    adjust, _ = document("adjustments", {"locked": {}, "forbidden": []})
    seconds = st.slider("Durée du calcul (secondes)", 5, 120, 20, 5, key="time_limit")
    try:
        teams = teams_from_document(territory)
        problem = build_problem(territory.segments, scores.segments, teams, done=set(field),
                                forbidden=set(adjust["forbidden"]), locked={int(k): v for k, v in adjust["locked"].items()})
    except CanvassError as error:
        st.error(str(error))
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
            st.error(str(job.error))
        elif job.plan is not None and st.session_state.get("saved_job") is not job:
            path = DATA / "plans" / f"plan_{CAMPAIGN}.gpkg"
            save_plan(job.plan, teams, territory, path)
            save("plan", {"path": str(path), "totals": job.plan.totals(), "scores_key": list(scores_key)})
            st.session_state["saved_job"] = job
    saved, _ = document("plan")
    if not saved or not Path(saved["path"]).exists():
        st.info("Aucun plan pour l’instant : lancez le calcul.")
        return
    plan, plan_teams, walks = load_plan(Path(saved["path"]))
    totals = plan.totals()
    cols = st.columns(4)
    cols[0].metric("Portes", f"{totals['n_doors']:.0f}")
    cols[1].metric("Rues", totals["n_segments"])
    cols[2].metric("Part de marche", f"{totals['walking_share']:.0%}")
    cols[3].metric("Temps utilisé", f"{totals['budget_used']:.0%}")
    st.dataframe(plan.table().rename(columns={"team": "Équipe", "n_segments": "Rues", "n_doors": "Portes", "value": "Valeur",
                                              "minutes_walking": "Marche (min)", "minutes_knocking": "Porte-à-porte (min)",
                                              "minutes": "Total (min)", "budget_minutes": "Budget (min)", "distance_km": "Distance (km)"}), key="plan_table")
    st.iframe(overview_html(saved["path"], mtime(Path(saved["path"])), tuple(saved["scores_key"])), height=620)
    with st.expander("Ajuster : réserver une rue à une équipe ou l’exclure, puis relancer"):
        streets = {f"{r.street_name} (n° {r.segment_id}, {r.team})": int(r.segment_id) for r in walks.itertuples()}
        chosen = st.selectbox("Rue", list(streets), key="adjust_street")
        target = st.selectbox("Action", ["Réserver à…"] + [t.name for t in plan_teams] + ["Exclure du plan"], key="adjust_action")
        if st.button("Appliquer", key="adjust_apply") and chosen and target != "Réserver à…":
            if target == "Exclure du plan":
                adjust["forbidden"] = sorted(set(adjust["forbidden"]) | {streets[chosen]})
            else:
                adjust["locked"][str(streets[chosen])] = target
            if save("adjustments", adjust):
                st.success("Ajustement enregistré : relancez le calcul.")


def show_progress(job) -> None:
    @st.fragment(run_every=1.0)
    def poll():
        st.progress(min(1.0, job.fraction), f"Recherche… {job.message}")
        if job.done:
            st.rerun()

    poll()


def page_share() -> None:
    st.header("Partager")
    data_protection()
    from canvass.outputs.export import export_bundle
    from canvass.plan.io import load_plan

    saved, _ = document("plan")
    if not saved or not Path(saved["path"]).exists():
        st.info("Faites d’abord un plan (page Plan).")
        return
    base_url = st.text_input("Adresse où le dossier sera publié (HTTPS)", key="base_url", placeholder="https://exemple.org/porte-a-porte")
    session_label = st.text_input("Séance (imprimée sur les feuilles)", key="session_label", placeholder="samedi 14 mars, 10 h")
    folder = DATA / "partage"
    if st.button("Préparer les cartes et les feuilles", key="export"):
        plan, teams, walks = load_plan(Path(saved["path"]))
        key = tuple(saved["scores_key"])
        bundle = export_bundle(plan, teams, walks, folder, territory=territory_at(key[0], key[1]),
                               bureau_scores=scores_for(*key).bureaux.reset_index(), base_url=base_url or None, session=session_label)
        save("share", {"links": bundle.links})
    share, _ = document("share")
    if not share:
        return
    for item in share["links"].values():
        cols = st.columns([3, 2, 2])
        cols[0].markdown(f"**{item['team']}** — lien à envoyer :")
        cols[0].code(item["link"] if base_url else f"?equipe={item['token']}")
        sheet = folder / item["sheet"]
        if sheet.exists():
            cols[1].download_button("Feuille (PDF)", sheet.read_bytes(), file_name=f"feuille_{item['token']}.pdf", key=f"sheet_{item['token']}")
        page = folder / item["map"]
        if page.exists():
            cols[2].download_button("Carte (HTML)", page.read_bytes(), file_name=item["map"], key=f"map_{item['token']}")
    if (folder / "carnet.pdf").exists():
        st.download_button("Carnet de toutes les feuilles (PDF)", (folder / "carnet.pdf").read_bytes(), file_name="carnet.pdf", key="booklet")
    st.download_button("Tout le dossier (ZIP)", zip_folder(folder), file_name="partage.zip", key="bundle_zip")


def data_protection() -> None:
    """Partager: the processing record to download, and the erasure of old field entries (RGPD)."""
    from datetime import date, timedelta

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


def page_field() -> None:
    st.header("Terrain")
    from canvass.errors import StorageError
    from canvass.field.log import progress_by_team
    from canvass.plan.io import load_plan

    saved, _ = document("plan")
    if not saved or not Path(saved["path"]).exists():
        st.info("Faites d’abord un plan (page Plan).")
        return
    plan, teams, walks = load_plan(Path(saved["path"]))
    with st.form("field_form"):
        team = st.selectbox("Équipe", [t.name for t in teams], key="field_team")
        mine = walks[walks["team"] == team]
        streets = st.multiselect("Rues faites", [f"{r.order}. {r.street_name} (n° {r.segment_id})" for r in mine.itertuples()], key="field_streets")
        knocked = st.number_input("Portes frappées", min_value=0, step=1, key="field_knocked")
        opened = st.number_input("Portes ouvertes", min_value=0, step=1, key="field_opened")
        outcomes = {label: st.number_input(label.capitalize(), min_value=0, step=1, key=f"field_{label}") for label in ("soutien", "indecis", "opposant")}
        if st.form_submit_button("Enregistrer"):
            ids = [int(s.rsplit("n° ", 1)[1].rstrip(")")) for s in streets]
            try:
                for index, segment in enumerate(ids):
                    share = 1.0 if index == 0 else 0.0  # counts go with the first street; the others are marked done
                    store().log_field(campaign(), session="séance", team=team, segment_id=segment, doors_knocked=int(knocked * share),
                                      doors_opened=int(opened * share), outcomes={k: int(v * share) for k, v in outcomes.items()}, author=author())
            except StorageError as error:
                st.error(error.french)
            except CanvassError as error:
                st.error(str(error))
            else:
                save("field_done", sorted(store().done_segments(campaign())))
                st.success(f"{len(ids)} rue(s) enregistrée(s).")
    upload = st.file_uploader("Ou importer un CSV (equipe, segment_id, portes_frappees, portes_ouvertes, …)", type="csv", key="field_csv")
    if upload is not None and st.button("Importer le CSV", key="field_import"):
        path = DATA / "imports" / upload.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(upload.getvalue())
        try:
            store().import_field_csv(campaign(), path, session=f"import {upload.name}", author=author())
            save("field_done", sorted(store().done_segments(campaign())))
            st.success("Import terminé.")
        except StorageError as error:
            st.error(error.french)
        except CanvassError as error:
            st.error(str(error))
    log = store().field_log(campaign())
    st.subheader("Avancement par équipe")
    st.dataframe(progress_by_team(log, plan), key="progress_team")
    st.caption("La prochaine séance se planifie sur ce qui reste : les rues faites sont exclues du calcul (page Plan).")


# ----------------------------------------------------------------------------- main


def main() -> None:
    st.set_page_config(page_title="canvass — porte-à-porte", page_icon="🚪", layout="wide")
    token = st.query_params.get("equipe")
    if token:
        volunteer_view(str(token))
        return
    if not login():
        return
    DATA.mkdir(parents=True, exist_ok=True)
    page = st.sidebar.radio("Étapes", PAGES, key="page")
    st.sidebar.caption(f"Campagne « {CAMPAIGN} » — {author()}")
    st.sidebar.caption("Données agrégées uniquement (bureau, IRIS, rue) : aucun profil individuel d’électeur.")
    {"Territoire": page_territory, "Priorités": page_priorities, "Équipes": page_teams, "Plan": page_plan,
     "Partager": page_share, "Terrain": page_field}[page]()


main()
