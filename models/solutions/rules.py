"""The eligibility rules of the suggested solutions: one table, read from a YAML file.

The table shipped with Vigie is `rules.yaml` beside this module, each rule with its source
(the texts are cited, never downloaded). An académie adjusts it by pointing
`VIGIE_SOLUTION_RULES` at its own copy, which replaces the shipped table whole; a bad file
stops the start (`settings`) with `SolutionRulesError` naming the file, each rule and field
at fault and what was expected.

A rule suggests one `solution` (the store's vocabulary, `SOLUTIONS`) when every condition it
sets is met by the student's facts (`models.solutions.facts.StudentFacts`); a condition left
out is not checked. Conditions (`CONDITIONS`):

- `min_age`, `max_age`: age in full years on the date, inclusive bounds.
- `enrolled`: true, still enrolled on the date; false, no longer enrolled.
- `left_less_than_months`: still enrolled (dropping out, not yet gone), or left the education
  system less than this many full months ago (a transfer is not leaving).
- `failed_exam_in`: failed (and not passed since) one of these exams.
- `qualified`: holds, or does not hold, the minimum qualification (CAP, BEP, baccalauréat).
- `interview_held`: the entretien de situation has been held (it comes before any MLDS action:
  a student who meets every other condition is suggested the solution "after the interview").

`priority_unqualified: true` marks the students without a qualification as the rule's
priority ("first those without a qualification"); it excludes nobody.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, get_args

import yaml

from features.contract import CODES

__all__ = [
    "CONDITIONS",
    "EXAMS",
    "SHIPPED_RULES",
    "SOLUTIONS",
    "RuleTable",
    "Solution",
    "SolutionRule",
    "SolutionRulesError",
    "load_rules",
    "parse_rules",
    "shipped_rules",
]

Solution = Literal[
    "return_to_training", "aar", "morea", "tutoring", "foquale", "insertion", "other"
]
SOLUTIONS: tuple[Solution, ...] = get_args(Solution)
"""The interview solutions (the same words as `serving.db.vocabulary.InterviewSolution`)."""
EXAMS: tuple[str, ...] = tuple(exam for exam in CODES["exam"] if exam != "mock")
SHIPPED_RULES = "rules.yaml"
CONDITIONS: tuple[str, ...] = (
    "min_age",
    "max_age",
    "enrolled",
    "left_less_than_months",
    "failed_exam_in",
    "qualified",
    "interview_held",
)
_TEXT_FIELDS = ("id", "solution", "title_fr", "title_en", "source")
_KNOWN = frozenset({*_TEXT_FIELDS, *CONDITIONS, "priority_unqualified"})
_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_MAX_AGE = 30
_MAX_MONTHS = 120


class SolutionRulesError(ValueError):
    """The rules file is unreadable or breaks the schema; the message names the file and,
    for each problem, the rule (position and id) and the field."""


@dataclass(frozen=True)
class SolutionRule:
    """One row of the table: which solution, why (`source`), for whom (the conditions set)."""

    id: str
    solution: Solution
    title_fr: str
    title_en: str
    source: str
    min_age: int | None = None
    max_age: int | None = None
    enrolled: bool | None = None
    left_less_than_months: int | None = None
    failed_exam_in: tuple[str, ...] | None = None
    qualified: bool | None = None
    interview_held: bool | None = None
    priority_unqualified: bool = False

    def conditions(self) -> tuple[str, ...]:
        """The conditions this rule sets, in `CONDITIONS` order."""
        return tuple(name for name in CONDITIONS if getattr(self, name) is not None)


@dataclass(frozen=True)
class RuleTable:
    """The rules in order (suggestions come in this order), where they were read from and
    the SHA-256 of that file (recorded with each suggestion)."""

    rules: tuple[SolutionRule, ...]
    origin: str
    sha256: str = field(repr=False)

    def rule(self, rule_id: str) -> SolutionRule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(f"no solution rule {rule_id!r} in {self.origin}")


def _integer(upper: int) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= upper:
            return f"must be a whole number from 0 to {upper}, got {value!r}"
        return None

    return check


def _boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"must be true or false, got {value!r}"


def _text(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return f"must be a non-empty text, got {value!r}"
    return None


def _solution(value: Any) -> str | None:
    if value not in SOLUTIONS:
        return f"must be one of {', '.join(SOLUTIONS)}, got {value!r}"
    return None


def _exams(value: Any) -> str | None:
    if not isinstance(value, list) or not value or any(each not in EXAMS for each in value):
        return f"must be a non-empty list of exams among {', '.join(EXAMS)}, got {value!r}"
    return None


_CHECKS: Mapping[str, Callable[[Any], str | None]] = {
    "id": lambda value: (
        None
        if isinstance(value, str) and _ID.match(value)
        else f"must be lower-case letters, digits and _ (at most 40), got {value!r}"
    ),
    "solution": _solution,
    "title_fr": _text,
    "title_en": _text,
    "source": _text,
    "min_age": _integer(_MAX_AGE),
    "max_age": _integer(_MAX_AGE),
    "enrolled": _boolean,
    "left_less_than_months": _integer(_MAX_MONTHS),
    "failed_exam_in": _exams,
    "qualified": _boolean,
    "interview_held": _boolean,
    "priority_unqualified": _boolean,
}


def _rule_problems(entry: Mapping[str, Any]) -> list[tuple[str, str]]:
    problems = [(name, "unknown field") for name in sorted(set(entry) - _KNOWN)]
    problems += [(name, "is required") for name in _TEXT_FIELDS if name not in entry]
    for name, value in entry.items():
        check = _CHECKS.get(name)
        problem = None if check is None else check(value)
        if problem is not None:
            problems.append((name, problem))
    low, high = entry.get("min_age"), entry.get("max_age")
    if not problems and low is not None and high is not None and low > high:
        problems.append(("max_age", f"must be at least min_age ({low}), got {high}"))
    if not problems and entry.get("left_less_than_months") == 0:
        problems.append(("left_less_than_months", "must be at least 1 (0 meets nobody)"))
    return problems


def _as_rule(entry: Mapping[str, Any]) -> SolutionRule:
    values = dict(entry)
    if "failed_exam_in" in values:
        values["failed_exam_in"] = tuple(values["failed_exam_in"])
    return SolutionRule(**values)


def parse_rules(text: str, origin: str) -> RuleTable:
    """The table of the YAML `text` (read from `origin`, named in errors), checked whole:
    every problem of every rule is reported at once, nothing half-read is returned."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise SolutionRulesError(f"solution rules {origin}: not valid YAML ({error})") from None
    entries = document.get("rules") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise SolutionRulesError(
            f"solution rules {origin}: expected a mapping with a non-empty 'rules' list"
        )
    problems: list[str] = []
    seen: dict[str, int] = {}
    for position, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            problems.append(f"rule {position}: must be a mapping of fields, got {entry!r}")
            continue
        rule_id = entry.get("id")
        named = f"rule {position} ({rule_id!r})" if isinstance(rule_id, str) else f"rule {position}"
        problems += [
            f"{named}, field '{name}': {problem}" for name, problem in _rule_problems(entry)
        ]
        if isinstance(rule_id, str):
            if rule_id in seen:
                problems.append(f"{named}, field 'id': repeats the id of rule {seen[rule_id]}")
            seen.setdefault(rule_id, position)
    if problems:
        raise SolutionRulesError(f"solution rules {origin}: " + "; ".join(problems))
    sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return RuleTable(tuple(_as_rule(entry) for entry in entries), origin, sha256)


def load_rules(path: Path | None = None) -> RuleTable:
    """The table of the file at `path` (`VIGIE_SOLUTION_RULES`), or the shipped one."""
    if path is None:
        return shipped_rules()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SolutionRulesError(f"solution rules {path}: cannot be read ({error})") from None
    return parse_rules(text, str(path))


def shipped_rules() -> RuleTable:
    """The table shipped with Vigie (`models/solutions/rules.yaml`)."""
    text = resources.files(__package__).joinpath(SHIPPED_RULES).read_text(encoding="utf-8")
    return parse_rules(text, f"models/solutions/{SHIPPED_RULES}")
