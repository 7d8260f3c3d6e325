"""Wording of reasons: how a feature, its value and a reference read in French and English.

Data and pure formatting only; `models.reasons` picks which features to word. Each catalog
feature has a statement per language: counts agree in number with their value (« 1 retard »,
« 3 retards »), marks read "/20", rates read as percentages, differences carry their sign, a
missing value has its own sentence (« aucune note cette année scolaire »), and categorical
values are spelled out (« voie professionnelle »). French numbers use a decimal comma, a narrow
no-break space between thousands and before « % », and a no-break space before « : ».

A reason reads: the statement (value and period), then one comparison, with the class or the
level (« (médiane de sa classe : 1) »); its weight reads in probability points of the risk,
against the risk without it (`weight_text`); the context's weight likewise (`context_text`).
The API, the weekly lists, the dashboard, `vigie explain` and the fairness report all word
reasons with these functions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from features.catalog import FEATURE_CATALOG, FeatureSpec
from wording import numbers

__all__ = [
    "CATEGORY_WORDS",
    "CONTEXT_WORDS",
    "LANGUAGES",
    "STATEMENTS",
    "Language",
    "Statement",
    "context_text",
    "format_number",
    "format_percent",
    "format_points",
    "format_value",
    "reason_text",
    "reference_text",
    "statement_text",
    "weight_text",
]

Language = Literal["fr", "en"]
LANGUAGES: tuple[Language, ...] = ("fr", "en")

_SPECS: dict[str, FeatureSpec] = {spec.name: spec for spec in FEATURE_CATALOG}
_NBSP = "\u00a0"  # before « : » in French (numbers and « % »: `wording.numbers`)


def format_number(value: float, language: Language, decimals: int = 1, signed: bool = False) -> str:
    """`value` rounded to at most `decimals` decimals (trailing zeros dropped), in the
    language's convention (`wording.numbers`): « 1 234,5 » / "1,234.5"; `signed` adds "+"
    to positive values."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
    if not math.isfinite(value):
        raise ValueError(f"cannot word a non-finite number {value!r}")
    return numbers.number(value, language, decimals, signed, trim=True)


# How a value of each catalog unit is written on its own (a reference, a labelled value).
# (decimals, suffix or "%" for a share shown as a percentage)
_UNIT_FORMATS: dict[str, tuple[int, str]] = {
    "half-days": (1, ""),
    "half-days (difference)": (1, ""),
    "late arrivals": (1, ""),
    "class days": (1, ""),
    "months": (1, ""),
    "share of class half-days": (0, "%"),
    "points /20": (1, ""),
    "subjects": (1, ""),
    "marks": (1, ""),
    "marks (difference)": (1, ""),
    "weeks": (1, ""),
    "exams": (1, ""),
    "school years": (1, ""),
    "years": (1, ""),
    "schools": (1, ""),
}
# Features whose value is a difference: written with its sign.
_SIGNED = frozenset({
    "unjustified_absence_trend_4w", "grade_mean_change_period", "grade_mean_change_year",
    "assessments_8w_vs_class_median", "age_for_level",
})  # fmt: skip
# Mean marks, written "/20" (a spread or a change of marks is in points, without "/20").
_MARKS = frozenset({"grade_mean_current_period", "grade_mean_previous_period", "grade_mean_ytd"})


def format_value(name: str, value: float, language: Language) -> str:
    """A numeric value of feature `name` as a short figure with its unit: « 23 % », « 7,5/20 »,
    « +3 », "9"."""
    unit = _spec(name).unit
    if unit not in _UNIT_FORMATS:
        raise KeyError(f"no number format for the unit {unit!r} of feature {name!r}")
    decimals, suffix = _UNIT_FORMATS[unit]
    signed = name in _SIGNED
    if suffix == "%":
        percent = value * 100
        if decimals == 0 and 0 < abs(percent) < 1:
            decimals = 1  # 0.4 % is not 0 %
        return numbers.percent_sign(format_number(percent, language, decimals, signed), language)
    return format_number(value, language, decimals, signed) + ("/20" if name in _MARKS else "")


# Spelled-out categorical values: feature -> code -> (French, English).
CATEGORY_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "level": {
        "6e": ("6e", "6e (first year of collège)"),
        "5e": ("5e", "5e"),
        "4e": ("4e", "4e"),
        "3e": ("3e", "3e (last year of collège)"),
        "2nde": ("seconde", "seconde"),
        "1ere": ("première", "première"),
        "Tle": ("terminale", "terminale"),
        "2nde_pro": ("seconde professionnelle", "vocational seconde"),
        "1ere_pro": ("première professionnelle", "vocational première"),
        "Tle_pro": ("terminale professionnelle", "vocational terminale"),
        "CAP1": ("CAP 1re année", "CAP year 1"),
        "CAP2": ("CAP 2e année", "CAP year 2"),
    },
    "track": {
        "college": ("collège", "collège"),
        "general": ("générale", "general"),
        "technological": ("technologique", "technological"),
        "vocational": ("professionnelle", "vocational"),
    },
    "establishment_kind": {
        "college": ("collège", "collège"),
        "lycee_gt": ("lycée général et technologique", "general and technological lycée"),
        "lycee_pro": ("lycée professionnel", "vocational lycée"),
        "lycee_polyvalent": ("lycée polyvalent", "polyvalent lycée"),
    },
    "priority_zone": {
        "none": ("hors éducation prioritaire", "outside priority education"),
        "rep": ("en éducation prioritaire (REP)", "in priority education (REP)"),
        "rep_plus": (
            "en éducation prioritaire renforcée (REP+)",
            "in reinforced priority education (REP+)",
        ),
    },
}


@dataclass(frozen=True)
class Statement:
    """How one feature reads. `one`/`many` are templates with `{n}` (the formatted value)
    chosen by the value's number; `missing` is said when the value is missing. For a
    categorical feature, `one` holds `{c}` (the spelled-out category)."""

    fr_one: str
    fr_many: str
    en_one: str
    en_many: str
    fr_missing: str = ""
    en_missing: str = ""

    def template(self, language: Language, many: bool) -> str:
        if language == "fr":
            return self.fr_many if many else self.fr_one
        return self.en_many if many else self.en_one

    def missing(self, language: Language) -> str:
        return self.fr_missing if language == "fr" else self.en_missing


def _same(fr: str, en: str, fr_missing: str = "", en_missing: str = "") -> Statement:
    return Statement(fr, fr, en, en, fr_missing, en_missing)


_WINDOWS: dict[str, tuple[str, str]] = {
    "2w": ("sur les 2 dernières semaines", "in the last 2 weeks"),
    "4w": ("sur les 4 dernières semaines", "in the last 4 weeks"),
    "8w": ("sur les 8 dernières semaines", "in the last 8 weeks"),
    "ytd": ("depuis la rentrée", "since the start of the school year"),
}
_NO_MARK_FR, _NO_MARK_EN = "Aucune note cette année scolaire", "No mark this school year"
_NO_CLASS_FR = "Aucune demi-journée de cours sur la période"
_NO_CLASS_EN = "No class half-day in the period"


def _attendance_statements() -> dict[str, Statement]:
    statements: dict[str, Statement] = {}
    for window, (fr, en) in _WINDOWS.items():
        statements[f"unjustified_absences_{window}"] = Statement(
            f"{{n}} demi-journée d'absence non justifiée {fr}",
            f"{{n}} demi-journées d'absence non justifiées {fr}",
            f"{{n}} unjustified absent half-day {en}",
            f"{{n}} unjustified absent half-days {en}",
        )
        statements[f"justified_absences_{window}"] = Statement(
            f"{{n}} demi-journée d'absence justifiée {fr}",
            f"{{n}} demi-journées d'absence justifiées {fr}",
            f"{{n}} justified absent half-day {en}",
            f"{{n}} justified absent half-days {en}",
        )
        statements[f"unjustified_absence_rate_{window}"] = _same(
            f"{{n}} des demi-journées de cours manquées sans justification {fr}",
            f"{{n}} of class half-days missed without justification {en}",
            _NO_CLASS_FR, _NO_CLASS_EN,
        )  # fmt: skip
        statements[f"justified_absence_rate_{window}"] = _same(
            f"{{n}} des demi-journées de cours manquées avec justification {fr}",
            f"{{n}} of class half-days missed with a justification {en}",
            _NO_CLASS_FR, _NO_CLASS_EN,
        )  # fmt: skip
        if window in ("4w", "ytd"):
            statements[f"lates_{window}"] = Statement(
                f"{{n}} retard {fr}", f"{{n}} retards {fr}",
                f"{{n}} late arrival {en}", f"{{n}} late arrivals {en}",
            )  # fmt: skip
    return statements


STATEMENTS: dict[str, Statement] = {
    **_attendance_statements(),
    "unjustified_absence_trend_4w": Statement(
        "{n} demi-journée d'absence non justifiée sur les 4 dernières semaines par rapport aux "
        "4 précédentes",
        "{n} demi-journées d'absence non justifiées sur les 4 dernières semaines par rapport "
        "aux 4 précédentes",
        "{n} unjustified absent half-day in the last 4 weeks compared with the 4 weeks before",
        "{n} unjustified absent half-days in the last 4 weeks compared with the 4 weeks before",
    ),
    "longest_absence_streak_ytd": Statement(
        "Plus longue série d'absences depuis la rentrée : {n} jour de cours",
        "Plus longue série d'absences depuis la rentrée : {n} jours de cours consécutifs",
        "Longest run of absence since the start of the school year: {n} class day",
        "Longest run of absence since the start of the school year: {n} consecutive class days",
    ),
    "absenteeism_months_ytd": Statement(
        "{n} mois depuis la rentrée avec au moins 4 demi-journées d'absence non justifiées",
        "{n} mois depuis la rentrée avec au moins 4 demi-journées d'absence non justifiées",
        "{n} month since the start of the school year with 4 or more unjustified absent half-days",
        "{n} months since the start of the school year with 4 or more unjustified absent half-days",
    ),
    "grade_mean_current_period": _same(
        "Moyenne de la période en cours : {n}",
        "Mean mark in the current period: {n}",
        _NO_MARK_FR,
        _NO_MARK_EN,
    ),
    "grade_mean_previous_period": _same(
        "Moyenne de la période précédente : {n}",
        "Mean mark in the previous period: {n}",
        "Aucune note sur une période précédente cette année",
        "No mark in a previous period this year",
    ),
    "grade_mean_ytd": _same(
        "Moyenne générale depuis la rentrée : {n}",
        "Overall mean mark since the start of the school year: {n}",
        _NO_MARK_FR,
        _NO_MARK_EN,
    ),
    "grade_mean_change_period": Statement(
        "Moyenne de la période en cours : {n} point par rapport à la précédente",
        "Moyenne de la période en cours : {n} points par rapport à la précédente",
        "Mean mark of the current period: {n} point compared with the previous one",
        "Mean mark of the current period: {n} points compared with the previous one",
        "Pas de période précédente notée à comparer",
        "No marked previous period to compare with",
    ),
    "grade_mean_change_year": Statement(
        "Moyenne générale : {n} point par rapport à l'an dernier",
        "Moyenne générale : {n} points par rapport à l'an dernier",
        "Overall mean mark: {n} point compared with last year",
        "Overall mean mark: {n} points compared with last year",
        "Aucune note l'an dernier à comparer",
        "No mark last year to compare with",
    ),
    "subjects_below_8_ytd": Statement(
        "{n} matière sous 8/20 de moyenne depuis la rentrée",
        "{n} matières sous 8/20 de moyenne depuis la rentrée",
        "{n} subject with a mean under 8/20 since the start of the school year",
        "{n} subjects with a mean under 8/20 since the start of the school year",
    ),
    "subjects_below_10_ytd": Statement(
        "{n} matière sous 10/20 de moyenne depuis la rentrée",
        "{n} matières sous 10/20 de moyenne depuis la rentrée",
        "{n} subject with a mean under 10/20 since the start of the school year",
        "{n} subjects with a mean under 10/20 since the start of the school year",
    ),
    "subject_mean_spread_ytd": Statement(
        "Écart entre les moyennes des matières : {n} point",
        "Écart entre les moyennes des matières : {n} points",
        "Spread of the subject means: {n} point",
        "Spread of the subject means: {n} points",
        _NO_MARK_FR,
        _NO_MARK_EN,
    ),
    "assessments_8w": Statement(
        "{n} note reçue sur les 8 dernières semaines",
        "{n} notes reçues sur les 8 dernières semaines",
        "{n} mark received in the last 8 weeks",
        "{n} marks received in the last 8 weeks",
    ),
    # assessments_8w_vs_class_median is worded by its sign (fewer, more): see `_gap_text`.
    "assessments_8w_vs_class_median": Statement(
        "{n} note de moins que la médiane de sa classe sur les 8 dernières semaines",
        "{n} notes de moins que la médiane de sa classe sur les 8 dernières semaines",
        "{n} mark fewer than the class median in the last 8 weeks",
        "{n} marks fewer than the class median in the last 8 weeks",
    ),
    "weeks_since_last_grade": Statement(
        "{n} semaine depuis la dernière note",
        "{n} semaines depuis la dernière note",
        "{n} week since the last mark",
        "{n} weeks since the last mark",
        _NO_MARK_FR,
        _NO_MARK_EN,
    ),
    "failed_exams": Statement(
        "{n} examen échoué dans sa scolarité, examens blancs compris",
        "{n} examens échoués dans sa scolarité, examens blancs compris",
        "{n} failed exam in the student's schooling, mock exams included",
        "{n} failed exams in the student's schooling, mock exams included",
    ),
    "missed_exams": Statement(
        "{n} examen manqué (absent) dans sa scolarité",
        "{n} examens manqués (absent) dans sa scolarité",
        "{n} exam missed (absent) in the student's schooling",
        "{n} exams missed (absent) in the student's schooling",
    ),
    "failed_mock_exams_ytd": Statement(
        "{n} examen blanc échoué depuis la rentrée",
        "{n} examens blancs échoués depuis la rentrée",
        "{n} failed mock exam since the start of the school year",
        "{n} failed mock exams since the start of the school year",
    ),
    "weeks_since_last_failed_exam": Statement(
        "{n} semaine depuis le dernier échec à un examen",
        "{n} semaines depuis le dernier échec à un examen",
        "{n} week since the last failed exam",
        "{n} weeks since the last failed exam",
        "Aucun examen échoué",
        "No failed exam",
    ),
    "repeated_years": Statement(
        "{n} redoublement dans sa scolarité",
        "{n} redoublements dans sa scolarité",
        "{n} repeated year in the student's schooling",
        "{n} repeated years in the student's schooling",
    ),
    # age_for_level is worded by its sign (behind, ahead, on time): see `_age_text`.
    "age_for_level": Statement(
        "{n} an de retard sur l'âge habituel du niveau",
        "{n} ans de retard sur l'âge habituel du niveau",
        "{n} year older than the usual age for the level",
        "{n} years older than the usual age for the level",
    ),
    "school_changes": Statement(
        "{n} changement d'établissement dans sa scolarité",
        "{n} changements d'établissement dans sa scolarité",
        "{n} change of school in the student's schooling",
        "{n} changes of school in the student's schooling",
    ),
    "level": _same("Niveau : {c}", "Level: {c}"),
    "track": _same("Voie : {c}", "Track: {c}"),
    "establishment_kind": _same("Établissement : {c}", "Establishment: {c}"),
    "priority_zone": _same("Établissement {c}", "Establishment {c}"),
    "establishment_unjustified_absence_rate_4w": _same(
        "Taux d'absence non justifiée de l'établissement sur les 4 dernières semaines : {n}",
        "Establishment's unjustified absence rate in the last 4 weeks: {n}",
        _NO_CLASS_FR,
        _NO_CLASS_EN,
    ),
}

_AGE_AHEAD = ("{n} an d'avance sur l'âge habituel du niveau",
              "{n} ans d'avance sur l'âge habituel du niveau",
              "{n} year younger than the usual age for the level",
              "{n} years younger than the usual age for the level")  # fmt: skip
_AGE_ON_TIME = ("À l'âge habituel du niveau", "The usual age for the level")

_GAP_MORE = ("{n} note de plus que la médiane de sa classe sur les 8 dernières semaines",
             "{n} notes de plus que la médiane de sa classe sur les 8 dernières semaines",
             "{n} mark more than the class median in the last 8 weeks",
             "{n} marks more than the class median in the last 8 weeks")  # fmt: skip
_GAP_SAME = ("Autant de notes que la médiane de sa classe sur les 8 dernières semaines",
             "As many marks as the class median in the last 8 weeks")  # fmt: skip

# The one comparison of a reason: "{level}" is the spelled-out level of the student.
_REFERENCE_WORDS: Mapping[str, tuple[str, str]] = {
    "class": ("médiane de sa classe", "class median"),
    "level": ("médiane des élèves de {level}", "median of the students in {level}"),
}
_LEVEL_UNKNOWN = ("médiane de son niveau", "median of the level")


def _spec(name: str) -> FeatureSpec:
    try:
        return _SPECS[name]
    except KeyError:
        raise KeyError(f"{name!r} is not a feature of the catalog") from None


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, pd.NA-free floats
    except (TypeError, ValueError):
        return False


def _many(value: float, language: Language) -> bool:
    """Plural agreement: French makes 0 and 1 singular, English only 1."""
    size = abs(round(value, 1))
    return size >= 2 if language == "fr" else size != 1


def statement_text(name: str, value: object, language: Language) -> str:
    """The sentence stating feature `name` at `value`, without a reference."""
    spec = _spec(name)
    statement = STATEMENTS.get(name)
    label = spec.label_fr if language == "fr" else spec.label_en
    colon = f"{_NBSP}: " if language == "fr" else ": "
    if _is_missing(value):
        if statement is not None and statement.missing(language):
            return statement.missing(language)
        return f"{label}{colon}" + ("non renseigné" if language == "fr" else "not recorded")
    if spec.kind == "categorical":
        words = CATEGORY_WORDS.get(name, {}).get(str(value))
        category = str(value) if words is None else words[0 if language == "fr" else 1]
        if statement is None:
            return f"{label}{colon}{category}"
        return _typeset(statement.template(language, False).format(c=category), language)
    number = float(value)  # type: ignore[arg-type]  # a numeric feature's known value
    if statement is None:
        return f"{label}{colon}{format_value(name, number, language)}"
    if name == "age_for_level":
        return _age_text(number, language)
    if name == "assessments_8w_vs_class_median":
        return _gap_text(number, language)
    template = statement.template(language, _many(number, language))
    return _typeset(_capitalised(template.format(n=format_value(name, number, language))), language)


def _age_text(value: float, language: Language) -> str:
    years = round(value)
    if years == 0:
        return _AGE_ON_TIME[0 if language == "fr" else 1]
    figure = format_number(abs(years), language, 0)  # whole years
    statement = STATEMENTS["age_for_level"]
    if years > 0:
        return statement.template(language, _many(years, language)).format(n=figure)
    index = (0 if language == "fr" else 2) + int(_many(years, language))
    return _AGE_AHEAD[index].format(n=figure)


def _gap_text(value: float, language: Language) -> str:
    """Marks in the last 8 weeks against the class median: fewer, as many, or more."""
    if round(value, 1) == 0:
        return _GAP_SAME[0 if language == "fr" else 1]
    figure = format_value("assessments_8w_vs_class_median", abs(value), language).lstrip("+")
    many = _many(value, language)
    if value < 0:
        template = STATEMENTS["assessments_8w_vs_class_median"].template(language, many)
    else:
        template = _GAP_MORE[(0 if language == "fr" else 2) + int(many)]
    return template.format(n=figure)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _typeset(text: str, language: Language) -> str:
    """French typography: a no-break space before « : »."""
    return text.replace(" : ", f"{_NBSP}: ") if language == "fr" else text


def reference_text(
    name: str, reference: float, scope: str, language: Language, level: str | None = None
) -> str:
    """« médiane de sa classe : 1 » / "class median: 1"; for the level, « médiane des élèves
    de seconde : 1 » (`level` is the level's code)."""
    if scope not in _REFERENCE_WORDS:
        raise ValueError(f"unknown reference scope {scope!r}: {sorted(_REFERENCE_WORDS)}")
    index = 0 if language == "fr" else 1
    words = _REFERENCE_WORDS[scope][index]
    if scope == "level":
        spelled = CATEGORY_WORDS["level"].get(str(level))
        words = _LEVEL_UNKNOWN[index] if spelled is None else words.format(level=spelled[index])
    colon = f"{_NBSP}: " if language == "fr" else ": "
    return f"{words}{colon}{format_value(name, reference, language)}"


@lru_cache(maxsize=1 << 16)  # weekly lists repeat the same small counts and medians
def reason_text(
    name: str,
    value: object,
    reference: float | None,
    scope: str | None,
    language: Language,
    level: str | None = None,
) -> str:
    """The full reason: the statement (the value and its period) and, when the value and a
    reference exist, the one comparison in brackets."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
    text = statement_text(name, value, language)
    if reference is None or scope is None or _is_missing(reference) or _is_missing(value):
        return text  # a missing value is not compared with a median
    return f"{text} ({reference_text(name, float(reference), scope, language, level)})"


def format_percent(share: float, language: Language, decimals: int = 1) -> str:
    """A probability as a percentage: « 31,2 % » (narrow no-break space) / "31.2%"."""
    return numbers.percent_sign(format_number(share * 100, language, decimals), language)


def format_points(points: float, language: Language) -> str:
    """A difference of probabilities in percentage points, signed: « +12,3 points »,
    « −0,4 point », "+12.3 points"; under 0.05 point, « < 0,1 point »."""
    size = abs(points) * 100
    if size < 0.05:
        figure = "< " + format_number(0.1, language, 1)
        return figure + (" point" if language == "fr" else " points")
    figure = format_number(points * 100, language, 1, signed=True)
    plural = round(size, 1) >= 2 if language == "fr" else round(size, 1) != 1
    return f"{figure} point{'s' if plural else ''}"


def weight_text(points: float, risk_without: float, language: Language) -> str:
    """The weight of one signal: « +12,3 points de risque (19 % sans ce signal) »."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
    points, risk_without = _python_floats(points, risk_without)
    without = format_percent(risk_without, language)
    if language == "fr":
        return f"{format_points(points, language)} de risque ({without} sans ce signal)"
    return f"{format_points(points, language)} of risk ({without} without this signal)"


def _python_floats(points: float, risk_without: float) -> tuple[float, float]:
    """A weight's two probabilities as Python floats, whatever their type (NumPy's scalars
    from a contributions matrix): rounded as `wording.numbers` writes the figures (the plural
    of « point » follows the figure shown), and NumPy's scalar `round` costs ten times
    more."""
    return float(points), float(risk_without)


# How the context is named where its weight is shown apart.
CONTEXT_WORDS: tuple[str, str] = (
    "Contexte (niveau, voie, établissement)",
    "Context (level, track, establishment)",
)


def context_text(points: float, risk_without: float, language: Language) -> str:
    """The context's weight: « Contexte (niveau, voie, établissement) : +8 points de risque
    (23 % sans le contexte) »."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
    points, risk_without = _python_floats(points, risk_without)
    without = format_percent(risk_without, language)
    if language == "fr":
        return (f"{CONTEXT_WORDS[0]}{_NBSP}: {format_points(points, language)} de risque "
                f"({without} sans le contexte)")  # fmt: skip
    return (f"{CONTEXT_WORDS[1]}: {format_points(points, language)} of risk "
            f"({without} without the context)")  # fmt: skip
