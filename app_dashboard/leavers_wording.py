"""The words of the MLDS's page « Sortis sans solution » and of `vigie leavers`, French
first, merged into `app_dashboard.wording` (labels into `LABELS`, codes into its
vocabularies; a key in both tables is an error at import)."""

from __future__ import annotations

__all__ = ["LEAVERS_ACTIONS", "LEAVERS_LABELS", "LEAVERS_VOCABULARY", "MONTHS"]

LEAVERS_LABELS: dict[str, tuple[str, str]] = {
    "section_mlds": ("Lutte contre le décrochage (MLDS)", "Dropout mission (MLDS)"),
    "page_leavers": ("Sortis sans solution", "Left without a solution"),
    "leavers_intro": (
        "Les élèves de vos établissements sortis sans le diplôme minimum (baccalauréat, CAP "
        "ou BEP) dans les douze mois précédant la date, et inscrits nulle part depuis dans "
        "l'extraction. Un élève parti dans un autre établissement n'y figure pas. Chaque "
        "consultation est inscrite au journal d'audit.",
        "The students of your establishments who left without the minimum qualification "
        "(baccalauréat, CAP or BEP) in the twelve months before the date, and enrolled "
        "nowhere since in the extraction. A student who moved to another establishment is "
        "not listed. Every read is written to the audit log.",
    ),
    "leavers_as_of": ("Date", "Date"),
    "leavers_week": (
        "Extraction de la semaine du {week}",
        "Extraction of the week of {week}",
    ),
    "leavers_filter_establishment": ("Établissements", "Establishments"),
    "leavers_filter_month": ("Mois de sortie", "Month of leaving"),
    "leavers_none": (
        "Aucun élève sorti sans solution pour ces critères.",
        "No student left without a solution for these filters.",
    ),
    "leavers_count": ("{count} élève(s)", "{count} student(s)"),
    "leavers_col_student": ("Élève", "Student"),
    "leavers_col_establishment": ("Dernier établissement", "Last establishment"),
    "leavers_col_level": ("Niveau", "Level"),
    "leavers_col_left_on": ("Sorti le", "Left on"),
    "leavers_col_kind": ("Sortie", "Exit"),
    "leavers_col_age": ("Âge", "Age"),
    "leavers_col_failed": ("Examens non obtenus", "Exams failed"),
    "leavers_col_interview": ("Entretien de situation", "Situation interview"),
    "leavers_col_contacts": ("Contacts MLDS", "MLDS contacts"),
    "leavers_col_suggested": ("Actions suggérées", "Suggested actions"),
    "leavers_interview_none": ("aucun", "none"),
    "leavers_interview_held": ("tenu le {date}", "held on {date}"),
    "leavers_open": ("Parcours et contacts de l'élève", "The student's path and contacts"),
    "leavers_path": ("Parcours", "Path"),
    "leavers_col_year": ("Année scolaire", "School year"),
    "leavers_col_path_establishment": ("Établissement", "Establishment"),
    "leavers_col_class": ("Classe", "Class"),
    "leavers_col_start": ("Du", "From"),
    "leavers_col_end": ("Au", "To"),
    "leavers_col_exit": ("Fin", "End"),
    "leavers_contacts": ("Contacts", "Contacts"),
    "leavers_no_contact": ("Aucun contact enregistré.", "No contact recorded."),
    "leavers_col_date": ("Date", "Date"),
    "leavers_col_action": ("Action proposée", "Action proposed"),
    "leavers_col_outcome": ("Suite", "Outcome"),
    "leavers_col_by": ("Par", "By"),
    "leavers_new_contact": ("Enregistrer un contact", "Record a contact"),
    "leavers_contact_date": ("Date du contact", "Date of the contact"),
    "leavers_record": ("Enregistrer", "Record"),
    "leavers_recorded": ("Contact enregistré.", "Contact recorded."),
    "leavers_change_contact": ("Mettre à jour la suite", "Update the outcome"),
    "leavers_which_contact": ("Contact", "Contact"),
    "leavers_update": ("Mettre à jour", "Update"),
    "leavers_updated": ("Contact mis à jour.", "Contact updated."),
    "leavers_suggested_none": ("aucune", "none"),
    "leavers_suggested_title": ("Actions suggérées", "Suggested actions"),
    "leavers_suggested_note": (
        "Suggérées par les règles d'éligibilité de l'académie, jamais décidées : une personne "
        "choisit avec l'élève.",
        "Suggested by the académie's eligibility rules, never decided: a person chooses with "
        "the student.",
    ),
    "leavers_source": ("Source : {source}", "Source: {source}"),
    "leavers_awaits_interview": (
        "{title} (après l'entretien de situation)",
        "{title} (after the situation interview)",
    ),
    "leavers_csv_student_id": ("identifiant", "student id"),
    "leavers_csv_last_name": ("nom", "last name"),
    "leavers_csv_first_name": ("prénom", "first name"),
    "leavers_csv_uai": ("UAI", "UAI"),
}

LEAVERS_VOCABULARY: dict[str, dict[str, tuple[str, str]]] = {
    "exit_kind": {
        "during_year": ("en cours d'année", "during the year"),
        "no_return": ("pas revenu à la rentrée", "did not come back after the summer"),
        "after_exam_failure": ("après un échec à l'examen", "after failing an exam"),
    },
    "exit_reason": {
        "completed": ("année terminée", "year completed"),
        "transferred": ("changement d'établissement", "moved"),
        "diploma": ("diplômé", "diploma"),
        "dropped_out": ("sortie sans solution", "left without a solution"),
        "other": ("autre", "other"),
    },
    "contact_action": {
        "entretien_de_situation": ("entretien de situation", "situation interview"),
        "return_to_training": ("retour en formation", "return to training"),
        "aar": ("action de remobilisation (AAR)", "remobilisation action (AAR)"),
        "morea": ("MOREA (re-préparation d'examen)", "MOREA (exam re-preparation)"),
        "foquale": ("réseau FoQualE", "FoQualE network"),
        "insertion": ("aide à l'insertion professionnelle", "help towards work"),
        "other": ("autre", "other"),
    },
    "contact_outcome": {
        "proposed": ("proposée", "proposed"),
        "accepted": ("acceptée", "accepted"),
        "declined": ("refusée", "declined"),
        "no_answer": ("sans réponse", "no answer"),
        "started": ("commencée", "started"),
        "completed": ("terminée", "completed"),
    },
}
# Words of the audit log's actions (merged into the vocabulary "action").
LEAVERS_ACTIONS: dict[str, tuple[str, str]] = {
    "read_leavers": ("lecture des élèves sortis sans solution", "leavers read"),
    "record_contact": ("contact MLDS enregistré", "MLDS contact recorded"),
    "update_contact": ("contact MLDS mis à jour", "MLDS contact updated"),
}

MONTHS: tuple[tuple[str, str], ...] = (
    ("janvier", "January"), ("février", "February"), ("mars", "March"), ("avril", "April"),
    ("mai", "May"), ("juin", "June"), ("juillet", "July"), ("août", "August"),
    ("septembre", "September"), ("octobre", "October"), ("novembre", "November"),
    ("décembre", "December"),
)  # fmt: skip
"""Month names, January first (the month of leaving, « septembre 2026 »)."""
