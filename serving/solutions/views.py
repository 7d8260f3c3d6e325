"""What the API and the dashboard get about suggested solutions: pydantic views of the
engine's answer (`models.solutions`), with each check written in French and English, and the
aggregate of how often a recorded choice followed the suggestion."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from models.solutions.engine import Suggestion
from models.solutions.facts import StudentFacts
from models.solutions.rules import RuleTable, Solution
from models.solutions.wording import check_text

__all__ = [
    "CheckView",
    "FactsView",
    "FailedExamView",
    "SolutionsView",
    "SuggestionFollowedView",
    "SuggestionView",
    "solutions_view",
]

NEVER_DECIDED = (
    "Suggested from the eligibility rules, never decided: the watch unit chooses the solution."
)


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class CheckView(_View):
    condition: str = Field(description="The rule's condition (e.g. min_age).")
    required: Any = Field(description="What the rule requires (e.g. 16).")
    fact: str = Field(description="The student's fact read (e.g. age).")
    value: Any = Field(description="The student's value of that fact.")
    met: bool
    text_fr: str
    text_en: str


class SuggestionView(_View):
    solution: Solution
    rule_id: str
    title_fr: str
    title_en: str
    source: str = Field(description="The texts the rule comes from.")
    awaits_interview: bool = Field(
        description="Every condition is met but the entretien de situation, not held yet "
        "(it comes before any MLDS action)."
    )
    priority: bool = Field(
        description="The rule gives priority to students without a qualification, and this "
        "student has none."
    )
    checks: list[CheckView]


class FailedExamView(_View):
    exam: str
    date: dt.date


class FactsView(_View):
    """The facts the rules read, on `as_of` (no name, no sensitive attribute)."""

    age: int | None
    enrolled: bool
    left_on: dt.date | None
    exit_reason: str | None
    months_since_leaving: int | None
    failed_exams: list[FailedExamView]
    diplomas: list[str]
    qualified: bool
    interview_held: bool


class SolutionsView(_View):
    student_id: str
    as_of: dt.date
    rules_sha256: str = Field(description="SHA-256 of the table of rules in use.")
    note: str = NEVER_DECIDED
    facts: FactsView
    suggestions: list[SuggestionView]


class SuggestionFollowedView(_View):
    """Held interviews with a recorded solution, and how the choice compares with what was
    suggested when it was recorded."""

    solutions_recorded: int
    with_suggestion: int = Field(description="Recorded with the suggestion of the day.")
    followed: int = Field(description="The solution chosen was among those suggested.")
    not_followed: int = Field(description="Another solution was chosen.")
    nothing_suggested: int = Field(description="No solution fitted the rules that day.")
    followed_share: float | None = Field(
        description="followed / (followed + not_followed); None without any."
    )
    by_solution: dict[str, dict[str, int]] = Field(
        description="Per solution chosen: followed, not_followed, nothing_suggested."
    )


def _facts_view(facts: StudentFacts) -> FactsView:
    return FactsView(
        age=facts.age,
        enrolled=facts.enrolled,
        left_on=facts.left_on,
        exit_reason=facts.exit_reason,
        months_since_leaving=facts.months_since_leaving,
        failed_exams=[
            FailedExamView(exam=each.exam, date=each.date) for each in facts.failed_exams
        ],
        diplomas=list(facts.diplomas),
        qualified=facts.qualified,
        interview_held=facts.interview_held,
    )


def _suggestion_view(suggestion: Suggestion, facts: StudentFacts) -> SuggestionView:
    rule = suggestion.rule
    return SuggestionView(
        solution=suggestion.solution,
        rule_id=rule.id,
        title_fr=rule.title_fr,
        title_en=rule.title_en,
        source=rule.source,
        awaits_interview=suggestion.awaits_interview,
        priority=suggestion.priority,
        checks=[
            CheckView(
                condition=check.condition,
                required=list(check.required) if isinstance(check.required, tuple)
                else check.required,
                fact=check.fact,
                value=list(check.value) if isinstance(check.value, tuple) else check.value,
                met=check.met,
                text_fr=check_text(check, facts, "fr"),
                text_en=check_text(check, facts, "en"),
            )
            for check in suggestion.checks
        ],
    )  # fmt: skip


def solutions_view(
    facts: StudentFacts, table: RuleTable, suggestions: tuple[Suggestion, ...]
) -> SolutionsView:
    return SolutionsView(
        student_id=facts.student_id,
        as_of=facts.on,
        rules_sha256=table.sha256,
        facts=_facts_view(facts),
        suggestions=[_suggestion_view(each, facts) for each in suggestions],
    )
