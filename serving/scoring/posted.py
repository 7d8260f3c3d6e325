"""Scoring students from posted events (`POST /v1/score`), through the same code as the week.

The posted tables (JSON records following the data contract) are written as a temporary
extraction folder of CSV files, validated by the contract's own rules
(`features.validation.check_extraction`), built by the one feature builder and explained by
`serving.scoring.week.explain_students`: nothing is computed a second way. A request need not
carry the event tables a handful of students may lack (attendance, grades, exams: empty is
allowed) nor outcomes (never read by the features); any other broken rule is reported by
table, row, column and rule.

Access control and the audit log live here, as in every service function: a watch unit may
score only students enrolled on the as-of date in its own establishments (their past
establishments may be any), inspectors and data scientists any, admins none. Refusals come
before the model is loaded and are audited.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from features.contract import TABLES
from features.feature_set import FeatureSet
from serving.db.engine import Store
from serving.scoring.model import RegisteredModel
from serving.services.actor import Actor
from serving.services.audit import record_read
from serving.services.guard import check
from serving.services.policy import Action, performs
from serving.services.suspensions import refuse_if_suspended

__all__ = [
    "EVENT_TABLES",
    "POSTED_TABLES",
    "ContractViolation",
    "InvalidPostedTables",
    "PostedScores",
    "posted_features",
    "score_posted",
]

# Tables a request carries; the event tables may be empty. Outcomes are never posted.
POSTED_TABLES: tuple[str, ...] = (
    "establishments",
    "students",
    "enrollments",
    "attendance",
    "grades",
    "exams",
)
EVENT_TABLES: frozenset[str] = frozenset({"attendance", "grades", "exams"})
_ALLOWED_GAPS = {("outcomes", "missing_table")} | {(t, "empty_table") for t in EVENT_TABLES}

Records = Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class ContractViolation:
    """One broken rule: `row` is the 0-based index of the record in its posted table (None
    for the whole table), `column` None when no single column is at fault."""

    table: str
    row: int | None
    column: str | None
    rule: str
    message: str


class InvalidPostedTables(Exception):
    """The posted tables break the data contract; `violations` say where and how."""

    def __init__(self, violations: Sequence[ContractViolation]) -> None:
        self.violations = tuple(violations)
        super().__init__(f"{len(self.violations)} contract violations in the posted tables")


@dataclass(frozen=True)
class PostedScores:
    """Explanation records of the posted students enrolled on the as-of date (risk, raw
    score, reasons, protective factors, level and class), and the model that scored them."""

    as_of: dt.date
    model_version: str
    records: tuple[dict[str, Any], ...]
    not_enrolled: tuple[str, ...]


@performs(Action.SCORE_STUDENTS)
def score_posted(
    store: Store,
    actor: Actor,
    tables: Mapping[str, Records],
    as_of: dt.date,
    champion: Callable[[], RegisteredModel],
    *,
    language: Literal["fr", "en"] = "fr",
) -> PostedScores:
    """Validate `tables`, build the features of their students enrolled on `as_of`, and
    score and explain them with the model `champion()` returns.

    Raises `AccessDenied` (audited) when the actor may not score these students,
    `Suspended` when an establishment of theirs is suspended (the stop switch),
    `InvalidPostedTables` for contract errors, `ModelUnavailable` without a champion."""
    check(store, actor, Action.SCORE_STUDENTS)
    feature_set = posted_features(tables, as_of)
    scored_uais = sorted(set(feature_set.frame["uai"].astype(str)))
    check(store, actor, Action.SCORE_STUDENTS, uais=scored_uais)
    with store.read_connection() as connection:  # the stop switch: no risk served there
        for uai in scored_uais:
            refuse_if_suspended(connection, uai)
    model = champion()
    records = _explained(model, feature_set, language)
    posted = {str(row.get("student_id")) for row in tables.get("students", ())}
    not_enrolled = sorted(posted - {str(record["student_id"]) for record in records})
    record_read(
        store,
        actor,
        "score_students",
        uai=scored_uais[0] if len(scored_uais) == 1 else None,
        model_version=model.label,
        detail=f"as of {as_of.isoformat()}: {len(records)} students scored from posted events"
        + (f" in {len(scored_uais)} establishments" if len(scored_uais) > 1 else ""),
    )
    return PostedScores(as_of, model.label, tuple(records), tuple(not_enrolled))


def posted_features(tables: Mapping[str, Records], as_of: dt.date) -> FeatureSet:
    """The features of the posted students enrolled on `as_of`, from a temporary extraction
    folder checked by the contract's rules (`InvalidPostedTables` on any broken one)."""
    from features.builder import build_features
    from features.extraction import open_extraction
    from features.validation import check_extraction

    with tempfile.TemporaryDirectory(prefix="vigie-score-") as folder:
        write_posted_extraction(tables, Path(folder))
        with open_extraction(folder) as extraction:
            report = check_extraction(extraction)
            violations = [
                ContractViolation(
                    example.table,
                    None if example.row is None else example.row - 1,
                    example.column,
                    example.rule,
                    example.message,
                )
                for group in report.groups
                if group.severity == "error" and (group.table, group.rule) not in _ALLOWED_GAPS
                for example in group.examples
            ]
            if violations:
                raise InvalidPostedTables(violations)
            return build_features(extraction, [as_of])


def _explained(
    model: RegisteredModel, feature_set: FeatureSet, language: Literal["fr", "en"]
) -> list[dict[str, Any]]:
    from serving.scoring.week import explain_students

    if len(feature_set) == 0:
        return []
    _, records = explain_students(model.model, feature_set, protective=3)
    frame = feature_set.frame
    for record in records:
        row = int(record.pop("row"))
        record["level"] = _text(frame["level"].iat[row])
        record["class_id"] = _text(frame["class_id"].iat[row])
        record["context_text"] = record.get(f"context_text_{language}")
        for reason in (*record["reasons"], *record["protective"], *record.get("context", ())):
            reason["text"] = reason[f"text_{language}"]
            reason["weight_text"] = reason.get(f"weight_text_{language}")
    return records


def _text(value: Any) -> str | None:
    return None if value is None or value != value else str(value)


def write_posted_extraction(tables: Mapping[str, Records], folder: Path) -> None:
    """One CSV file per posted table, as an extraction would hold it: the contract's columns
    in contract order (plus any unknown ones, which validation reports), empty cells for
    missing values, booleans as true/false. A table with no records gets a header only."""
    for name in POSTED_TABLES:
        rows = tables.get(name, ())
        known = TABLES[name].column_names
        seen = {key for row in rows for key in row}
        columns = [c for c in known if c in seen or c in TABLES[name].required_names]
        columns += sorted(seen - set(known))
        with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            for row in rows:
                writer.writerow([_cell(row.get(column)) for column in columns])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    return str(value)
