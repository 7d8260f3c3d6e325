"""The notice to a student and their family, and the printable model card, on the dashboard
tests' world: what they say (French and English), who may issue them, and the audit rows."""

from __future__ import annotations

import dataclasses
import html
import re
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from app_dashboard import runtime
from app_dashboard.model_card_document import gather_model_card, model_card_html
from models.reason_wording import Language
from models.registry import registry_client
from serving.db import Store
from serving.db.models import AuditEntry
from serving.documents.notice_html import NOTICE_WORDS, notice_html
from serving.services import AccessDenied, Actor
from serving.services.notice import issue_notice
from serving.services.views import StudentRecordView
from tests.dashboard.conftest import app_as, sign_in
from tests.dashboard.test_browser import CHROMIUM
from tests.dashboard.world import MODEL_NAME, USERNAMES, DashboardWorld
from vigie.cli import app

CONTACTS = {"watch_unit": "cellule@lycee.example", "dpo": "dpo@ac-exemple.fr"}


def _pdf_pages(document: str) -> int:
    """Pages of `document` printed to A4 by headless Chromium (the browser a family's
    printer dialog uses, with the document's own print rules)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        try:
            page = browser.new_page()
            page.set_content(document)
            pdf = page.pdf(format="A4", prefer_css_page_size=True)
        finally:
            browser.close()
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def _audit(store: Store, action: str, student_id: str) -> list[AuditEntry]:
    with store.reading() as session:
        return list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == action, AuditEntry.student_id == student_id)
                .order_by(AuditEntry.id)
            )
        )


def _text(document: str) -> str:
    """The document's text as a reader sees it (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", " ", document))


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_notice_of_a_listed_student_holds_the_weeks_reasons_model_date_and_rights(
    world: DashboardWorld, store: Store, language: Language
) -> None:
    student = world.home_students[0]
    week = world.weeks[-1]
    unit = sign_in(store, "watch_unit")
    notice = issue_notice(store, unit, student, week)
    record_entry = next(
        point for point in _record(store, unit, student).history if point.week == notice.week
    )
    assert notice.model_version == record_entry.model_version
    assert [r.text_fr for r in notice.reasons] == [r.text_fr for r in record_entry.reasons]
    assert notice.reasons, "a listed student has reasons"
    text = _text(notice_html(notice, language, CONTACTS))
    words = NOTICE_WORDS[language]
    for reason in notice.reasons:
        sentence = reason.text_en if language == "en" else reason.text_fr
        weight = reason.weight_text_en if language == "en" else reason.weight_text_fr
        assert sentence in text
        assert weight and weight in text
    assert f"{notice.model_version}," in text
    for day in (notice.week, notice.as_of, notice.issued_on):
        assert (day.strftime("%d/%m/%Y") if language == "fr" else day.isoformat()) in text
    assert words["contacts"].format(**CONTACTS) in text  # the objection paragraph
    assert ("article 22" in text) and ("L311-3-1" in text) and ("article 86" in text)
    last, first = world.names[student]
    assert last in text and first in text
    assert words["never"] in text  # sensitive attributes are not inputs
    other = NOTICE_WORDS["en" if language == "fr" else "fr"]
    assert other["person"] not in text  # one language per document


def _record(store: Store, actor: Actor, student: str) -> StudentRecordView:
    from serving.services import get_student_record

    return get_student_record(store, actor, student)


def test_a_name_holding_markup_is_printed_as_text(world: DashboardWorld, store: Store) -> None:
    notice = issue_notice(
        store, sign_in(store, "watch_unit"), world.home_students[0], world.weeks[-1]
    )
    hostile = dataclasses.replace(
        notice, last_name="<script>alert(1)</script>", establishment_name="A & <b>B</b>"
    )
    document = notice_html(hostile, "fr", {"watch_unit": "<img src=x>", "dpo": ""})
    assert "<script>" not in document and "<img" not in document and "<b>" not in document
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in document
    assert "[à compléter : VIGIE_NOTICE_DPO_CONTACT]" in _text(document)
    assert "http" not in document and "<link" not in document  # no external asset
    assert "@page{size:A4" in document


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_notice_prints_on_one_a4_page_even_with_long_content(
    world: DashboardWorld, store: Store, language: Language
) -> None:
    notice = issue_notice(
        store, sign_in(store, "watch_unit"), world.home_students[0], world.weeks[-1]
    )
    assert len(notice.reasons) == 3
    # The longest texts a week records (two lines each), long names and contacts.
    long_reasons = tuple(
        reason.model_copy(update={"text_fr": reason.text_fr * 2, "text_en": reason.text_en * 2})
        for reason in notice.reasons
    )
    longest = dataclasses.replace(
        notice, reasons=long_reasons, last_name="De La Fontaine-Saint-Exupéry " * 2,
        first_name="Marie-Héloïse Anne", establishment_name="Lycée polyvalent " + "X" * 80,
    )  # fmt: skip
    contacts = {"watch_unit": "cellule.veille@" + "x" * 60 + ".fr", "dpo": "D" * 120}
    assert _pdf_pages(notice_html(longest, language, contacts)) == 1
    # The measure can fail: ten times the reasons do not fit.
    doubled = dataclasses.replace(longest, reasons=long_reasons * 10)
    assert _pdf_pages(notice_html(doubled, language, contacts)) > 1


def test_issuing_a_notice_is_audited_without_the_name(world: DashboardWorld, store: Store) -> None:
    student = world.home_students[1]
    before = len(_audit(store, "issue_notice", student))
    notice = issue_notice(store, sign_in(store, "watch_unit"), student, world.weeks[-1])
    rows = _audit(store, "issue_notice", student)
    assert len(rows) == before + 1
    row = rows[-1]
    assert (row.outcome, row.username, row.uai) == (
        "allowed",
        USERNAMES["watch_unit"],
        world.home_uai,
    )
    assert row.detail == f"notice of the week of {notice.week.isoformat()}"
    assert row.model_version == notice.model_version
    last, first = world.names[student]
    assert last not in (row.detail or "") and first not in (row.detail or "")


def test_a_notice_reads_the_students_list_entry_once(world: DashboardWorld, store: Store) -> None:
    from sqlalchemy import event

    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        notice = issue_notice(store, sign_in(store, "watch_unit"), world.home_students[1],
                              world.weeks[-1])  # fmt: skip
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)
    assert notice.reasons
    entries = [s for s in statements if "list_entries" in s]
    assert len(entries) == 1, entries


@pytest.mark.parametrize("role", ["other_watch_unit", "inspector", "admin"])
def test_anyone_but_the_students_own_watch_unit_is_refused_and_audited(
    world: DashboardWorld, store: Store, role: str
) -> None:
    student = world.home_students[2]
    before = [r.id for r in _audit(store, "issue_notice", student)]
    with pytest.raises(AccessDenied):
        issue_notice(store, sign_in(store, role), student, world.weeks[-1])
    new = [r for r in _audit(store, "issue_notice", student) if r.id not in before]
    assert [(r.outcome, r.username) for r in new] == [("denied", USERNAMES[role])]


def test_the_command_writes_the_notice_and_refuses_another_school(
    world: DashboardWorld, store: Store, tmp_path: Path
) -> None:
    student, week = world.home_students[0], world.weeks[-1].isoformat()
    out = tmp_path / "notice.html"
    runner = CliRunner()
    common = ["notice", "--student", student, "--as-of", week, "--out", str(out)]
    result = runner.invoke(app, [*common, "--user", USERNAMES["watch_unit"], "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert NOTICE_WORDS["en"]["rights_title"] in _text(out.read_text(encoding="utf-8"))
    refused = tmp_path / "refused.html"
    result = runner.invoke(
        app,
        ["notice", "--student", student, "--as-of", week, "--out", str(refused),
         "--user", USERNAMES["other_watch_unit"]],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "watch unit" in result.output
    assert not refused.exists()


def test_the_model_card_has_its_sections_with_intervals(
    world: DashboardWorld, store: Store
) -> None:
    client = registry_client(world.tracking_uri)
    card = gather_model_card(store, sign_in(store, "inspector"), client, MODEL_NAME, "champion")
    assert "champion" in card.version.aliases
    for language, sections, precision in (
        ("fr", ["Usage prévu", "Données", "Performance à capacité", "Équité", "Limites"],
         "Précision à la capacité\u00a0: 30,0\u202f% [20,0 ; 40,0]"),
        ("en", ["Intended use", "Data", "Metrics at capacity", "Fairness", "Limits"],
         "Precision at capacity: 30.0% [20.0, 40.0]"),
    ):  # fmt: skip
        document = model_card_html(card, language)
        headings = re.findall(r"<h2>([^<]+)</h2>", document)
        assert [html.unescape(h) for h in headings] == sections
        text = _text(document)
        # Precision at capacity with its interval as the run logged it; the gate failed,
        # and its group's recall ratio is shown.
        assert precision in text
        assert (
            "Contrôle d'équité : échoué" if language == "fr" else "Fairness gate: failed"
        ) in text
        assert "0,7" in text if language == "fr" else "0.7" in text
    with pytest.raises(AccessDenied):
        gather_model_card(store, sign_in(store, "watch_unit"), client, MODEL_NAME, "champion")


def _download_labels(app: AppTest) -> list[str]:
    return [element.proto.label for element in app.get("download_button")]


@pytest.mark.parametrize(("role", "offered"), [("watch_unit", True), ("inspector", False)])
def test_the_student_page_offers_the_notice_to_the_students_watch_unit_only(
    store: Store, world: DashboardWorld, role: str, offered: bool
) -> None:
    app = app_as(store, role)
    app.session_state[runtime.STUDENT] = world.home_students[0]
    app.run()
    app.switch_page("views/student.py")
    app.run()
    assert not app.exception
    assert ("Notice pour l'élève et sa famille (HTML)" in _download_labels(app)) is offered


def test_the_model_card_page_offers_the_printable_card(store: Store, world: DashboardWorld) -> None:
    app = app_as(store, "inspector")
    app.run()
    app.switch_page("views/model_card.py")
    app.run()
    assert not app.exception
    assert "Fiche du modèle imprimable (HTML)" in _download_labels(app)


def test_the_model_card_command_writes_the_card_for_an_inspector_only(
    world: DashboardWorld, tmp_path: Path
) -> None:
    out = tmp_path / "card.html"
    runner = CliRunner()
    command = ["model-card", "--model", "challenger", "--out", str(out), "--lang", "en"]
    result = runner.invoke(app, [*command, "--user", USERNAMES["inspector"]])
    assert result.exit_code == 0, result.output
    text = _text(out.read_text(encoding="utf-8"))
    assert "Model card: vigie-dropout, version 2" in text
    assert "Precision at capacity: 35.0% [20.0, 40.0]" in text  # the challenger's run
    refused = tmp_path / "refused.html"
    result = runner.invoke(
        app, [*command[:-4], "--out", str(refused), "--user", USERNAMES["admin"]]
    )
    assert result.exit_code == 1 and not refused.exists()
