"""The MLDS's page « Sortis sans solution » in a real browser (Debian's Chromium driven by
Playwright against a real `streamlit run` server, as `tests/dashboard/test_browser.py`), on
the hand-built extraction of `tests.features.leavers_extraction`.

An MLDS user of a bassin signs in and lands on its leavers as of 30 November 2026: the
bassin's students who left without a solution, by name, and not the student who left another
bassin; filters by establishment and month of leaving; opens a student's path; records a
contact with an action, then its outcome; exports the list as CSV (names, no formula); reads
the page in English; no code and no request outside 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, Request, expect

from app_dashboard.serve import dashboard_server
from serving.services import NewUser, add_user
from tests.dashboard.test_browser import (
    SCREENSHOTS,
    WAIT_MS,
    chromium,
    outside,
    page_text,
    raw_codes,
    settled,
)
from tests.features.leavers_extraction import AS_OF, BASSIN_A, BASSIN_B
from tests.serving.conftest import OPERATOR
from tests.serving.leavers_world import make_leavers_world

__all__ = ["chromium"]  # a fixture

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct-horse-battery"
USER = "mlds.page"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("leavers_page")
    world = make_leavers_world(root)
    add_user(world.store, OPERATOR, NewUser(USER, "mlds", (BASSIN_A, BASSIN_B), password=PASSWORD))
    world.store.dispose()
    environment = {
        **os.environ,
        "VIGIE_HOME": str(root / "home"),
        "VIGIE_DATABASE_URL": f"sqlite:///{root / 'store.sqlite3'}",
        "VIGIE_EXPORT_SECONDS": "2",
    }
    with dashboard_server(environment, root / "server.log", cwd=REPO) as url:
        yield url


def sign_in(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_label("Identifiant").fill(USER)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Sortis sans solution")).to_be_visible(timeout=WAIT_MS)


def set_date(page: Page, label: str, value: dt.date) -> None:
    """Type `value` into the date field labelled `label` (its day, month and year
    segments), then leave the field so that the page runs again."""
    for segment, typed in (("day", f"{value:%d}"), ("month", f"{value:%m}"),
                           ("year", f"{value:%Y}")):  # fmt: skip
        page.get_by_role("spinbutton", name=f"{segment}, {label}", exact=True).click()
        page.keyboard.type(typed)
    page.keyboard.press("Tab")
    page.keyboard.press("Escape")  # the calendar the segments opened
    expect(page.get_by_test_id("stDateInputCalendar")).to_have_count(0)
    settled(page)


def pick(page: Page, label: str, option: str, nth: int = 0) -> None:
    """Choose `option` in the multiselect or selectbox labelled `label` (the `nth` of them).

    A click that lands while the page still moves (an expander opening above the field) can
    leave the list of options closed: the field is clicked again, up to three times, before
    the option is waited for as long as anything else."""
    field = page.get_by_label(label, exact=True).nth(nth)
    choice = page.get_by_role("option", name=option).first
    for _ in range(3):
        field.scroll_into_view_if_needed()
        field.click()
        try:
            expect(choice).to_be_visible(timeout=5_000)
            break
        except AssertionError:
            page.keyboard.press("Escape")
            page.wait_for_timeout(500)
    choice.click()
    page.keyboard.press("Escape")
    settled(page)


def test_the_mlds_reads_filters_records_and_exports_its_leavers(
    server: str, chromium: tuple[Playwright, Browser]
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    _, browser = chromium
    requests: list[str] = []

    def log(request: Request) -> None:
        requests.append(request.url)

    page = browser.new_page(viewport={"width": 1500, "height": 2000})
    page.on("request", log)
    sign_in(page, server)
    set_date(page, "Date", AS_OF)
    week = page.get_by_text("Extraction de la semaine du 30/11/2026")
    expect(week).to_be_visible(timeout=WAIT_MS)
    settled(page)
    shown = page_text(page)
    for name in ("NomL_DURING", "NomL_CAP", "NomL_SUMMER", "NomL_EDGE"):
        assert name in shown, name
    assert "NomL_AWAY" not in shown  # left another bassin
    assert "NomL_BACK" not in shown and "NomL_MOVED" not in shown  # came back, moved away
    assert "après un échec à l'examen" in shown and "pas revenu à la rentrée" in shown
    # The suggested actions (the eligibility rules of `models.solutions`), never decided.
    # The first student's (16, left during the year): an MLDS action once the entretien de
    # situation is held.
    assert "Action de remobilisation de la MLDS (AAR) (après l'entretien de situation)" in shown
    assert raw_codes(shown.replace(USER, ""), "fr") == []
    page.screenshot(path=SCREENSHOTS / "mlds_leavers.png", full_page=True)

    # Filters: one establishment, then one month of leaving.
    pick(page, "Établissements", f"Lycée des Rives ({BASSIN_B})")
    expect(page.get_by_text("2 élève(s)")).to_be_visible(timeout=WAIT_MS)
    pick(page, "Mois de sortie", "septembre 2026")
    expect(page.get_by_text("1 élève(s)")).to_be_visible(timeout=WAIT_MS)
    assert "NomL_EDGE" not in page_text(page)

    # The student's path, then a contact recorded and its outcome changed.
    expect(page.get_by_text("Parcours", exact=True)).to_be_visible(timeout=WAIT_MS)
    page.get_by_text("Action de remobilisation de la MLDS (AAR)").first.click()  # its checks
    expect(page.get_by_text("Source :").first).to_be_visible(timeout=WAIT_MS)
    assert "Lycée des Rives (0350002B)" in page_text(page)
    pick(page, "Action proposée", "MOREA (re-préparation d'examen)")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Aucun contact enregistré.")).to_have_count(0, timeout=WAIT_MS)
    settled(page)
    assert "MOREA (re-préparation d'examen)" in page_text(page)
    pick(page, "Suite", "acceptée", nth=1)  # the form that changes a contact's outcome
    page.get_by_role("button", name="Mettre à jour").click()
    settled(page)
    expect(page.get_by_role("cell", name="acceptée")).to_be_visible(timeout=WAIT_MS)

    # The export: the rows shown, with names, made at the click.
    with page.expect_download(timeout=WAIT_MS) as download_info:
        page.get_by_role("button", name="Exporter en CSV").click()
    exported = Path(download_info.value.path()).read_bytes().decode("utf-8-sig")
    header, *rows = exported.splitlines()
    assert header.startswith("identifiant;nom;prénom;UAI;")
    assert len(rows) == 1 and rows[0].startswith("L_SUMMER;NomL_SUMMER;PrénomL_SUMMER;0350002B;")
    assert header.endswith(";Actions suggérées") and "Réseau FoQualE" in rows[0]

    page.get_by_text("English", exact=True).click()
    expect(page.get_by_role("heading", name="Left without a solution")).to_be_visible(
        timeout=WAIT_MS
    )
    # The table is drawn again after the heading (its cells' accessible copy with it): on a
    # busy machine its French cells are still there once the page looks steady.
    english_cell = page.locator("[role=grid] td", has_text="did not come back after the summer")
    expect(english_cell.first).to_be_attached(timeout=WAIT_MS)
    settled(page)
    english = page_text(page)
    assert "did not come back after the summer" in english
    assert raw_codes(english.replace(USER, ""), "en") == []
    page.screenshot(path=SCREENSHOTS / "mlds_leavers_english.png", full_page=True)
    page.close()
    assert requests and not outside(requests, server), outside(requests, server)
