"""The list's table, CSV and printable page (pure functions), and the wording table: every
label a page asks for exists, in French and in English."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pandas as pd
import pytest

import app_dashboard
from app_dashboard.tables import (
    context_line,
    csv_bytes,
    display_frame,
    follow_up_frame,
    list_frame,
    printable_html,
    reason_line,
)
from app_dashboard.wording import LABELS, text, vocabulary
from models.reason_wording import context_text, weight_text
from serving.db.vocabulary import FOLLOW_UP_KINDS, INTERVIEW_SOLUTIONS, INTERVIEW_STATUSES, ROLES
from serving.list_payload import CONTEXT_KEY
from serving.services.views import FollowUpView, ListEntryView, ReasonView, WeekListView


def entry(rank: int, tier: str, risk: float, **marks) -> ListEntryView:
    reason = ReasonView(
        feature="lates_4w",
        value=5,
        reference=1,
        share=0.4,
        text_fr="5 retards en 4 semaines",
        text_en="5 lates in 4 weeks",
    )
    return ListEntryView(
        rank=rank,
        tier=tier,
        student_id=f"S{rank}",
        last_name=f"Nom{rank}",
        first_name="Léa",
        risk=risk,
        risk_change=marks.get("change"),
        new_this_week=marks.get("new", False),
        interview_under_way=marks.get("under_way", False),
        dismissed_recently=marks.get("dismissed", False),
        reasons=[reason],
        features_shown={"level": "3e"},
        follow_up=marks.get("follow_up"),
    )


VIEW = WeekListView(
    uai="0350023K",
    establishment_name="Collège <Anne> & Co",
    week=dt.date(2026, 11, 30),
    as_of=dt.date(2026, 11, 30),
    model_version="vigie-dropout/3",
    weekly_interview_capacity=1,
    watch_threshold=0.2,
    written_at=dt.datetime(2026, 11, 30, 6, tzinfo=dt.UTC),
    entries=[
        entry(1, "invite", 0.61, change=0.05, under_way=True),
        entry(2, "watch", 0.3, new=True, dismissed=True),
        entry(
            3,
            "follow_up",
            0.72,
            follow_up=FollowUpView(
                kind="held",
                week=dt.date(2026, 11, 23),
                date=dt.date(2026, 11, 24),
                solution="tutoring",
                risk_then=0.65,
                risk_now=0.72,
            ),
        ),
    ],
)
CLASSES = pd.DataFrame(
    {
        "student_id": ["S1", "S2", "S3"],
        "level": ["4e", "5e", "3e"],
        "class_id": ["4eB", "5eA", "3eC"],
    }
)


def test_list_frame_fills_classes_and_words_the_statuses() -> None:
    frame = list_frame(VIEW, CLASSES, "fr")
    assert list(frame["student"]) == ["Nom1 Léa", "Nom2 Léa", "Nom3 Léa"]
    assert list(frame["level"]) == ["3e", "3e", "3e"]  # features shown win over the lookup
    assert list(frame["class_id"]) == ["4eB", "5eA", "3eC"]
    assert list(frame["status"]) == ["entretien en cours", "écarté récemment", "—"]
    assert list(frame["decision"])[2] == "entretien tenu"
    assert list(list_frame(VIEW, None, "en")["reasons"]) == ["5 lates in 4 weeks"] * 3


def test_display_frame_reads_as_percentages_with_translated_headers() -> None:
    frame = list_frame(VIEW, CLASSES, "en")
    shown = display_frame(frame[frame["tier"] != "follow_up"], "en")
    assert list(shown.columns)[:2] == ["Rank", "Student"]
    assert list(shown["Risk within 26 weeks"]) == ["61.0%", "30.0%"]
    assert list(shown["Change (points)"]) == ["+5.0\u202fpts", "—"]
    assert list(shown["New"]) == ["", "new"]
    assert "Decision" not in shown.columns


def test_follow_up_frame_shows_the_decision_date_solution_and_risk_then_and_now() -> None:
    frame = list_frame(VIEW, CLASSES, "fr")
    shown = follow_up_frame(frame[frame["tier"] == "follow_up"], "fr")
    assert shown.to_dict("records") == [
        {
            "Élève": "Nom3 Léa",
            "Niveau": "3e",
            "Classe": "3eC",
            "Décision": "entretien tenu",
            "Date": "24/11/2026",
            "Solution proposée": "tutorat",
            "Risque à 26 semaines, alors → maintenant": "65,0\u202f% → 72,0\u202f%",
            "Suivi": "—",
        }
    ]


def test_the_english_csv_has_commas_and_decimal_points() -> None:
    data = csv_bytes(list_frame(VIEW, CLASSES, "en"), "en").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(data)))
    assert rows[0]["Risk within 26 weeks (%)"] == "61.0" and rows[0]["Part"] == "To invite"


def test_csv_export_opens_in_a_spreadsheet_with_french_headers() -> None:
    data = csv_bytes(list_frame(VIEW, CLASSES, "fr"), "fr")
    assert data.startswith("\ufeff".encode())
    # As a French spreadsheet writes and reads it: semicolons, decimal commas.
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0]["Élève"] == "Nom1 Léa" and rows[0]["Risque à 26 semaines (%)"] == "61,0"
    assert rows[0]["Évolution depuis la liste précédente (points)"] == "5,0"
    assert [row["Partie"] for row in rows] == ["À inviter", "À surveiller", "En suivi"]
    assert rows[1]["Raisons"] == "5 retards en 4 semaines"
    assert (rows[2]["Décision"], rows[2]["Date"], rows[2]["Solution proposée"]) == (
        "entretien tenu",
        "2026-11-24",
        "tutorat",
    )
    assert (
        rows[2]["Risque à 26 semaines à la décision (%)"],
        rows[2]["Risque à 26 semaines (%)"],
    ) == ("65,0", "72,0")
    assert rows[0]["Décision"] == ""


def test_printable_page_escapes_and_holds_the_three_parts() -> None:
    page = printable_html(VIEW, list_frame(VIEW, CLASSES, "fr"), "fr")
    assert "Collège &lt;Anne&gt; &amp; Co" in page and "<Anne>" not in page
    assert page.index("À inviter") < page.index("À surveiller") < page.index("En suivi")
    assert page.count("class=decision") == 3
    assert "5 retards en 4 semaines" in page
    assert "entretien tenu" in page and "24/11/2026" in page and "tutorat" in page
    assert "65,0\u202f% → 72,0\u202f%" in page


def test_every_label_exists_in_both_languages_and_every_used_key_is_defined() -> None:
    for key, (french, english) in LABELS.items():
        assert french.strip() and english.strip(), key
        fields = set(re.findall(r"{(\w+)}", french))
        assert fields == set(re.findall(r"{(\w+)}", english)), key
    root = Path(app_dashboard.__file__).parent
    used = set()
    for path in root.rglob("*.py"):
        used |= set(re.findall(r"\bt\(\s*\"(\w+)\"", path.read_text(encoding="utf-8")))
        used |= set(re.findall(r"text\(\s*\"(\w+)\"", path.read_text(encoding="utf-8")))
    assert used and used <= set(LABELS), used - set(LABELS)


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("role", ROLES),
        ("status", INTERVIEW_STATUSES),
        ("solution", INTERVIEW_SOLUTIONS),
        ("decision", FOLLOW_UP_KINDS),
    ],
)
def test_store_vocabularies_are_worded(kind: str, words: tuple[str, ...]) -> None:
    for word in words:
        assert vocabulary(kind, word, "fr") != word or word == "other"
        assert vocabulary(kind, word, "en")
    assert text("signed_in_as", "en", username="a", role="b") == "Signed in: a (b)"


def test_the_waterfall_explains_with_the_model_that_wrote_the_list() -> None:
    from app_dashboard.runtime import model_uri_for

    assert model_uri_for("vigie-dropout/3", "vigie-dropout") == "models:/vigie-dropout/3"
    assert model_uri_for("local-run", "vigie-dropout") == "models:/vigie-dropout@champion"


def weighted_view() -> WeekListView:
    """A list whose first student has a reason with its weight and the context summary as
    the weekly scoring stores it (`serving.list_payload`), the second a week stored before
    either was kept."""
    weighted = ReasonView(
        feature="unjustified_absences_4w",
        value=9,
        reference=1,
        share=0.73,  # a share of log-odds: never shown
        text_fr="9 demi-journées d'absence non justifiée",
        text_en="9 unjustified half-days of absence",
        points=0.123,
        risk_without=0.19,
        weight_text_fr=weight_text(0.123, 0.19, "fr"),
        weight_text_en=weight_text(0.123, 0.19, "en"),
    )
    stored = {
        "level": "2nde",
        CONTEXT_KEY: {
            "points": 0.057,
            "risk_without": 0.256,
            "text_fr": context_text(0.057, 0.256, "fr"),
            "text_en": context_text(0.057, 0.256, "en"),
        },
    }
    first = entry(1, "invite", 0.313).model_copy(update={"reasons": [weighted]})
    first = ListEntryView.model_validate({**first.model_dump(), "features_shown": stored})
    return VIEW.model_copy(update={"entries": [first, entry(2, "watch", 0.3)]})


def test_a_stored_context_summary_is_read_apart_from_the_features() -> None:
    first, older = weighted_view().entries
    assert first.context is not None and first.context.points == pytest.approx(0.057)
    assert CONTEXT_KEY not in first.features_shown and first.features_shown == {"level": "2nde"}
    assert older.context is None  # a week stored before the context was kept


def test_reasons_carry_their_weight_and_the_context_its_own_column() -> None:
    view = weighted_view()
    french = list_frame(view, None, "fr")
    assert french["reasons"].iloc[0] == (
        "9 demi-journées d'absence non justifiée — +12,3 points de risque "
        "(19\u202f% sans ce signal)"
    )
    assert french["reasons"].iloc[1] == "5 retards en 4 semaines"  # no weight stored then
    shown = display_frame(french, "fr")
    assert list(shown["Dont contexte (points)"]) == ["+5,7\u202fpts", "—"]
    english = display_frame(list_frame(view, None, "en"), "en")
    assert list(english["Of which context (points)"]) == ["+5.7\u202fpts", "—"]
    assert english["Reasons"].iloc[0].endswith("+12.3 points of risk (19% without this signal)")
    for frame in (shown, english):
        assert not frame.map(lambda cell: "73" in str(cell)).any().any()  # never the share


def test_exports_hold_the_weights_and_the_context_with_a_dash_for_older_weeks() -> None:
    view = weighted_view()
    frame = list_frame(view, None, "fr")
    rows = list(
        csv.DictReader(io.StringIO(csv_bytes(frame, "fr").decode("utf-8-sig")), delimiter=";")
    )
    column = text("csv_context", "fr")
    assert [row[column] for row in rows] == ["5,7", ""]
    assert "+12,3 points de risque" in rows[0]["Raisons"]
    page = printable_html(view, frame, "fr")
    assert "Dont contexte (points)" in page and "+5,7\u202fpts" in page
    assert "(19\u202f% sans ce signal)" in page


def test_the_context_line_is_worded_apart_in_both_languages() -> None:
    first, older = weighted_view().entries
    assert context_line(first.context, "fr") == (
        "Contexte (niveau, voie, établissement)\u00a0: +5,7 points de risque "
        "(25,6\u202f% sans le contexte)"
    )
    assert context_line(first.context, "en").startswith("Context (level, track, establishment)")
    assert context_line(older.context, "fr") == text("context_unknown", "fr")
    assert "—" in context_line(older.context, "en")
    assert reason_line(first.reasons[0], "en") == (
        "9 unjustified half-days of absence — +12.3 points of risk (19% without this signal)"
    )
