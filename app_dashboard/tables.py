"""Pure functions from service views to the frames and files the pages show: the weekly
list as a table in its three parts (to invite, to watch, in follow-up), its CSV export and
its printable page, both with the part of each student; a student's grades and exams. No
Streamlit here, so each is tested on its own; every number through `formatting`."""

from __future__ import annotations

import html

import pandas as pd

from app_dashboard.audit_wording import audit_detail
from app_dashboard.formatting import MISSING, day, integer, is_missing, mark, percent, points
from app_dashboard.wording import Language, text, vocabulary
from serving.csv_safety import safe_frame
from serving.services.views import ContextView, ListEntryView, ReasonView, WeekListView

__all__ = [
    "LIST_COLUMNS",
    "PARTS",
    "audit_frame",
    "context_line",
    "csv_bytes",
    "display_frame",
    "exams_frame",
    "follow_up_frame",
    "grades_frame",
    "list_frame",
    "printable_html",
    "reason_line",
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
    "context",
    "status",
    "decision",
    "decision_date",
    "solution",
    "risk_then",
)
# The parts of the week's queue, in the order shown, with their labels.
PARTS: tuple[tuple[str, str], ...] = (
    ("invite", "tier_invite"),
    ("watch", "tier_watch"),
    ("follow_up", "tier_follow_up"),
)
_FOLLOW_UP_COLUMNS = ("decision", "decision_date", "solution", "risk_then")


def student_label(entry: ListEntryView) -> str:
    """A student as the list shows them: the name for the own watch unit, else the id."""
    if entry.last_name or entry.first_name:
        return f"{entry.last_name or ''} {entry.first_name or ''}".strip()
    return entry.student_id


def reason_line(reason: ReasonView, language: Language) -> str:
    """A reason as people read it: its sentence and its weight in probability points with the
    risk without it (« … — +12,3 points de risque (19 % sans ce signal) »); the sentence
    alone for a week stored before the weights. Never the share of log-odds."""
    sentence = reason.text_en if language == "en" else reason.text_fr
    weight = reason.weight_text_en if language == "en" else reason.weight_text_fr
    return f"{sentence} — {weight}" if weight else sentence


def context_line(context: ContextView | None, language: Language) -> str:
    """The context's weight, apart from the reasons (« Contexte (niveau, voie,
    établissement) : +5,7 points de risque (23 % sans le contexte) »); for a week stored
    without it, a sentence saying so."""
    if context is None:
        return text("context_unknown", language)
    sentence = context.text_en if language == "en" else context.text_fr
    return sentence or text(
        "context_weight",
        language,
        points=points(context.points, language),
        without=percent(context.risk_without, language),
    )


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
        reasons = [reason_line(reason, language) for reason in entry.reasons]
        follow_up = entry.follow_up
        rows.append(
            {
                "tier": entry.tier,
                "rank": entry.rank,
                "student_id": entry.student_id,
                "student": student_label(entry),
                "level": entry.features_shown.get("level"),  # worded below
                "class_id": entry.features_shown.get("class_id"),
                "risk": entry.risk,
                "risk_change": entry.risk_change,
                "new_this_week": entry.new_this_week,
                "reasons": " · ".join(reasons),
                "context": None if entry.context is None else entry.context.points,
                "status": _status(entry, language),
                "decision": None
                if follow_up is None
                else vocabulary("decision", follow_up.kind, language),
                "decision_date": None if follow_up is None else (follow_up.date or follow_up.week),
                "solution": None
                if follow_up is None or follow_up.solution is None
                else vocabulary("solution", follow_up.solution, language),
                "risk_then": None if follow_up is None else follow_up.risk_then,
            }
        )
    frame = pd.DataFrame(rows, columns=list(LIST_COLUMNS))
    if classes is not None and not classes.empty and not frame.empty:
        known = classes.drop_duplicates("student_id").set_index("student_id")
        for column in ("level", "class_id"):
            looked_up = frame["student_id"].map(known[column]) if column in known else None
            if looked_up is not None:
                frame[column] = frame[column].fillna(looked_up)
    frame["level"] = frame["level"].map(
        lambda level: None if is_missing(level) else vocabulary("level", level, language)
    )
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
        "context": "col_context",
        "status": "col_status",
        "decision": "col_decision",
        "decision_date": "col_decision_date",
        "solution": "col_solution",
        "risk_then": "col_risk_then",
        "risk_then_now": "col_risk_then_now",
    }
    return {column: text(key, language) for column, key in keys.items()}


def csv_bytes(frame: pd.DataFrame, language: Language) -> bytes:
    """The list for the meeting as CSV (UTF-8 with BOM, so a spreadsheet opens accents
    right), headers in `language`, risks and their change in percent (points); in French as
    a French spreadsheet writes and reads it (semicolons, decimal comma), in English with
    commas and decimal points; no cell a spreadsheet would run as a formula
    (`serving.csv_safety`)."""
    out = frame.assign(
        tier=frame["tier"].map({part: text(key, language) for part, key in PARTS}),
        risk=(frame["risk"] * 100).round(1),
        risk_change=(frame["risk_change"] * 100).round(1),
        context=(frame["context"].astype(float) * 100).round(1),
        risk_then=(frame["risk_then"].astype(float) * 100).round(1),
        decision_date=frame["decision_date"].map(
            lambda day: None if day is None or pd.isna(day) else day.isoformat()
        ),
    )
    headers = {
        "tier": text("col_part", language),
        "student_id": text("student_id", language),
        **_headers(language),
    }
    headers.update(
        risk=text("csv_risk", language),
        risk_change=text("csv_risk_change", language),
        context=text("csv_context", language),
        risk_then=text("csv_risk_then", language),
    )
    separator, decimal = (";", ",") if language == "fr" else (",", ".")
    return (
        safe_frame(out.rename(columns=headers))
        .to_csv(index=False, sep=separator, decimal=decimal)
        .encode("utf-8-sig")
    )


def display_frame(frame: pd.DataFrame, language: Language) -> pd.DataFrame:
    """The list as people read it at the meeting: headers in `language`, risk as a
    percentage and its change in points, "new" as a word, no technical columns."""
    new = text("new_yes", language)
    shown = frame.assign(
        rank=frame["rank"].map(lambda value: integer(value, language)),
        risk=frame["risk"].map(lambda value: percent(value, language)),
        risk_change=frame["risk_change"].map(lambda value: points(value, language)),
        context=frame["context"].map(lambda value: points(value, language)),
        new_this_week=frame["new_this_week"].map(lambda value: new if value else ""),
        level=frame["level"].fillna(""),
        class_id=frame["class_id"].fillna(""),
    )
    # The list's columns, less the tier (a section of its own), the pseudonymous id and the
    # follow-up's (a section of their own).
    hidden = ("tier", "student_id", *_FOLLOW_UP_COLUMNS)
    columns = [column for column in LIST_COLUMNS if column not in hidden]
    return shown.loc[:, columns].rename(columns=_headers(language)).reset_index(drop=True)


def _then_now(then: float | None, now: float, language: Language) -> str:
    return f"{percent(then, language)} → {percent(now, language)}"


FOLLOW_UP_SHOWN = (
    "student",
    "level",
    "class_id",
    "decision",
    "decision_date",
    "solution",
    "risk_then_now",
    "status",
)


def follow_up_frame(frame: pd.DataFrame, language: Language) -> pd.DataFrame:
    """The students in follow-up as people read them: the decision, its date, the solution
    proposed, the risk then and now, and the live marks."""
    shown = frame.assign(
        level=frame["level"].fillna(""),
        class_id=frame["class_id"].fillna(""),
        decision=frame["decision"].fillna(MISSING),
        decision_date=frame["decision_date"].map(lambda value: day(value, language)),
        solution=frame["solution"].fillna(MISSING),
        risk_then_now=[
            _then_now(then, now, language)
            for then, now in zip(frame["risk_then"], frame["risk"], strict=True)
        ],
    )
    return (
        shown.loc[:, list(FOLLOW_UP_SHOWN)]
        .rename(columns=_headers(language))
        .reset_index(drop=True)
    )


def printable_html(view: WeekListView, frame: pd.DataFrame, language: Language) -> str:
    """A self-contained page to print (or save as PDF) for the meeting: the three parts
    (to invite and to watch with the reasons; in follow-up with the decision, its date, the
    solution and the risk then and now), and an empty column for the decision taken."""
    e = html.escape
    headers = _headers(language)
    listed = (
        "rank", "student", "level", "class_id", "risk", "risk_change", "reasons", "context",
        "status",
    )  # fmt: skip
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
                week=day(view.week, language),
                capacity=view.weekly_interview_capacity,
                model=view.model_version,
            )
        ),
        "</p>",
    ]
    for tier, key in PARTS:
        part = frame[frame["tier"] == tier]
        parts += ["<h2>", e(text(key, language)), "</h2>"]
        if part.empty:
            parts += ["<p>", e(text("empty_tier", language)), "</p>"]
            continue
        shown = FOLLOW_UP_SHOWN if tier == "follow_up" else listed
        parts.append("<table><tr>")
        parts += [f"<th>{e(headers[c])}</th>" for c in shown]
        parts.append(f"<th>{e(text('print_signature', language))}</th></tr>")
        for row in part.itertuples(index=False):
            cells = {
                "rank": str(row.rank),
                "student": row.student,
                "level": row.level or "",
                "class_id": row.class_id or "",
                "risk": percent(row.risk, language),
                "risk_change": points(row.risk_change, language),
                "reasons": row.reasons,
                "context": points(row.context, language),
                "status": row.status,
                "decision": row.decision or MISSING,
                "decision_date": day(row.decision_date, language),
                "solution": row.solution or MISSING,
                "risk_then_now": _then_now(row.risk_then, row.risk, language),
            }
            parts.append("<tr>")
            parts += [f"<td>{e(str(cells[c]))}</td>" for c in shown]
            parts.append("<td class=decision></td></tr>")
        parts.append("</table>")
    parts.append("</html>")
    return "".join(parts)


def grades_frame(grades: pd.DataFrame, language: Language) -> pd.DataFrame:
    """A student's grades (period, subject, mean, marks) as people read them: subjects by
    name, means « 12,5/20 », headers in `language`."""
    return pd.DataFrame(
        {
            text("period", language): grades["period"].map(lambda p: integer(p, language)),
            text("subject", language): grades["subject"].map(
                lambda code: vocabulary("subject", code, language)
            ),
            text("mean", language): grades["mean"].map(lambda value: mark(value, language)),
            text("marks", language): grades["marks"].map(lambda n: integer(n, language)),
        }
    )


def exams_frame(exams: pd.DataFrame, language: Language) -> pd.DataFrame:
    """A student's exams (date, exam, result, score) as people read them."""
    return pd.DataFrame(
        {
            text("exam_date", language): exams["date"].map(
                lambda value: day(None if is_missing(value) else pd.Timestamp(value), language)
            ),
            text("exam", language): exams["exam"].map(
                lambda code: vocabulary("exam", code, language)
            ),
            text("exam_result", language): exams["result"].map(
                lambda code: vocabulary("exam_result", code, language)
            ),
            text("exam_score", language): exams["score"].map(lambda v: mark(v, language)),
        }
    )


# The audit log's columns as the page shows them: (column, label key, vocabulary or None).
_AUDIT_COLUMNS: tuple[tuple[str, str, str | None], ...] = (
    ("at", "audit_at", None),
    ("username", "audit_user", None),
    ("role", "audit_role", "role"),
    ("action", "audit_action", "action"),
    ("outcome", "audit_outcome", "outcome"),
    ("student_id", "audit_student", None),
    ("uai", "audit_uai", None),
    ("model_version", "audit_model", None),
)


def audit_frame(entries: pd.DataFrame, language: Language) -> pd.DataFrame:
    """Audit entries (`AuditEntryView` fields) as people read them: headers, roles, actions
    and outcomes in `language`, the time to the second, a dash for what an entry lacks."""

    def cell(column: str, kind: str | None, value: object) -> str:
        if kind is not None:
            return vocabulary(kind, value, language)
        if column == "at" and not is_missing(value):
            return pd.Timestamp(value).strftime("%d/%m/%Y %H:%M:%S")
        return MISSING if is_missing(value) else str(value)

    frame = pd.DataFrame(
        {
            text(key, language): [cell(column, kind, value) for value in entries[column]]
            for column, key, kind in _AUDIT_COLUMNS
            if column in entries and column != "detail"
        }
    )
    if "detail" in entries:  # the services' English templates, worded at display time
        actions = entries["action"] if "action" in entries else [None] * len(entries)
        frame[text("audit_detail", language)] = [
            audit_detail(action, detail, language)
            for action, detail in zip(actions, entries["detail"], strict=True)
        ]
    return frame
