"""The leavers as the page and `vigie leavers` write them: words in French and English (no
code), filters by establishment and month of leaving, each student's path and contacts, and
the CSV under the watch list's rules (names as data, no cell a spreadsheet would run)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

from app_dashboard.leavers_tables import (
    contacts_frame,
    display_leavers,
    filtered,
    leavers_csv,
    leavers_frame,
    month_label,
    path_frame,
)
from serving.services.leaver_views import LeaversView, NewContact
from serving.services.leavers import get_leavers, record_contact
from serving.services.users import active_actor
from tests.features.leavers_extraction import AS_OF, BASSIN_B
from tests.serving.leavers_world import make_leavers_world


@pytest.fixture
def view(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LeaversView:
    monkeypatch.setattr("serving.db.enrollments.request_date", lambda: dt.date(2026, 12, 16))
    world = make_leavers_world(tmp_path)
    actor = active_actor(world.store, "mlds.bassin")
    assert actor is not None
    record_contact(world.store, actor, NewContact(student_id="L_CAP", contact_date=AS_OF,
                                                  action="morea", outcome="accepted"))  # fmt: skip
    read = get_leavers(world.store, actor, AS_OF)
    world.store.dispose()
    return read


def test_words_not_codes_in_both_languages(view: LeaversView) -> None:
    frame = leavers_frame(view)
    french = display_leavers(frame, "fr")
    assert list(french.columns)[:3] == ["Élève", "Dernier établissement", "Niveau"]
    cap = french[french["Élève"] == "NomL_CAP PrénomL_CAP"].iloc[0]
    assert cap["Sortie"] == "après un échec à l'examen"
    assert cap["Examens non obtenus"] == "CAP (non admis, 03/07/2026)"
    assert cap["Contacts MLDS"] == "1 — MOREA (re-préparation d'examen) (acceptée, 30/11/2026)"
    assert "MOREA" in cap["Actions suggérées"]
    english = display_leavers(frame, "en")
    assert "did not come back after the summer" in set(english["Exit"])
    cells = " ".join(str(cell) for cell in english.to_numpy().ravel())
    assert "_" not in cells.replace("L_", "") and "None" not in cells


def test_filters_by_establishment_and_month(view: LeaversView) -> None:
    frame = leavers_frame(view)
    assert set(filtered(frame, [BASSIN_B], [])["student_id"]) == {"L_SUMMER", "L_EDGE"}
    assert list(filtered(frame, [], ["2026-09"])["student_id"]) == ["L_CAP", "L_SUMMER"]
    assert list(filtered(frame, [BASSIN_B], ["2026-09"])["student_id"]) == ["L_SUMMER"]
    assert len(filtered(frame, [], [])) == len(frame)
    assert month_label("2026-09", "fr") == "septembre 2026"
    assert month_label("2026-02", "en") == "February 2026"


def test_path_and_contacts(view: LeaversView) -> None:
    during = next(leaver for leaver in view.leavers if leaver.student_id == "L_DURING")
    path = path_frame(during, "fr")
    assert list(path["Fin"]) == ["année terminée", "sortie sans solution"]
    cap = next(leaver for leaver in view.leavers if leaver.student_id == "L_CAP")
    assert contacts_frame(cap, "en").iloc[0].tolist() == [
        "30/11/2026", "MOREA (exam re-preparation)", "accepted", "mlds.bassin",
    ]  # fmt: skip


def test_the_csv_keeps_names_as_data_and_runs_no_formula(view: LeaversView) -> None:
    hostile = view.leavers[0].model_copy(update={"last_name": '=HYPERLINK("http://x")'})
    frame = leavers_frame(view.model_copy(update={"leavers": [hostile, *view.leavers[1:]]}))
    french = list(
        csv.reader(io.StringIO(leavers_csv(frame, "fr").decode("utf-8-sig")), delimiter=";")
    )
    assert french[0][:5] == ["identifiant", "nom", "prénom", "UAI", "Dernier établissement"]
    assert french[1][1] == '\'=HYPERLINK("http://x")'  # text, not a formula
    english = leavers_csv(frame, "en").decode("utf-8-sig").splitlines()
    assert english[0].startswith("student id,last name,first name,UAI,")
    assert len(english) == len(view.leavers) + 1
