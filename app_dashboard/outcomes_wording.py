"""The labels of the interview outcome report ("Issues des entretiens": the dashboard page
and `vigie interview-outcomes`), French first, merged into `app_dashboard.wording.LABELS`
(a key in both tables is an error at import), and the words of each later status."""

from __future__ import annotations

__all__ = ["OUTCOME_LABELS", "OUTCOME_STATUS_WORDS"]

OUTCOME_LABELS: dict[str, tuple[str, str]] = {
    "page_interview_outcomes": ("Issues des entretiens", "Interview outcomes"),
    "outcomes_intro": (
        "Ce que sont devenus les élèves reçus en entretien, lu dans les inscriptions d'une "
        "extraction ultérieure (connue jusqu'au {as_of}) : {interviews} entretien(s) tenu(s). "
        "Effectifs agrégés, sans aucun élève ; un effectif inférieur à {small} n'est pas "
        "affiché (secret statistique), ni celui qu'on pourrait en déduire par différence.",
        "What became of the students interviewed, read in the enrollments of a later "
        "extraction (known up to {as_of}): {interviews} interview(s) held. Aggregated counts, "
        "no student; a count under {small} is not shown (statistical secrecy), nor one that "
        "could be worked out by difference.",
    ),
    "outcomes_descriptive": (
        "Ces parts décrivent, elles ne mesurent pas l'effet des entretiens : les élèves reçus "
        "étaient les plus à risque. L'effet s'estime par `vigie interview-effect`.",
        "These shares describe; they do not measure what the interviews did: the students "
        "interviewed were the riskiest. The effect is estimated by `vigie interview-effect`.",
    ),
    "outcomes_elsewhere": (
        "« Parti ailleurs » : l'élève a été inscrit dans un autre établissement après "
        "l'entretien ; ce qu'il y est devenu ne vous est pas communiqué.",
        "“Moved elsewhere”: the student enrolled in another establishment after the "
        "interview; what became of them there is not shown to you.",
    ),
    "outcomes_no_extraction": (
        "Aucune extraction ultérieure n'est configurée : indiquez-la dans "
        "VIGIE_OUTCOMES_EXTRACTION (ou utilisez `vigie interview-outcomes --extraction DOSSIER`).",
        "No later extraction is configured: set VIGIE_OUTCOMES_EXTRACTION (or run "
        "`vigie interview-outcomes --extraction FOLDER`).",
    ),
    "outcomes_unreadable": (
        "L'extraction ultérieure ne peut pas être lue : {reason}",
        "The later extraction cannot be read: {reason}",
    ),
    "outcomes_none": (
        "Aucun entretien tenu dans votre périmètre.",
        "No interview held in your scope.",
    ),
    "outcomes_by_establishment": ("Par établissement", "By establishment"),
    "outcomes_by_solution": ("Par solution proposée", "By solution proposed"),
    "outcomes_col_establishment": ("Établissement", "Establishment"),
    "outcomes_col_solution": ("Solution proposée", "Solution proposed"),
    "outcomes_col_interviews": ("Entretiens", "Interviews"),
    "outcomes_col_left_share": ("Part partis", "Share who left"),
    "outcomes_masked": ("< {small}", "< {small}"),
    "outcomes_no_solution": ("aucune", "none"),
    "outcomes_title_cli": (
        "Issues des entretiens tenus (inscriptions connues jusqu'au {as_of}) : "
        "{interviews} entretien(s)",
        "Outcomes of the interviews held (enrollments known up to {as_of}): "
        "{interviews} interview(s)",
    ),
}

OUTCOME_STATUS_WORDS: dict[str, tuple[str, str]] = {
    "still_enrolled": ("toujours scolarisés", "still enrolled"),
    "back_in_training": ("revenus en formation", "back in training"),
    "left": ("partis sans solution", "left"),
    "unknown": ("inconnu", "unknown"),
    "elsewhere": ("partis ailleurs", "moved elsewhere"),
}
