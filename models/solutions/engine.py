"""Which solutions fit a student: the facts of a date against the table of rules. Pure.

`suggest(facts, table)` gives, in the table's order, one `Suggestion` per rule whose
conditions the facts meet, each with the checks that make it so (the condition, what it
requires, the fact and its value). A rule all of whose conditions are met but the interview
(`interview_held`: the entretien de situation comes before any MLDS action) is suggested
too, marked `awaits_interview`. `suggested_solutions` is the set a choice is compared with.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.solutions.facts import TRANSFERRED, StudentFacts
from models.solutions.rules import RuleTable, Solution, SolutionRule

__all__ = [
    "Check",
    "Suggestion",
    "check_rule",
    "suggest",
    "suggested_solutions",
]

INTERVIEW = "interview_held"


@dataclass(frozen=True)
class Check:
    """One condition of a rule against the facts: `condition` (a rule field) requires
    `required`; the fact read is `fact`, whose value was `value`."""

    condition: str
    required: object
    fact: str
    value: object
    met: bool


@dataclass(frozen=True)
class Suggestion:
    """A solution the student is eligible for, by `rule`, as `checks` show. `priority`: the
    rule gives priority to students without a qualification and this one has none."""

    solution: Solution
    rule: SolutionRule
    checks: tuple[Check, ...]
    awaits_interview: bool = False
    priority: bool = False


def _left(facts: StudentFacts) -> bool:
    """No longer enrolled, and not moved elsewhere (a transfer is not leaving)."""
    return not facts.enrolled and facts.left_on is not None and facts.exit_reason != TRANSFERRED


def _check(rule: SolutionRule, condition: str, facts: StudentFacts) -> Check:
    required = getattr(rule, condition)
    if condition in ("min_age", "max_age"):
        age = facts.age
        met = age is not None and (age >= required if condition == "min_age" else age <= required)
        return Check(condition, required, "age", age, met)
    if condition == "enrolled":
        met = facts.enrolled if required else _left(facts)
        return Check(condition, required, "enrolled", facts.enrolled, met)
    if condition == "left_less_than_months":
        months = facts.months_since_leaving
        met = facts.enrolled or (_left(facts) and months is not None and months < required)
        return Check(condition, required, "months_since_leaving", months, met)
    if condition == "failed_exam_in":
        failed = tuple(each.exam for each in facts.failed_exams if each.exam in required)
        return Check(condition, required, "failed_exams", failed, bool(failed))
    if condition == "qualified":
        return Check(condition, required, "qualified", facts.qualified,
                     facts.qualified == required)  # fmt: skip
    if condition == INTERVIEW:
        return Check(condition, required, INTERVIEW, facts.interview_held,
                     facts.interview_held == required)  # fmt: skip
    raise KeyError(f"unknown condition {condition!r} in rule {rule.id!r}")


def check_rule(facts: StudentFacts, rule: SolutionRule) -> tuple[Check, ...]:
    """Every condition the rule sets, checked against `facts`, in `CONDITIONS` order."""
    return tuple(_check(rule, condition, facts) for condition in rule.conditions())


def suggest(facts: StudentFacts, table: RuleTable) -> tuple[Suggestion, ...]:
    """The solutions `facts` make the student eligible for, in the table's order."""
    suggestions = []
    for rule in table.rules:
        checks = check_rule(facts, rule)
        unmet = {check.condition for check in checks if not check.met}
        if unmet and unmet != {INTERVIEW}:
            continue
        awaits = bool(unmet) and rule.interview_held is True
        if unmet and not awaits:  # interview_held: false, and one was held
            continue
        suggestions.append(
            Suggestion(
                solution=rule.solution,
                rule=rule,
                checks=checks,
                awaits_interview=awaits,
                priority=rule.priority_unqualified and not facts.qualified,
            )
        )
    return tuple(suggestions)


def suggested_solutions(suggestions: tuple[Suggestion, ...]) -> tuple[Solution, ...]:
    """The distinct solutions suggested, in order (what a recorded choice is compared with)."""
    return tuple(dict.fromkeys(suggestion.solution for suggestion in suggestions))
