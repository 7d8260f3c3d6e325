"""The suggested solutions in French and in English: each check as a sentence saying the
fact and what the rule requires, e.g. « 17 ans le 05/12/2026 (16 ans ou plus) ». Dates and
numbers are written by `wording.numbers`."""

from __future__ import annotations

from models.solutions.engine import Check, Suggestion
from models.solutions.facts import StudentFacts
from wording.numbers import day

__all__ = ["EXAM_WORDS", "check_text", "exam_names", "rule_title", "suggestion_texts"]

EXAM_WORDS: dict[str, tuple[str, str]] = {
    "dnb": ("diplôme national du brevet", "brevet (DNB)"),
    "cap": ("CAP", "CAP"),
    "bep": ("BEP", "BEP"),
    "bac_general": ("baccalauréat général", "general baccalauréat"),
    "bac_techno": ("baccalauréat technologique", "technological baccalauréat"),
    "bac_pro": ("baccalauréat professionnel", "vocational baccalauréat"),
    "mock": ("examen blanc", "mock exam"),
}
"""Exam names as people read them, French first (the dashboard's vocabulary uses them too)."""


def _pick(pair: tuple[str, str], language: str) -> str:
    return pair[1] if language == "en" else pair[0]


def exam_names(exams: tuple[str, ...] | list[str], language: str) -> str:
    words = [_pick(EXAM_WORDS.get(exam, (exam, exam)), language) for exam in exams]
    return (" ou " if language == "fr" else " or ").join(words)


def _yes_no(value: object, yes: tuple[str, str], no: tuple[str, str], language: str) -> str:
    return _pick(yes if value else no, language)


def _sentence(fact: str, need: str, language: str) -> str:
    return f"{fact} (rule: {need})" if language == "en" else f"{fact} (règle : {need})"


def check_text(check: Check, facts: StudentFacts, language: str) -> str:
    """The fact and the rule's requirement, as one sentence."""
    fr = language != "en"
    on = day(facts.on, language)
    required = check.required
    if check.condition in ("min_age", "max_age"):
        if check.value is None:
            fact = "âge inconnu" if fr else "age unknown"
        else:
            fact = f"{check.value} ans le {on}" if fr else f"aged {check.value} on {on}"
        bound = ("ou plus", "or over") if check.condition == "min_age" else ("ou moins", "or under")
        need = f"{required} ans {bound[0]}" if fr else f"{required} {bound[1]}"
        return _sentence(fact, need, language)
    if check.condition == "enrolled":
        fact = _yes_no(check.value, (f"inscrit le {on}", f"enrolled on {on}"),
                       (f"plus inscrit le {on}", f"not enrolled on {on}"), language)  # fmt: skip
        need = _yes_no(required, ("encore scolarisé", "still at school"),
                       ("sorti du système éducatif", "left education"), language)  # fmt: skip
        return _sentence(fact, need, language)
    if check.condition == "left_less_than_months":
        if facts.enrolled:
            fact = f"encore inscrit le {on}" if fr else f"still enrolled on {on}"
        elif facts.left_on is None or check.value is None:
            fact = "sortie non connue" if fr else "leaving not known"
        else:
            left = day(facts.left_on, language)
            fact = (
                f"sorti le {left}, il y a {check.value} mois"
                if fr
                else f"left on {left}, {check.value} months ago"
            )
        need = (
            f"en voie de décrochage ou sorti depuis moins de {required} mois"
            if fr
            else f"dropping out or left less than {required} months ago"
        )
        return _sentence(fact, need, language)
    if check.condition == "failed_exam_in":
        failed = tuple(str(each) for each in check.value) if isinstance(check.value, tuple) else ()
        dates = {each.exam: day(each.date, language) for each in facts.failed_exams}
        if failed:
            fact = ", ".join(
                (f"non admis au {exam_names([exam], language)} ({dates[exam]})" if fr
                 else f"failed the {exam_names([exam], language)} ({dates[exam]})")
                for exam in failed
            )  # fmt: skip
        else:
            fact = "aucun examen échoué" if fr else "no failed exam"
        wanted = exam_names(list(required), language) if isinstance(required, tuple) else ""
        need = f"échec au {wanted}" if fr else f"failed the {wanted}"
        return _sentence(fact, need, language)
    if check.condition == "qualified":
        held = ", ".join(exam_names([exam], language) for exam in facts.diplomas) or None
        if check.value:
            fact = "diplômé" if fr else "holds a qualification"
            fact = f"{fact} ({held})" if held else fact
        else:
            fact = "sans qualification" if fr else "no qualification"
        need = _yes_no(required, ("titulaire d'un diplôme qualifiant", "qualified"),
                       ("sans qualification", "without a qualification"), language)  # fmt: skip
        return _sentence(fact, need, language)
    if check.condition == "interview_held":
        fact = _yes_no(check.value, ("entretien de situation tenu", "entretien de situation held"),
                       ("entretien de situation pas encore tenu",
                        "entretien de situation not held yet"), language)  # fmt: skip
        need = _yes_no(required, ("il précède toute action de la MLDS",
                                  "it comes before any MLDS action"),
                       ("avant l'entretien", "before the interview"), language)  # fmt: skip
        return _sentence(fact, need, language)
    raise KeyError(f"no wording for condition {check.condition!r}")


def rule_title(suggestion: Suggestion, language: str) -> str:
    return suggestion.rule.title_en if language == "en" else suggestion.rule.title_fr


def suggestion_texts(suggestion: Suggestion, facts: StudentFacts, language: str) -> list[str]:
    """The suggestion's checks as sentences, in the rule's order."""
    return [check_text(check, facts, language) for check in suggestion.checks]
