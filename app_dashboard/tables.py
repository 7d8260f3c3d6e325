"""Pure functions from service views to the frames and files the pages show: the weekly
list as a table, its CSV export and its printable page. No Streamlit here, so each is tested
on its own."""

from __future__ import annotations

import html

import pandas as pd

from app_dashboard.wording import Language, text
from serving.csv_safety import safe_frame
from serving.services.views import ListEntryView, WeekListView

__all__ = [
    "LIST_COLUMNS",
    "csv_bytes",
    "display_frame",
    "list_frame",
    "printable_html",
    "student_label",
]

LIST_COLUMNS: tuple[str, ...] = (
    "tier",
    "rank",
    "student_id",
    "student",
    "level",
    "class_id",
    "risk",
    "risk_change",
    "new_this_week",
    "reasons",
    "status",
)


def student_label(entry: ListEntryView) -> str:
    """A student as the list shows them: the name for the own watch unit, else the id."""
    if entry.last_name or entry.first_name:
        return f"{entry.last_name or ''} {entry.first_name or ''}".strip()
    return entry.student_id


def _status(entry: ListEntryView, language: Language) -> str:
    marks = []
    if entry.interview_under_way:
        marks.append(text("status_under_way", language))
    if entry.dismissed_recently:
        marks.append(text("status_dismissed", language))
    return ", ".join(marks) or text("status_none", language)


def list_frame(
    view: WeekListView, classes: pd.DataFrame | None, language: Language
) -> pd.DataFrame:
    """One row per listed student, in rank order, with the reasons as sentences in
    `language` and the level and class from `classes` (student_id, level, class_id)."""
    rows = []
    for entry in view.entries:
        reasons = [r.text_en if language == "en" else r.text_fr for r in entry.reasons]
        rows.append(
            {
                "tier": entry.tier,
                "rank": entry.rank,
                "student_id": entry.student_id,
                "student": student_label(entry),
                "level": entry.features_shown.get("level"),
                "class_id": entry.features_shown.get("class_id"),
                "risk": entry.risk,
                "risk_change": entry.risk_change,
                "new_this_week": entry.new_this_week,
                "reasons": " · ".join(reasons),
                "status": _status(entry, language),
            }
        )
    frame = pd.DataFrame(rows, columns=list(LIST_COLUMNS))
    if classes is not None and not classes.empty and not frame.empty:
        known = classes.drop_duplicates("student_id").set_index("student_id")
        for column in ("level", "class_id"):
            looked_up = frame["student_id"].map(known[column]) if column in known else None
            if looked_up is not None:
                frame[column] = frame[column].fillna(looked_up)
    return frame


def _headers(language: Language) -> dict[str, str]:
    keys = {
        "rank": "col_rank",
        "student": "col_student",
        "level": "col_level",
        "class_id": "col_class",
        "risk": "col_risk",
        "risk_change": "col_change",
        "new_this_week": "col_new",
        "reasons": "col_reasons",
        "status": "col_status",
    }
    return {column: text(key, language) for column, key in keys.items()}


def csv_bytes(frame: pd.DataFrame, language: Language) -> bytes:
    """The list for the meeting as CSV (UTF-8 with BOM, so a spreadsheet opens accents
    right), headers in `language`, risk as a percentage; no cell a spreadsheet would run as
    a formula (`serving.csv_safety`)."""
    out = frame.assign(
        tier=frame["tier"].map(
            {"list": text("tier_list", language), "watch": text("tier_watch", language)}
        ),
        risk=(frame["risk"] * 100).round(1),
        risk_change=(frame["risk_change"] * 100).round(1),
    )
    headers = {"tier": "", "student_id": text("student_id", language), **_headers(language)}
    return safe_frame(out.rename(columns=headers)).to_csv(index=False).encode("utf-8-sig")


def _percent(value: float | None, signed: bool = False) -> str:
    if value is None or pd.isna(value):
        return "—"
    return f"{value * 100:+.1f} %" if signed else f"{value * 100:.1f} %"


def display_frame(frame: pd.DataFrame, language: Language) -> pd.DataFrame:
    """The list as people read it at the meeting: headers in `language`, risk and its change
    as percentages, "new" as a word, no technical columns."""
    new = text("new_yes", language)
    shown = frame.assign(
        risk=frame["risk"].map(_percent),
        risk_change=frame["risk_change"].map(lambda value: _percent(value, signed=True)),
        new_this_week=frame["new_this_week"].map(lambda value: new if value else ""),
        level=frame["level"].fillna(""),
        class_id=frame["class_id"].fillna(""),
    )
    # The list's columns, less the tier (a section of its own) and the pseudonymous id.
    columns = [column for column in LIST_COLUMNS if column not in ("tier", "student_id")]
    return shown.loc[:, columns].rename(columns=_headers(language)).reset_index(drop=True)


def printable_html(view: WeekListView, frame: pd.DataFrame, language: Language) -> str:
    """A self-contained page to print (or save as PDF) for the meeting: both tiers with the
    reasons, and an empty column for the decision taken."""
    e = html.escape
    headers = _headers(language)
    shown = ("rank", "student", "level", "class_id", "risk", "risk_change", "reasons", "status")
    parts = [
        "<!doctype html><html lang=",
        language,
        "><meta charset=utf-8>",
        "<title>",
        e(text("print_title", language)),
        "</title><style>",
        "body{font-family:system-ui,sans-serif;font-size:12px;margin:1.5rem}",
        "table{border-collapse:collapse;width:100%;margin-bottom:1.2rem}",
        "th,td{border:1px solid #999;padding:4px;vertical-align:top;text-align:left}",
        "th{background:#eef}td.decision{width:18%}@media print{h2{page-break-after:avoid}}",
        "</style><h1>",
        e(text("print_title", language)),
        "</h1><p>",
        e(
            text(
                "list_caption",
                language,
                name=view.establishment_name,
                week=view.week,
                capacity=view.weekly_interview_capacity,
                model=view.model_version,
            )
        ),
        "</p>",
    ]
    for tier, key in (("list", "tier_list"), ("watch", "tier_watch")):
        part = frame[frame["tier"] == tier]
        parts += ["<h2>", e(text(key, language)), "</h2>"]
        if part.empty:
            parts += ["<p>", e(text("empty_tier", language)), "</p>"]
            continue
        parts.append("<table><tr>")
        parts += [f"<th>{e(headers[c])}</th>" for c in shown]
        parts.append(f"<th>{e(text('print_signature', language))}</th></tr>")
        for row in part.itertuples(index=False):
            cells = {
                "rank": str(row.rank),
                "student": row.student,
                "level": row.level or "",
                "class_id": row.class_id or "",
                "risk": _percent(row.risk),
                "risk_change": _percent(row.risk_change, signed=True),
                "reasons": row.reasons,
                "status": row.status,
            }
            parts.append("<tr>")
            parts += [f"<td>{e(str(cells[c]))}</td>" for c in shown]
            parts.append("<td class=decision></td></tr>")
        parts.append("</table>")
    parts.append("</html>")
    return "".join(parts)
