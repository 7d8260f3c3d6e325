"""User-facing wording of the feature catalog, in French and English.

Data only, kept apart from `features.catalog` so that the definitions stay short to read.
Each row is (name, unit, label_fr, label_en, description_fr, description_en); the attendance
counts and rates are worded from one template per window.
"""

from __future__ import annotations

__all__ = ["ATTENDANCE_MORE", "CONTEXT", "GRADES", "PATH", "window_rows"]

_WINDOWS: dict[str, tuple[str, str, str, str]] = {
    # window: (short French, short English, French phrase, English phrase)
    "2w": ("2 sem.", "2 wk", "sur les 2 dernières semaines", "over the last 2 weeks"),
    "4w": ("4 sem.", "4 wk", "sur les 4 dernières semaines", "over the last 4 weeks"),
    "8w": ("8 sem.", "8 wk", "sur les 8 dernières semaines", "over the last 8 weeks"),
    "ytd": (
        "année",
        "year",
        "depuis le début de l'année scolaire (1er septembre)",
        "since the start of the school year (1 September)",
    ),
}

_RATE_FR = (
    "Part des demi-journées de cours {phrase} où l'élève était absent {how} : demi-journées "
    "d'absence divisées par les demi-journées de cours de la période (vacances et jours "
    "fériés exclus, pas de cours le mercredi après-midi au collège). Vide s'il n'y a eu "
    "aucune demi-journée de cours."
)
_RATE_EN = (
    "Share of the class half-days {phrase} on which the student was absent {how}: absent "
    "half-days divided by the class half-days of the period (holidays and public holidays "
    "excluded, no class on Wednesday afternoon in collèges). Empty when there was no class."
)


def window_rows(windows: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """The attendance counts and rates, one per window, worded from one template."""
    rows = []
    for justified, fr, en in (("unjustified", "non justifiées", "unjustified"),
                              ("justified", "justifiées", "justified")):  # fmt: skip
        for window in windows:
            short_fr, short_en, phrase_fr, phrase_en = _WINDOWS[window]
            rows.append((
                f"{justified}_absences_{window}", "half-days",
                f"Demi-journées d'absence {fr} ({short_fr})",
                f"{en.capitalize()} absent half-days ({short_en})",
                f"Nombre de demi-journées d'absence {fr} {phrase_fr}.",
                f"Number of {en} absent half-days {phrase_en}.",
            ))  # fmt: skip
    hows = (
        ("unjustified", "sans justification", "without justification"),
        ("justified", "avec justification", "with a justification"),
    )
    for justified, fr, en in hows:
        for window in windows:
            short_fr, short_en, phrase_fr, phrase_en = _WINDOWS[window]
            kind_fr = "non justifiée" if justified == "unjustified" else "justifiée"
            rows.append((
                f"{justified}_absence_rate_{window}", "share of class half-days",
                f"Taux d'absence {kind_fr} ({short_fr})",
                f"{justified.capitalize()} absence rate ({short_en})",
                _RATE_FR.format(phrase=phrase_fr, how=fr),
                _RATE_EN.format(phrase=phrase_en, how=en),
            ))  # fmt: skip
    for window in ("4w", "ytd"):
        short_fr, short_en, phrase_fr, phrase_en = _WINDOWS[window]
        rows.append((
            f"lates_{window}", "late arrivals",
            f"Retards ({short_fr})", f"Late arrivals ({short_en})",
            f"Nombre de retards {phrase_fr}.", f"Number of late arrivals {phrase_en}.",
        ))  # fmt: skip
    return tuple(rows)


ATTENDANCE_MORE: tuple[tuple[str, ...], ...] = (
    (
        "unjustified_absence_trend_4w",
        "half-days (difference)",
        "Évolution des absences non justifiées (4 sem.)",
        "Trend of unjustified absences (4 wk)",
        "Demi-journées d'absence non justifiées sur les 4 dernières semaines, moins celles "
        "des 4 semaines précédentes. Positif : les absences augmentent.",
        "Unjustified absent half-days over the last 4 weeks minus those of the 4 weeks "
        "before. Positive: absences are rising.",
    ),
    (
        "longest_absence_streak_ytd",
        "class days",
        "Plus longue série de jours d'absence (année)",
        "Longest run of days with an absence (year)",
        "Plus grand nombre de jours de cours consécutifs (week-ends et vacances ne coupent "
        "pas la série) avec au moins une demi-journée d'absence, justifiée ou non, depuis le "
        "début de l'année scolaire.",
        "Largest number of consecutive class days (weekends and holidays do not break the "
        "run) with at least one absent half-day, justified or not, since the start of the "
        "school year.",
    ),
    (
        "absenteeism_months_ytd",
        "months",
        "Mois d'absentéisme (année)",
        "Months of absenteeism (year)",
        "Nombre de mois de l'année scolaire (jusqu'à la veille de la date de calcul) avec "
        "au moins 4 demi-journées d'absence non justifiées : le seuil d'absentéisme de "
        "l'Éducation nationale.",
        "Number of calendar months of the school year (up to the day before the as-of "
        "date) with 4 or more unjustified absent half-days: the French threshold of "
        "absenteeism (« absentéisme »).",
    ),
)

GRADES: tuple[tuple[str, ...], ...] = (
    (
        "grade_mean_current_period",
        "points /20",
        "Moyenne de la période en cours",
        "Mean mark, current period",
        "Moyenne des notes sur 20, pondérée par les coefficients, de la période en cours "
        "(trimestre ou semestre le plus récent où l'élève a une note cette année).",
        "Mean mark on /20, weighted by coefficients, of the current period (the latest "
        "period of this school year in which the student has a mark).",
    ),
    (
        "grade_mean_previous_period",
        "points /20",
        "Moyenne de la période précédente",
        "Mean mark, previous period",
        "Moyenne des notes sur 20, pondérée, de la période précédant la période en cours, "
        "cette année scolaire. Vide pendant la première période.",
        "Weighted mean mark on /20 of the period before the current one, this school "
        "year. Empty during the first period.",
    ),
    (
        "grade_mean_ytd",
        "points /20",
        "Moyenne générale (année)",
        "Overall mean mark (year)",
        "Moyenne de toutes les notes sur 20 de l'année scolaire, pondérée par les coefficients.",
        "Mean of all marks on /20 of the school year so far, weighted by coefficients.",
    ),
    (
        "grade_mean_change_period",
        "points /20",
        "Évolution de la moyenne depuis la période précédente",
        "Change of the mean since the previous period",
        "Moyenne de la période en cours moins celle de la période précédente. Négatif : "
        "les résultats baissent.",
        "Mean mark of the current period minus that of the previous period. Negative: "
        "results are falling.",
    ),
    (
        "grade_mean_change_year",
        "points /20",
        "Évolution de la moyenne depuis l'an dernier",
        "Change of the mean since last year",
        "Moyenne générale de cette année moins la moyenne générale de l'année scolaire "
        "précédente. Vide sans note l'an dernier.",
        "Overall mean mark this year minus the overall mean mark of the previous school "
        "year. Empty without marks last year.",
    ),
    (
        "subjects_below_8_ytd",
        "subjects",
        "Matières sous 8/20",
        "Subjects under 8/20",
        "Nombre de matières dont la moyenne de l'année est inférieure à 8 sur 20.",
        "Number of subjects whose mean mark this school year is under 8/20.",
    ),
    (
        "subjects_below_10_ytd",
        "subjects",
        "Matières sous 10/20",
        "Subjects under 10/20",
        "Nombre de matières dont la moyenne de l'année est inférieure à 10 sur 20.",
        "Number of subjects whose mean mark this school year is under 10/20.",
    ),
    (
        "subject_mean_spread_ytd",
        "points /20",
        "Écart entre matières",
        "Spread across subjects",
        "Écart-type des moyennes par matière de l'année : élevé quand l'élève réussit dans "
        "certaines matières et décroche dans d'autres.",
        "Standard deviation (population) of the subject means this school year: high when "
        "the student does well in some subjects and poorly in others.",
    ),
    (
        "assessments_8w",
        "marks",
        "Notes reçues (8 sem.)",
        "Marks received (8 wk)",
        "Nombre de notes reçues sur les 8 dernières semaines.",
        "Number of marks received over the last 8 weeks.",
    ),
    (
        "assessments_8w_vs_class_median",
        "marks (difference)",
        "Notes reçues par rapport à la classe (8 sem.)",
        "Marks received compared with the class (8 wk)",
        "Notes reçues sur les 8 dernières semaines moins la médiane de la classe (élèves "
        "inscrits dans la même classe à la date de calcul). Négatif : évaluations "
        "manquées.",
        "Marks received over the last 8 weeks minus the median of the class (students "
        "enrolled in the same class on the as-of date). Negative: missed assessments.",
    ),
    (
        "weeks_since_last_grade",
        "weeks",
        "Semaines depuis la dernière note",
        "Weeks since the last mark",
        "Nombre de semaines écoulées depuis la dernière note de l'année scolaire. Vide sans "
        "note cette année.",
        "Weeks elapsed since the student's last mark of the school year. Empty without a "
        "mark this year.",
    ),
)
PATH: tuple[tuple[str, ...], ...] = (
    (
        "failed_exams",
        "exams",
        "Examens échoués",
        "Failed exams",
        "Nombre d'examens échoués (brevet, CAP, BEP, baccalauréats et examens blancs) "
        "avant la date de calcul, toutes années confondues.",
        "Number of exams failed (DNB, CAP, BEP, baccalauréats and mock exams) before the "
        "as-of date, all years.",
    ),
    (
        "missed_exams",
        "exams",
        "Examens manqués",
        "Missed exams",
        "Nombre d'examens où l'élève était absent, toutes années confondues.",
        "Number of exams the student did not sit (absent), all years.",
    ),
    (
        "failed_mock_exams_ytd",
        "exams",
        "Examens blancs échoués (année)",
        "Failed mock exams (year)",
        "Nombre d'examens blancs échoués depuis le début de l'année scolaire.",
        "Number of mock exams failed since the start of the school year.",
    ),
    (
        "weeks_since_last_failed_exam",
        "weeks",
        "Semaines depuis le dernier échec à un examen",
        "Weeks since the last failed exam",
        "Nombre de semaines écoulées depuis le dernier examen échoué (examens blancs "
        "compris). Vide si l'élève n'a jamais échoué.",
        "Weeks elapsed since the last failed exam (mock exams included). Empty if the "
        "student never failed one.",
    ),
    (
        "repeated_years",
        "school years",
        "Redoublements",
        "Repeated years",
        "Nombre d'années scolaires où le niveau n'a pas progressé par rapport à l'année "
        "précédente du parcours (redoublement, ou réorientation au même niveau).",
        "Number of school years in which the level did not rise above that of the previous "
        "year of the student's path (a repeated year, or a change of track at the same "
        "level).",
    ),
    (
        "age_for_level",
        "years",
        "Âge par rapport au niveau",
        "Age for level",
        "Âge atteint au 31 décembre de l'année de la rentrée moins l'âge normal du niveau "
        "(11 ans en 6e … 17 ans en terminale). Positif : en retard ; négatif : en avance.",
        "Age reached on 31 December of the year of the rentrée minus the nominal age of the "
        "level (11 in 6e … 17 in terminale). Positive: behind; negative: ahead.",
    ),
    (
        "school_changes",
        "schools",
        "Changements d'établissement",
        "School changes",
        "Nombre d'établissements différents fréquentés dans le parcours, moins un.",
        "Number of distinct establishments in the student's path, minus one.",
    ),
)

CONTEXT: tuple[tuple[str, ...], ...] = (
    (
        "level",
        "",
        "Niveau",
        "Level",
        "Niveau de la classe (6e à terminale, voie professionnelle et CAP compris).",
        "Level of the class (6e to terminale, vocational and CAP levels included).",
    ),
    (
        "track",
        "",
        "Voie",
        "Track",
        "Voie de formation : collège, générale, technologique ou professionnelle.",
        "Track: collège, general, technological or vocational.",
    ),
    (
        "establishment_kind",
        "",
        "Type d'établissement",
        "Kind of establishment",
        "Type de l'établissement : collège, lycée général et technologique, lycée "
        "professionnel ou lycée polyvalent.",
        "Kind of establishment: collège, general and technological lycée, vocational lycée "
        "or polyvalent lycée.",
    ),
    (
        "priority_zone",
        "",
        "Éducation prioritaire",
        "Priority education",
        "Classement de l'établissement en éducation prioritaire : aucun, REP ou REP+.",
        "Priority-education status of the establishment: none, REP or REP+.",
    ),
    (
        "establishment_unjustified_absence_rate_4w",
        "share of class half-days",
        "Taux d'absence non justifiée de l'établissement (4 sem.)",
        "Establishment's unjustified absence rate (4 wk)",
        "Moyenne, sur les élèves inscrits dans l'établissement à la date de calcul, de leur "
        "taux d'absence non justifiée sur les 4 dernières semaines.",
        "Mean, over the students enrolled in the establishment on the as-of date, of their "
        "unjustified absence rate over the last 4 weeks.",
    ),
)
