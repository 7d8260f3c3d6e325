"""The leavers list as the MLDS reads it (the dashboard page and `vigie leavers`): one row
per student with the words of `app_dashboard.wording`, the filters by establishment and month
of leaving, each student's path and contacts, and the CSV export under the watch list's rules
(UTF-8 with BOM, French or English spreadsheet conventions, no cell run as a formula).

Pure functions of the service's view (`serving.services.leaver_views.LeaversView`)."""

from __future__ import annotations

from collections.abc import Collection, Mapping

import pandas as pd

from app_dashboard.formatting import MISSING, day, integer
from app_dashboard.leavers_wording import MONTHS
from app_dashboard.wording import Language, text, vocabulary
from serving.csv_safety import safe_frame
from serving.services.leaver_views import LeaversView, LeaverView

__all__ = [
    "contacts_frame",
    "display_leavers",
    "filtered",
    "leavers_csv",
    "leavers_frame",
    "month_label",
    "path_frame",
    "student_name",
    "suggested_titles",
]


def student_name(leaver: LeaverView) -> str:
    """The student as the MLDS reads them: the name, else the pseudonymous id."""
    name = f"{leaver.last_name or ''} {leaver.first_name or ''}".strip()
    return name or leaver.student_id


def month_label(month: str, language: Language) -> str:
    """« septembre 2026 » / "September 2026" for "2026-09"."""
    year, number = month.split("-")
    french, english = MONTHS[int(number) - 1]
    return f"{english if language == 'en' else french} {year}"


def _interview(leaver: LeaverView, language: Language) -> str:
    interview = leaver.interview
    if interview.status is None:
        return text("leavers_interview_none", language)
    status = vocabulary("status", interview.status, language)
    if interview.held and interview.interview_date is not None:
        status = text(
            "leavers_interview_held", language, date=day(interview.interview_date, language)
        )
    if interview.solution:
        status = f"{status} — {vocabulary('solution', interview.solution, language)}"
    return status


def _failed(leaver: LeaverView, language: Language) -> str:
    words = []
    for exam in leaver.failed_exams:
        result = vocabulary("exam_result", exam.result, language)
        words.append(
            f"{vocabulary('exam', exam.exam, language)} ({result}, {day(exam.date, language)})"
        )
    return "; ".join(words) or MISSING


def _contacts(leaver: LeaverView, language: Language) -> str:
    if not leaver.contacts:
        return MISSING
    last = leaver.contacts[-1]
    outcome = vocabulary("contact_outcome", last.outcome, language)
    latest = (
        f"{vocabulary('contact_action', last.action, language)} "
        f"({outcome}, {day(last.contact_date, language)})"
    )
    return f"{integer(len(leaver.contacts), language)} — {latest}"


def leavers_frame(view: LeaversView) -> pd.DataFrame:
    """One row per leaver: the view's fields the page filters on, and the leaver itself."""
    rows = [
        {
            "student_id": leaver.student_id,
            "uai": leaver.uai,
            "month": leaver.left_on.strftime("%Y-%m"),
            "leaver": leaver,
        }
        for leaver in view.leavers
    ]
    return pd.DataFrame(rows, columns=["student_id", "uai", "month", "leaver"])


def filtered(
    frame: pd.DataFrame, establishments: Collection[str], months: Collection[str]
) -> pd.DataFrame:
    """The rows of the chosen establishments and months of leaving (nothing chosen: all)."""
    keep = pd.Series(True, index=frame.index)
    if establishments:
        keep &= frame["uai"].isin(set(establishments))
    if months:
        keep &= frame["month"].isin(set(months))
    return frame[keep]


def suggested_titles(leaver: LeaverView, language: Language) -> list[str]:
    """The titles of the solutions suggested for the leaver, in the rules' order (one that
    waits for the entretien de situation says so)."""
    titles = []
    for each in leaver.suggestions:
        title = each.title_en if language == "en" else each.title_fr
        if each.awaits_interview:
            title = text("leavers_awaits_interview", language, title=title)
        titles.append(title)
    return titles


def display_leavers(frame: pd.DataFrame, language: Language) -> pd.DataFrame:
    """The leavers with headers and words in `language`, the suggested actions last."""
    columns: dict[str, list[str]] = {
        key: []
        for key in (
            "leavers_col_student", "leavers_col_establishment", "leavers_col_level",
            "leavers_col_left_on", "leavers_col_kind", "leavers_col_age", "leavers_col_failed",
            "leavers_col_interview", "leavers_col_contacts", "leavers_col_suggested",
        )
    }  # fmt: skip
    for leaver in frame["leaver"]:
        columns["leavers_col_student"].append(student_name(leaver))
        columns["leavers_col_establishment"].append(
            f"{leaver.establishment_name or MISSING} ({leaver.uai})"
        )
        columns["leavers_col_level"].append(f"{leaver.level} ({leaver.class_id})")
        columns["leavers_col_left_on"].append(day(leaver.left_on, language))
        columns["leavers_col_kind"].append(vocabulary("exit_kind", leaver.exit_kind, language))
        columns["leavers_col_age"].append(integer(leaver.age, language))
        columns["leavers_col_failed"].append(_failed(leaver, language))
        columns["leavers_col_interview"].append(_interview(leaver, language))
        columns["leavers_col_contacts"].append(_contacts(leaver, language))
        columns["leavers_col_suggested"].append(
            "; ".join(suggested_titles(leaver, language))
            or text("leavers_suggested_none", language)
        )
    return pd.DataFrame({text(key, language): values for key, values in columns.items()})


def path_frame(leaver: LeaverView, language: Language) -> pd.DataFrame:
    """The student's enrollments, oldest first."""
    return pd.DataFrame(
        {
            text("leavers_col_year", language): [step.school_year for step in leaver.path],
            text("leavers_col_path_establishment", language): [
                f"{step.establishment_name or MISSING} ({step.uai})" for step in leaver.path
            ],
            text("leavers_col_level", language): [step.level for step in leaver.path],
            text("leavers_col_class", language): [step.class_id for step in leaver.path],
            text("leavers_col_start", language): [
                day(step.start_date, language) for step in leaver.path
            ],
            text("leavers_col_end", language): [
                day(step.end_date, language) for step in leaver.path
            ],
            text("leavers_col_exit", language): [
                vocabulary("exit_reason", step.exit_reason, language) for step in leaver.path
            ],
        }
    )


def contacts_frame(leaver: LeaverView, language: Language) -> pd.DataFrame:
    """The contacts recorded with the student, oldest first."""
    return pd.DataFrame(
        {
            text("leavers_col_date", language): [
                day(c.contact_date, language) for c in leaver.contacts
            ],
            text("leavers_col_action", language): [
                vocabulary("contact_action", c.action, language) for c in leaver.contacts
            ],
            text("leavers_col_outcome", language): [
                vocabulary("contact_outcome", c.outcome, language) for c in leaver.contacts
            ],
            text("leavers_col_by", language): [c.updated_by for c in leaver.contacts],
        }
    )


def leavers_csv(frame: pd.DataFrame, language: Language) -> bytes:
    """The leavers shown, as CSV: the id, names and UAI as data, then the page's columns;
    in French with semicolons (a French spreadsheet), in English with commas; UTF-8 with
    BOM; no cell a spreadsheet would run as a formula (`serving.csv_safety`)."""
    shown = display_leavers(frame, language)
    leavers: list[LeaverView] = list(frame["leaver"])
    identity: Mapping[str, list[object]] = {
        text("leavers_csv_student_id", language): [leaver.student_id for leaver in leavers],
        text("leavers_csv_last_name", language): [leaver.last_name or "" for leaver in leavers],
        text("leavers_csv_first_name", language): [leaver.first_name or "" for leaver in leavers],
        text("leavers_csv_uai", language): [leaver.uai for leaver in leavers],
    }
    out = pd.concat([pd.DataFrame(identity), shown.drop(columns=shown.columns[0])], axis=1)
    separator = ";" if language == "fr" else ","
    return safe_frame(out).to_csv(index=False, sep=separator).encode("utf-8-sig")
