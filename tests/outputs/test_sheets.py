"""Walk sheets and booklet: streets in walk order, door totals, French text, QR code, determinism, data shown as text."""

import io
import re
import time

import pypdfium2 as pdfium
import pytest
import zxingcpp
from pypdf import PdfReader

from canvass.demo import DEMO_COMMUNE, write_demo
from canvass.outputs.sheets import booklet_pdf, walk_sheet_pdf
from canvass.plan.io import walks_frame
from canvass.plan.problem import build_problem
from canvass.plan.solve import plan_walks
from canvass.plan.teams import read_teams
from canvass.scores.camps import Camp
from canvass.scores.score import score_territory
from canvass.scores.strategies import ScoreParams
from canvass.territory.build import build_territory

FRENCH_STREET = "Rue de l’Œuvre – Élise"
SCRIPT_STREET = "<script>alert(1)</script>"
LINK = "https://exemple.fr/canvass/equipe/1?seance=2025-06-14"
SESSION = "2025-06-14 10:00, marché du samedi"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sheets")
    write_demo(folder, seed=0)
    territory = build_territory(folder, [DEMO_COMMUNE])
    scores = score_territory(territory, ScoreParams(strategy="mobilisation", camp=Camp(("gauche",))))
    teams = read_teams(folder / "equipes.csv", addresses=territory.addresses)
    plan = plan_walks(build_problem(territory.segments, scores.segments, teams), time_limit_s=3, seed=0)
    walks = walks_frame(plan, territory.segments)
    first = walks.index[walks["team"] == teams[0].name]
    assert len(first) >= 3
    walks.loc[first[0], ["street_name", "label"]] = FRENCH_STREET  # the label is what the sheet prints
    walks.loc[first[1], ["street_name", "label"]] = SCRIPT_STREET
    return territory, plan, teams, walks


@pytest.fixture(scope="module")
def sheet(demo):
    territory, plan, teams, walks = demo
    started = time.perf_counter()
    pdf = walk_sheet_pdf(walks, teams[0], 0, link=LINK, meeting="Parvis de la mairie, 10 h", territory=territory, session=SESSION,
                         return_m=plan.walks[0].return_m)
    return pdf, time.perf_counter() - started


def _text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_streets_in_walk_order_with_their_numbers(demo, sheet):
    _, _, teams, walks = demo
    text = "\n".join(_text(sheet[0]))
    steps = walks[walks["team"] == teams[0].name].sort_values("order")
    position = 0
    for step in steps.itertuples():
        match = re.compile(rf"^{int(step.order)} {re.escape(step.street_name)}( |$)", re.MULTILINE).search(text, position)
        assert match, f"step {step.order} {step.street_name!r} not found after position {position}"
        position = match.end()


def test_door_total_is_the_plans(demo, sheet):
    _, plan, teams, _ = demo
    text = "\n".join(_text(sheet[0])).replace("\u202f", "")
    total = re.search(r"^Total (\d+) (\d+)$", text, re.MULTILINE)
    assert total, text
    assert int(total.group(1)) == round(plan.walks[0].n_doors)
    assert int(total.group(2)) == round(plan.walks[0].minutes)
    assert f"Feuille de route – {teams[0].name}" in text
    assert "Rendez-vous : Parvis de la mairie, 10 h" in text and "Durée prévue : 2 h 00" in text
    assert "Données agrégées – aucune donnée individuelle d’électeur" in text and "Page 1/" in text


def test_french_characters_and_markup_print_as_plain_text(sheet):
    text = "\n".join(_text(sheet[0]))
    assert FRENCH_STREET in text
    assert SCRIPT_STREET in text
    assert "samedi 14 juin 2025" in text


def test_qr_code_decodes_to_the_link(sheet):
    page = pdfium.PdfDocument(sheet[0])[0]
    image = page.render(scale=200 / 72).to_pil()
    codes = [code for code in zxingcpp.read_barcodes(image) if code.format == zxingcpp.BarcodeFormat.QRCode]
    assert [code.text for code in codes] == [LINK]
    # Printed at least 30 mm wide: the code's corners span ≥ 30 mm at 200 dpi, quiet zone left out.
    position = codes[0].position
    width_mm = (position.top_right.x - position.top_left.x) / 200 * 25.4
    assert width_mm >= 25


def test_tally_columns_match_the_field_form(sheet):
    """Volunteers write on paper the counts the Terrain page asks for, in the same order."""
    from canvass.outputs.sheets import TALLY_COLUMNS

    text = _text(sheet[0])[0]
    assert TALLY_COLUMNS == ("Frappées", "Ouvertes", "Soutien", "Indécis", "Opposant")
    assert re.search(r"Min\. Frappées Ouvertes Soutien Indécis Opposant$", text, re.MULTILINE), text


def test_meeting_place_name_printed_when_no_meeting_text(demo):
    from dataclasses import replace

    territory, plan, teams, walks = demo
    team = replace(teams[0], place_name="Bureau 1 – Mairie")
    text = _text(walk_sheet_pdf(walks, team, 0, territory=territory))[0]
    assert "Rendez-vous : Bureau 1 – Mairie (★ sur la carte)" in text and "près du" not in text


def test_same_inputs_same_bytes_and_fast(demo, sheet):
    territory, plan, teams, walks = demo
    again = walk_sheet_pdf(walks, teams[0], 0, link=LINK, meeting="Parvis de la mairie, 10 h", territory=territory, session=SESSION,
                           return_m=plan.walks[0].return_m)
    assert again == sheet[0]
    assert sheet[1] < 2.0  # about 0.4 s measured; generous for slow CI machines
    reader = PdfReader(io.BytesIO(sheet[0]))
    assert len(reader.pages[0].images) >= 1 and reader.metadata["/CreationDate"].startswith("D:20250614")  # the map on page 1


def test_long_list_continues_on_a_second_page_with_the_map_on_the_first(demo):
    territory, _, teams, walks = demo
    steps = walks[walks["team"] == teams[1].name]
    long = steps.iloc[[i % len(steps) for i in range(45)]].copy()
    long["order"] = range(1, len(long) + 1)
    pdf = walk_sheet_pdf(long, teams[1], 1, territory=territory)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    assert len(reader.pages[0].images) >= 1 and len(reader.pages[1].images) == 0
    second, last = reader.pages[1].extract_text(), reader.pages[-1].extract_text()
    assert "N° Rue" in second and "Page 2/" in second  # the table's heading is repeated
    assert re.search(r"^45 ", last, re.MULTILINE)


def test_booklet_has_a_cover_and_every_team(demo):
    territory, plan, teams, walks = demo
    links = {team.name: f"https://exemple.fr/e/{index}" for index, team in enumerate(teams)}
    pdf = booklet_pdf(plan, teams, walks, links=links, territory=territory, session=SESSION)
    pages = [" ".join(page.split()) for page in _text(pdf)]
    assert len(pages) >= len(teams) + 1
    cover = pages[0].replace("\u202f", "")  # spaces normalised: a long name or place may wrap in its cell
    for team, row in zip(teams, plan.table().itertuples()):
        assert team.name in cover
        doors = re.search(rf"{re.escape(team.name)} .*? (\d+) (?:\d+ h \d\d|\d+ min) \(", cover)
        assert doors and int(doors.group(1)) == round(row.n_doors)
    for team in teams:
        assert any(f"Feuille de route – {team.name}" in page for page in pages[1:])
    assert f"{round(plan.totals()['n_doors'])} portes" in cover
