"""Solutions suggested, never decided: which solutions (MLDS actions, return to training,
tutoring...) fit a student on a date, from one table of eligibility rules with their sources.

- `models.solutions.facts`: a student's facts on a date (`facts_on`, pure, from plain records
  of the extraction and whether an interview was held).
- `models.solutions.rules`: the table (`rules.yaml`, shipped; `load_rules(path)` for an
  académie's own, `VIGIE_SOLUTION_RULES`), checked whole (`SolutionRulesError`).
- `models.solutions.engine`: `suggest(facts, table)`, the suggestions with the rule and the
  checks that make each one so.
- `models.solutions.wording`: the checks as French and English sentences.

It sits in `models` (not `serving`) so that the settings can check an académie's table at
start; serving, the dashboard and the command line all import it from here.
"""

from __future__ import annotations

from models.solutions.engine import Check, Suggestion, check_rule, suggest, suggested_solutions
from models.solutions.facts import (
    EnrollmentRecord,
    ExamRecord,
    FailedExam,
    StudentFacts,
    age_on,
    facts_on,
)
from models.solutions.rules import (
    SOLUTIONS,
    RuleTable,
    Solution,
    SolutionRule,
    SolutionRulesError,
    load_rules,
    parse_rules,
    shipped_rules,
)
from models.solutions.wording import check_text, rule_title, suggestion_texts

__all__ = [
    "SOLUTIONS",
    "Check",
    "EnrollmentRecord",
    "ExamRecord",
    "FailedExam",
    "RuleTable",
    "Solution",
    "SolutionRule",
    "SolutionRulesError",
    "StudentFacts",
    "Suggestion",
    "age_on",
    "check_rule",
    "check_text",
    "facts_on",
    "load_rules",
    "parse_rules",
    "rule_title",
    "shipped_rules",
    "suggest",
    "suggested_solutions",
    "suggestion_texts",
]
