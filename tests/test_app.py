"""The Streamlit app, page by page, with streamlit.testing's AppTest on the demo commune.

Walks the workflow (territory → priorities → teams → plan → share → terrain → re-plan)
and checks what the page shows, the password gate and the volunteer links.
"""

import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from canvass.demo import DEMO_COMMUNE, write_demo
from canvass.territory.build import build_territory
from canvass.territory.io import save_territory

STATIC = Path(__file__).resolve().parents[1] / "static"
APP = str(Path(__file__).resolve().parents[1] / "app.py")
UNEXPECTED = "Une erreur inattendue"
PASSWORD = "porte-a-porte-test"


@pytest.fixture(scope="module")
def demo_territory(tmp_path_factory):
    """The demo commune built once (the app would build the same on its first page)."""
    folder = tmp_path_factory.mktemp("demo")
    write_demo(folder)
    save_territory(build_territory(folder, [DEMO_COMMUNE]), folder / "territory.gpkg")
    return folder


@pytest.fixture
def data(tmp_path, demo_territory, monkeypatch):
    """A data folder with the demo territory; the campaign store is the default SQLite file there."""
    shutil.copytree(demo_territory, tmp_path / "demo")
    monkeypatch.setenv("CANVASS_DATA", str(tmp_path))
    monkeypatch.setenv("CANVASS_PASSWORD", PASSWORD)
    monkeypatch.setenv("CANVASS_PUBLIC_URL", "http://localhost:8501")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return tmp_path


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request, data, monkeypatch):
    """The same data folder, with the campaign in SQLite or in a fresh database of a real PostgreSQL server."""
    if request.param == "postgresql":
        monkeypatch.setenv("DATABASE_URL", request.getfixturevalue("postgres_database"))
    return data


def assert_ok(at: AppTest) -> None:
    """No traceback, and no page stopped by an unexpected error (the app shows those as a French message)."""
    assert not at.exception, at.exception
    assert not any(UNEXPECTED in e.value for e in at.error), [e.value for e in at.error]


def logged_in(page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.text_input(key="login_name").input("Camille")
    at.text_input(key="login_password").input(PASSWORD)
    at.button[0].click().run()
    assert_ok(at)
    if page:
        at.sidebar.radio(key="page").set_value(page).run()
        assert_ok(at)
    return at


def test_wrong_password_shows_nothing(data):
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.text_input(key="login_password").input("mauvais")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["Mot de passe incorrect."]
    assert len(at.sidebar.radio) == 0 and len(at.metric) == 0 and len(at.dataframe) == 0


def test_no_password_configured_refuses(data, monkeypatch):
    monkeypatch.delenv("CANVASS_PASSWORD")
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert "Aucun mot de passe de campagne" in at.error[0].value
    assert len(at.text_input) == 0


def test_workflow_on_the_demo(data):
    at = logged_in("Territoire")
    assert at.metric[0].label == "Bureaux de vote" and at.metric[0].value == "12"
    at.sidebar.radio(key="page").set_value("Priorités").run()
    assert_ok(at)
    table = at.dataframe[0].value
    assert len(table) == 12 and list(table["Rang"])[0] == "1"
    at.sidebar.radio(key="page").set_value("Équipes").run()
    assert_ok(at)
    teams = at.dataframe[0].value
    assert len(teams) == 6 and set(teams["minutes"]) == {120}
    at.sidebar.radio(key="page").set_value("Plan").run()
    at.slider(key="time_limit").set_value(5).run()
    at.button(key="run_plan").click().run()
    job = at.session_state["job"]
    job.join(timeout=120)
    at.run()
    assert_ok(at)
    plan_table = at.dataframe[0].value
    doors = plan_table["Portes"].str.replace("\u202f", "").astype(int)
    assert len(plan_table) == 6 and doors.sum() > 0
    assert at.metric[0].label == "Portes"
    assert any(c.value.startswith("Ce plan atteint ") and "% du maximum théorique" in c.value for c in at.caption)
    first_plan_doors = float(doors.sum())

    at.sidebar.radio(key="page").set_value("Partager").run()
    at.button(key="export").click().run()
    assert_ok(at)
    codes = [c.value for c in at.code]
    static = "http://localhost:8501/app/static/partage/"
    assert len(codes) == 6 and all(code.startswith(static) and code.endswith(".html") for code in codes)
    assert (data / "partage" / "organisateur" / "carnet.pdf").exists()
    for code in codes:  # published where Streamlit serves static files: a volunteer's open never runs the script
        assert (STATIC / "partage" / code.removeprefix(static)).is_file()

    at.sidebar.radio(key="page").set_value("Terrain").run()
    team = at.selectbox(key="field_team").value
    steps = at.dataframe[0].value  # the field form: one row per step, labelled, never an id
    assert list(steps.columns[:5]) == ["etape", "rue", "portes", "deja", "faite"] and not steps["rue"].str.contains("n° \\d+\\)$").any()
    done = [int(unit) for unit in steps.index[:2]]
    at.session_state[f"field_editor_{team}"] = {"edited_rows": {0: {"faite": True, "frappees": 12, "ouvertes": 5, "soutien": 2},
                                                                1: {"frappees": 8, "ouvertes": 3, "indecis": 1}},
                                                "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="field_save").click().run()
    assert_ok(at)
    assert "2 étape(s) enregistrée(s)." in [s.value for s in at.success]
    from canvass.campaign.store import open_store

    with open_store(data / "campagne.sqlite") as store:
        log = store.field_log(store.find_campaign("demo")).set_index("segment_id")
    assert log.loc[done[0], "doors_knocked"] == 12 and log.loc[done[1], "doors_knocked"] == 8  # each street its own counts
    assert log.loc[done[0], "soutien"] == 2 and log.loc[done[1], "indecis"] == 1
    progress = at.dataframe[1].value.set_index("Équipe")
    assert progress.loc[team, "Portes frappées"] == "20" and progress.loc[team, "Taux d’ouverture"] == "40,0\u202f%"

    # Re-plan on what is left: the streets done are not planned again.
    at.sidebar.radio(key="page").set_value("Plan").run()
    at.button(key="run_plan").click().run()
    at.session_state["job"].join(timeout=120)
    at.run()
    assert_ok(at)
    walked = {step.segment_id for walk in at.session_state["job"].plan.walks for step in walk.steps}
    assert not (walked & set(done))
    assert first_plan_doors > 0


def test_campaign_survives_a_restart(any_store):
    at = logged_in("Priorités")
    at.selectbox(key="strategy").set_value("turnout").run()
    assert_ok(at)
    again = logged_in("Priorités")  # a new session: the strategy comes back from the campaign store
    assert again.selectbox(key="strategy").value == "turnout"


def test_volunteer_link_shows_only_its_team(data):
    at = logged_in("Plan")
    at.slider(key="time_limit").set_value(5).run()
    at.button(key="run_plan").click().run()
    at.session_state["job"].join(timeout=120)
    at.run()
    at.sidebar.radio(key="page").set_value("Partager").run()
    at.button(key="export").click().run()
    link = at.code[0].value
    token = link.rsplit("/", 1)[1].removesuffix(".html")
    volunteer = AppTest.from_file(APP, default_timeout=60)  # a link of the old form, ?equipe=<token>, already sent
    volunteer.query_params["equipe"] = token
    volunteer.run()
    assert not volunteer.exception
    assert len(volunteer.text_input) == 0 and len(volunteer.sidebar.radio) == 0  # no login, no navigation
    (button,) = volunteer.get("link_button")
    assert button.proto.url == link  # the team's static page, nothing else
    stranger = AppTest.from_file(APP, default_timeout=60)
    stranger.query_params["equipe"] = "../index"
    stranger.run()
    assert "Lien inconnu" in stranger.error[0].value


def test_two_organisers_editing_the_same_choice_see_a_conflict(any_store):
    first = logged_in("Priorités")  # sees the strategy as saved now
    second = logged_in("Priorités")
    second.selectbox(key="strategy").set_value("turnout").run()
    assert not second.error
    first.selectbox(key="strategy").set_value("persuasion").run()
    assert any("Modification concurrente" in e.value and "Camille" in e.value for e in first.error)
    third = logged_in("Priorités")
    assert third.selectbox(key="strategy").value == "turnout"  # the first save stands, nothing silently overwritten


def test_cli_field_log_matches_the_app(data, tmp_path, capsys):
    """What the app records, the CLI lists (done streets for `canvass plan --done`) and imports."""
    from canvass.campaign.store import open_store
    from canvass.cli import main

    at = logged_in("Territoire")  # creates the campaign in the store
    store_path = data / "campagne.sqlite"
    with open_store(store_path) as store:
        campaign = store.find_campaign("demo")
        store.log_field(campaign, session="samedi", team="Équipe 1", segment_id=7, doors_knocked=12, doors_opened=5, author="test")
    assert not at.exception
    csv = tmp_path / "terrain.csv"
    csv.write_text("equipe;segment_id;portes_frappees;portes_ouvertes\nÉquipe 2;9;10;3\n", encoding="utf-8")
    assert main(["field", "import", str(csv), "--store", str(store_path), "--campaign", "demo"]) == 0
    assert main(["field", "done", "--store", str(store_path), "--campaign", "demo", "--out", str(tmp_path / "done.csv")]) == 0
    assert (tmp_path / "done.csv").read_text().split() == ["segment_id", "7", "9"]
    bad = tmp_path / "bad.csv"
    bad.write_text("equipe;segment_id;portes_frappees;portes_ouvertes\nÉquipe 2;9;3;10\n", encoding="utf-8")
    assert main(["field", "import", str(bad), "--store", str(store_path), "--campaign", "demo"]) == 2
    assert "error:" in capsys.readouterr().err


def test_meeting_place_picked_on_the_map_joins_the_choices(data):
    from canvass.outputs.pick import meeting_point_candidates
    from canvass.territory.io import load_territory

    candidates = meeting_point_candidates(load_territory(data / "demo" / "territory.gpkg"))
    assert (candidates["kind"] == "bureau").sum() == 12 and (candidates["kind"] == "carrefour").sum() > 100
    assert candidates["lat"].between(47, 49).all() and candidates["x"].between(100_000, 300_000).all()
    at = logged_in("Équipes")
    assert_ok(at)
    crossroads = candidates[candidates["kind"] == "carrefour"].iloc[0]
    at.session_state["place_map"] = {"selection": {"indices": {"lieux": [0]}, "objects": {"lieux": [{"name": crossroads["name"]}]}}}
    at.run()
    assert_ok(at)
    assert any(crossroads["name"] in m.value for m in at.markdown)
    at.button(key="add_place").click().run()
    assert "Lieu ajouté" in at.success[0].value
    import json

    from canvass.campaign.store import open_store

    with open_store(data / "campagne.sqlite") as store:
        saved = store.get(store.find_campaign("demo"), "teams", "places").value
    assert list(saved) == [crossroads["name"]]
    at.run()
    columns = json.loads(at.dataframe[0].proto.columns)  # the teams table now offers the picked place
    assert crossroads["name"] in columns["rendez_vous"]["type_config"]["options"]


def test_brest_camp_without_candidate_in_an_election_shows_a_note_not_a_traceback(data):
    """Brest's P2017 second round has no left candidate: Priorités and Plan show the skipped election, never a traceback."""
    from tests.helpers import real

    at = logged_in("Territoire")
    at.radio(key="territory_source").set_value("Dossier sur le serveur").run()
    at.text_input(key="folder").input(str(real("brest")))
    at.text_input(key="commune").input("29019")
    at.button(key="import").click().run()
    assert_ok(at)
    assert any(message.value.startswith("AUCUNE RUE") for message in at.error)
    at.sidebar.radio(key="page").set_value("Priorités").run()
    assert_ok(at)
    assert len(at.dataframe[0].value) == 104
    assert any(w.value.startswith("Scrutin 2017_pres ignoré : le camp « gauche » n’y a aucun candidat") for w in at.warning)
    at.text_input(key="camp").input("MELENCHON").run()
    assert_ok(at)
    assert "aucun candidat dans les scrutins du territoire" in at.error[0].value
    at.text_input(key="camp").input("gauche").run()
    at.sidebar.radio(key="page").set_value("Plan").run()
    assert_ok(at)
    assert any("2017_pres ignoré" in w.value for w in at.warning)
    assert any(e.value.startswith("Aucune rue dans ce territoire") for e in at.error)  # what to do, in French
    for page in ("Équipes", "Partager", "Terrain"):
        at.sidebar.radio(key="page").set_value(page).run()
        assert_ok(at)
    assert at.info[0].value == "Faites d’abord un plan (page Plan)."


# ----------------------------------------------------------------------------- French everywhere, on the demo and on Paris 16e

ENGLISH = ("Territory", "round", "doors", "results", "streets", "bureau_id", "team", "segments_planned", "doors_knocked", "contact_rate",
           "coverage", "Select all", "Choose options", "Upload", "Deploy", "Drag and drop", "Browse files", "warning", "ignored", "Indecis",
           "None", "nan", "NaN", "True", "False", "the", "and", "with", "from", "not found", "missing", "error", "Error", "what to do")
"""Words an organiser must never read (issue #14 and their kin): English from the library, Streamlit's chrome, Python's empty values."""
DOT_DECIMAL = re.compile(r"(?<![\w.])\d+\.\d+(?![\w.])")
FIELDS = {"label", "body", "placeholder", "help", "options", "value", "text", "caption"}
"""Fields of an element's message that are shown to people (not ids, keys, styles or map data)."""


def shown_text(at: AppTest) -> list[str]:
    """Every text the page shows: labels, values, options, messages, and every header and cell of its tables."""
    from google.protobuf.json_format import MessageToDict

    texts: list[str] = []

    def strings(value, key=None):
        if isinstance(value, dict):
            for name, item in value.items():
                strings(item, name)
        elif isinstance(value, list):
            for item in value:
                strings(item, key)
        elif isinstance(value, str) and key in FIELDS and not value.lstrip().startswith("<style>"):
            texts.append(value)

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "DESCRIPTOR"):
            strings(MessageToDict(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    for table in at.dataframe:
        frame = table.value
        texts += [str(column) for column in frame.columns]
        shown = frame.select_dtypes(exclude=["bool", "number"])  # numbers in editors are drawn by the browser, format "localized"
        texts += [str(value) for value in shown.to_numpy().ravel()]
    return texts


def assert_french(at: AppTest, where: str) -> None:
    assert_ok(at)
    texts = shown_text(at)
    assert texts, f"{where}: nothing shown"
    for text in texts:
        for word in ENGLISH:
            assert not re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text), f"{where}: {word!r} in {text!r}"
        assert not DOT_DECIMAL.search(text), f"{where}: a decimal with a dot in {text!r}"


@pytest.fixture(scope="module")
def paris_territory(tmp_path_factory):
    """Paris 16e built once for the module (the app finds it as the folder import's output)."""
    from tests.helpers import real

    folder = tmp_path_factory.mktemp("paris")
    save_territory(build_territory(real("paris-16e"), ["75116"]), folder / "territoire_75116.gpkg")
    return folder


@pytest.fixture
def paris(tmp_path, paris_territory, monkeypatch):
    shutil.copy(paris_territory / "territoire_75116.gpkg", tmp_path / "territoire_75116.gpkg")
    monkeypatch.setenv("CANVASS_DATA", str(tmp_path))
    monkeypatch.setenv("CANVASS_PASSWORD", PASSWORD)
    monkeypatch.setenv("CANVASS_PUBLIC_URL", "http://localhost:8501")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return tmp_path


def walk_every_page(at: AppTest, where: str, camp: str | None = None) -> None:
    """Territoire (already chosen) → Priorités (``camp``) → Équipes → Plan (5 s) → Partager → Terrain (one entry), French on each page."""
    assert_french(at, f"{where} Territoire")
    at.sidebar.radio(key="page").set_value("Priorités").run()
    if camp:
        at.text_input(key="camp").input(camp).run()
    assert_french(at, f"{where} Priorités")
    at.sidebar.radio(key="page").set_value("Équipes").run()
    assert_french(at, f"{where} Équipes")
    at.sidebar.radio(key="page").set_value("Plan").run()
    assert_ok(at)
    assert not at.error, [e.value for e in at.error]
    at.slider(key="time_limit").set_value(5).run()
    at.button(key="run_plan").click().run()
    at.session_state["job"].join(timeout=180)
    at.run()
    assert_french(at, f"{where} Plan")
    assert at.metric[0].label == "Portes" and at.metric[0].value not in ("0", "—")
    at.sidebar.radio(key="page").set_value("Partager").run()
    at.button(key="export").click().run()
    assert_french(at, f"{where} Partager")
    assert at.code and all(code.value.startswith("http://localhost:8501/app/static/partage/") for code in at.code)
    at.sidebar.radio(key="page").set_value("Terrain").run()
    team = at.selectbox(key="field_team").value
    at.session_state[f"field_editor_{team}"] = {"edited_rows": {0: {"faite": True, "frappees": 10, "ouvertes": 4, "indecis": 1}},
                                                "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="field_save").click().run()
    assert "1 étape(s) enregistrée(s)." in [s.value for s in at.success]
    assert_french(at, f"{where} Terrain")


def test_every_page_speaks_french_on_the_demo(data):
    walk_every_page(logged_in("Territoire"), "démo")


def test_every_page_speaks_french_on_paris_16e(paris):
    at = logged_in("Territoire")
    at.radio(key="territory_source").set_value("Dossier sur le serveur").run()
    at.text_input(key="commune").input("75116").run()
    assert at.metric[0].value == "68" and at.metric[2].label == "Portes"
    assert any(message.value.startswith("17 bureaux sur 68 n’ont aucune rue") for message in at.error)  # the loud alerts, with what to do
    assert any("Rues : 2\u202f388 tronçons" in m.value for m in at.markdown)
    walk_every_page(at, "Paris 16e", camp="centre")  # no left-wing candidate in 2017 (2nd round) nor in 2020 here
    # Meeting places keep their names: the overview's flags and the team pages say « Bureau … », never an address nearby.
    team_page = next((paris / "partage" / "public").glob("*.html"))
    assert "Départ : Bureau " in team_page.read_text(encoding="utf-8")


def test_upload_a_zip_of_the_commune_files_and_build(data, tmp_path):
    """Files come from the organiser's computer (a ZIP with folders inside), never from a path typed on the server."""
    import io
    import zipfile

    source = tmp_path / "fichiers"
    write_demo(source)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(source.iterdir()):
            archive.write(path, f"plouvenec/{path.name}")
        archive.writestr("../../evasion.txt", "hors du dossier")
    at = logged_in("Territoire")
    at.radio(key="territory_source").set_value("Téléverser des fichiers").run()
    assert at.get("file_uploader")[0].proto.multiple_files
    at.get("file_uploader")[0].set_value([("communes.zip", buffer.getvalue(), "application/zip")])
    at.text_input(key="upload_commune").input(DEMO_COMMUNE).run()
    at.button(key="upload_build").click().run()
    assert_ok(at)
    assert at.metric[0].label == "Bureaux de vote" and at.metric[0].value == "12"
    folder = data / "campagnes" / "demo" / "fichiers" / DEMO_COMMUNE
    assert {p.name for p in folder.iterdir()} >= {p.name for p in source.iterdir()}
    assert [p.parent for p in data.parent.rglob("evasion.txt")] == [folder]  # '../../' in the archive stays inside the folder
    assert (data / f"territoire_{DEMO_COMMUNE}.gpkg").exists()


# ----------------------------------------------------------------------------- calendar of sessions, and field entry per building


def planned(at: AppTest) -> AppTest:
    """Plan page: the shortest search, run to its end (the calendar and the adjustments show under a saved plan)."""
    at.sidebar.radio(key="page").set_value("Plan").run()
    at.slider(key="time_limit").set_value(5).run()
    at.button(key="run_plan").click().run()
    at.session_state["job"].join(timeout=180)
    at.run()
    assert_ok(at)
    return at


def calendar_done(at: AppTest):
    """Wait for the calendar planned in the background, then show it."""
    job = at.session_state["calendar_job"]
    job.join(timeout=240)
    assert job.done and job.error is None, job.error
    at.run()
    assert_ok(at)
    return job.result


def test_calendar_of_sessions_replanned_after_the_field(data):
    """Two sessions planned in date order on what the earlier one leaves; after session 1's field log, session 2 is planned again."""
    at = planned(logged_in())
    editor = at.dataframe(key="sessions_editor").value
    assert list(editor.columns) == ["date", "heure", "equipes"] and len(editor) == 2
    yesterday = date.today() - timedelta(days=1)  # session 1 is over by the re-plan; session 2 is still to come
    at.session_state["sessions_editor"] = {"edited_rows": {0: {"date": yesterday.isoformat(), "equipes": 3}},
                                           "added_rows": [], "deleted_rows": []}
    at.slider(key="calendar_seconds").set_value(5).run()
    at.button(key="plan_calendar").click().run()
    assert_ok(at)
    calendar = calendar_done(at)
    table = calendar_table(at)
    assert list(table["Séance"]) == [1, 2] and list(table["Date"])[0] == yesterday.strftime("%d/%m/%Y")
    assert list(table["Équipes"]) == [3, 6] and set(table["État"]) == {"prévue"}
    first, second = (item.unit_ids for item in calendar.sessions)
    assert first and second and not first & second  # no street in two sessions
    picker = at.selectbox(key="calendar_session")
    assert picker.options[1].startswith("Séance 2 : ")
    picker.set_value(1).run()
    assert_ok(at)
    shown = at.session_state["session_maps"][(id(calendar), 1)]  # the map drawn for the session picked
    assert "leaflet" in shown.lower() and shown != at.session_state["session_maps"][(id(calendar), 0)]
    saved = store_value(data, "plan", "sessions")
    assert [row["date"] for row in saved] == [yesterday.isoformat(), (date.today() + timedelta(days=14)).isoformat()]

    # Session 1's field sheet, brought back as a CSV on Terrain: half of its blocks done.
    recorded = sorted(first)[: max(1, len(first) // 2)]
    rows = "\n".join(f"Équipe 1;{unit};6;3" for unit in recorded)
    at.sidebar.radio(key="page").set_value("Terrain").run()
    at.get("file_uploader")[0].set_value([("seance1.csv", f"equipe;segment_id;portes_frappees;portes_ouvertes\n{rows}\n".encode(), "text/csv")])
    at.run()
    at.button(key="field_import").click().run()
    assert_ok(at)
    assert "Import terminé." in [s.value for s in at.success]

    at.sidebar.radio(key="page").set_value("Plan").run()
    at.button(key="replan_calendar").click().run()
    again = calendar_done(at)
    assert list(calendar_table(at)["État"]) == ["tenue", "prévue"]
    assert again.sessions[0].unit_ids == first  # a session held keeps its plan
    after = again.sessions[1].unit_ids
    assert after != second and not after & set(recorded)  # session 2 planned again, never on what was done
    assert after & (first - set(recorded))  # what session 1 left undone goes back into the pool


def calendar_table(at: AppTest) -> pd.DataFrame:
    """The table of sessions: the table just below the sessions editor (a read-only table's key does not reach AppTest)."""
    tables = list(at.dataframe)
    return tables[[getattr(t, "key", None) for t in tables].index("sessions_editor") + 1].value


def store_value(data: Path, kind: str, key: str):
    from canvass.campaign.store import open_store

    with open_store(data / "campagne.sqlite") as store:
        return store.get(store.find_campaign("demo"), kind, key).value


@pytest.fixture(scope="module")
def building_territory(demo_territory, tmp_path_factory):
    """The demo with one address point holding 12 dwellings: an apartment building, a planning unit of its own.

    It is the address nearest the first team's meeting place, so that the team's walk starts there.
    """
    from dataclasses import replace

    import shapely

    from canvass.plan.teams import read_teams
    from canvass.territory.io import load_territory

    territory = load_territory(demo_territory / "territory.gpkg")
    addresses, segments = territory.addresses.copy(), territory.segments.copy()
    start = read_teams(demo_territory / "equipes.csv")[0]
    place = shapely.Point(start.start_xy)  # Lambert-93, as the territory
    point = addresses.geometry.distance(place).idxmin()
    segment = segments.geometry.distance(addresses.geometry[point]).idxmin()
    addresses.loc[point, "n_addresses"] = 12.0
    segments.loc[segment, "n_doors"] += 11.0
    folder = tmp_path_factory.mktemp("immeuble")
    save_territory(replace(territory, addresses=addresses, segments=segments), folder / "territory.gpkg")
    return folder


def test_field_entry_of_a_building_is_kept_under_its_unit(data, building_territory):
    """Terrain: the building's own row (« … (immeuble, 12 logements) ») records its counts under the building's unit id."""
    shutil.copy(building_territory / "territory.gpkg", data / "demo" / "territory.gpkg")
    at = planned(logged_in("Territoire"))
    street = at.selectbox(key="adjust_street")
    units = at.session_state["job"].problem.units
    (building,) = units.loc[units["kind"] == "building", "unit_id"].astype(int)  # the one address with 12 dwellings
    assert "(immeuble, 12 logements)" in street.format_func(building)
    team = at.selectbox(key="adjust_action").options[1]
    street.set_value(building).run()
    at.selectbox(key="adjust_action").set_value(team).run()
    at.button(key="adjust_apply").click().run()  # reserved to the first team, so that its walk has the building
    assert "Ajustement enregistré : relancez le calcul." in [s.value for s in at.success]
    at = planned(at)
    at.sidebar.radio(key="page").set_value("Terrain").run()
    at.selectbox(key="field_team").set_value(team).run()
    steps = at.dataframe[0].value
    assert building in steps.index, "the reserved building is not in its team's walk"
    assert building >= 10_000_000_000  # a unit id of its own (a block of its segment), not the segment's
    row = list(steps.index).index(building)
    assert steps.loc[building, "rue"].endswith("(immeuble, 12 logements)") and steps.loc[building, "portes"] == "12"
    at.session_state[f"field_editor_{team}"] = {"edited_rows": {row: {"faite": True, "frappees": 12, "ouvertes": 7, "soutien": 3, "opposant": 1}},
                                                "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="field_save").click().run()
    assert_ok(at)
    assert "1 étape(s) enregistrée(s)." in [s.value for s in at.success]
    from canvass.campaign.store import open_store

    with open_store(data / "campagne.sqlite") as store:
        campaign = store.find_campaign("demo")
        log = store.field_log(campaign)
        assert building in store.done_segments(campaign)
    entry = log.set_index("segment_id").loc[building]
    assert (entry["team"], entry["doors_knocked"], entry["doors_opened"], entry["soutien"], entry["opposant"]) == (team, 12, 7, 3, 1)
    assert store_value(data, "field", "done") == [building]
    at.sidebar.radio(key="page").set_value("Terrain").run()
    assert at.dataframe[0].value.loc[building, "deja"] == "oui"
