"""Every label, message and vocabulary word of the dashboard, in French and in English.

One table, French first: a page never holds a user-facing string of its own, so a missing
translation is a KeyError in the tests, not an English word in a French page. `text(key,
language, **values)` formats the label with `str.format`."""

from __future__ import annotations

from typing import Literal

from app_dashboard.admin_wording import ADMIN_LABELS

__all__ = ["LABELS", "LANGUAGES", "Language", "text", "vocabulary"]

Language = Literal["fr", "en"]
LANGUAGES: tuple[Language, ...] = ("fr", "en")

LABELS: dict[str, tuple[str, str]] = {
    # shell, login
    "app_title": ("Vigie — prévention du décrochage", "Vigie — dropout prevention"),
    "language": ("English", "English"),
    "login_title": ("Connexion", "Sign in"),
    "login_intro": (
        "Connectez-vous avec le compte créé par l'administrateur Vigie de l'académie.",
        "Sign in with the account your académie's Vigie administrator created.",
    ),
    "username": ("Identifiant", "Username"),
    "password": ("Mot de passe", "Password"),
    "sign_in": ("Se connecter", "Sign in"),
    "sign_in_oidc": ("Se connecter avec l'ENT", "Sign in with the school account"),
    "sign_out": ("Se déconnecter", "Sign out"),
    "bad_login": ("Identifiant ou mot de passe incorrect.", "Wrong username or password."),
    "login_wait": (
        "Trop de tentatives de connexion : réessayez dans {wait}.",
        "Too many sign-in attempts: try again in {wait}.",
    ),
    "session_ended": (
        "Votre session a été fermée car votre compte a été modifié ou désactivé. Reconnectez-vous.",
        "Your session was closed because your account was changed or disabled. Sign in again.",
    ),
    "signed_in_as": ("Connecté : {username} ({role})", "Signed in: {username} ({role})"),
    "no_page": ("Aucune page pour ce rôle.", "No page for this role."),
    "denied": ("Accès refusé : {message}", "Access denied: {message}"),
    "not_found": ("Introuvable : {message}", "Not found: {message}"),
    # pages
    "page_list": ("Liste de la semaine", "This week's list"),
    "page_student": ("Fiche élève", "Student page"),
    "page_print": ("Version imprimable", "Printable list"),
    "page_fairness": ("Audit d'équité", "Fairness audit"),
    "page_model_card": ("Fiche du modèle", "Model card"),
    "page_audit_log": ("Journal d'audit", "Audit log"),
    "page_models": ("Modèles", "Models"),
    "page_drift": ("Dérive des données", "Data drift"),
    "section_watch": ("Cellule de veille", "Watch unit"),
    "section_inspection": ("Inspection", "Inspection"),
    "section_models": ("Science des données", "Data science"),
    # week list
    "establishment": ("Établissement", "Establishment"),
    "week": ("Semaine du", "Week of"),
    "no_establishment": (
        "Aucune liste n'est encore disponible pour vos établissements.",
        "No list is available for your establishments yet.",
    ),
    "list_caption": (
        "{name} — semaine du {week} — {capacity} entretiens possibles — modèle {model}",
        "{name} — week of {week} — {capacity} interview slots — model {model}",
    ),
    "filter_level": ("Niveau", "Level"),
    "filter_class": ("Classe", "Class"),
    "tier_invite": ("À inviter", "To invite"),
    "tier_watch": ("À surveiller", "To watch"),
    "tier_follow_up": ("En suivi", "In follow-up"),
    "tier_invite_help": (
        "Les élèves de plus fort risque qui ne sont pas déjà en suivi, dans la limite de vos "
        "créneaux d'entretien.",
        "The highest risks not already in follow-up, within your interview slots.",
    ),
    "tier_follow_up_help": (
        "Entretien en cours, entretien tenu depuis moins de {held} semaines ou élève écarté "
        "depuis moins de {dismissed} semaines : ces élèves ne prennent pas de créneau. Un élève "
        "revient plus tôt dans la file si son risque a augmenté de {margin} points depuis la "
        "décision.",
        "An interview under way, one held less than {held} weeks ago or a dismissal less than "
        "{dismissed} weeks ago: these students take no slot. A student comes back into the "
        "queue earlier if the risk rose by {margin} points since the decision.",
    ),
    "live_marks_caption": (
        "La colonne « Suivi » est à jour : un entretien ou un écart enregistré après la "
        "création de la liste y apparaît aussitôt, mais le créneau n'est réattribué qu'à la "
        "prochaine liste hebdomadaire. D'ici là, la cellule décide.",
        "The « Follow-up » column is live: an interview or a dismissal recorded after the list "
        "was made shows at once, but the slot is given again only by the next weekly list. "
        "Until then, the watch unit decides.",
    ),
    "col_part": ("Partie", "Part"),
    "col_decision": ("Décision", "Decision"),
    "col_decision_date": ("Date", "Date"),
    "col_solution": ("Solution proposée", "Solution proposed"),
    "col_risk_then_now": ("Risque alors → maintenant", "Risk then → now"),
    "col_risk_then": ("Risque alors", "Risk then"),
    "tier_watch_help": (
        "Au-dessus du seuil de vigilance ({threshold}), au-delà de vos créneaux.",
        "Over the watch threshold ({threshold}), beyond your slots.",
    ),
    "empty_tier": ("Personne dans cette partie de la liste.", "Nobody in this part of the list."),
    "col_rank": ("Rang", "Rank"),
    "col_student": ("Élève", "Student"),
    "col_level": ("Niveau", "Level"),
    "col_class": ("Classe", "Class"),
    "col_risk": ("Risque", "Risk"),
    "col_change": ("Évolution", "Change"),
    "col_new": ("Nouveau", "New"),
    "col_reasons": ("Raisons", "Reasons"),
    "col_status": ("Suivi", "Follow-up"),
    "status_none": ("—", "—"),
    "status_dismissed": ("écarté récemment", "dismissed recently"),
    "status_under_way": ("entretien en cours", "interview under way"),
    "new_yes": ("nouveau", "new"),
    "open_student": ("Ouvrir la fiche de", "Open the page of"),
    "open": ("Ouvrir", "Open"),
    "export_csv": ("Exporter en CSV", "Export as CSV"),
    "export_html": ("Page imprimable (HTML)", "Printable page (HTML)"),
    "print_hint": (
        "Ouvrez le fichier et imprimez-le (ou enregistrez-le en PDF) pour la réunion.",
        "Open the file and print it (or save it as PDF) for the meeting.",
    ),
    "print_title": ("Liste pour la réunion GPDS", "List for the GPDS meeting"),
    "print_signature": ("Décisions de la cellule", "Decisions of the watch unit"),
    # student page
    "choose_student": (
        "Choisissez un élève dans la liste de la semaine.",
        "Choose a student in this week's list.",
    ),
    "student_id": ("Identifiant", "Id"),
    "risk_now": ("Risque cette semaine", "Risk this week"),
    "rank_now": ("Rang", "Rank"),
    "reasons_title": ("Pourquoi cet élève ?", "Why this student?"),
    "absences_title": ("Absences par semaine", "Absences per week"),
    "justified": ("justifiées", "justified"),
    "unjustified": ("non justifiées", "unjustified"),
    "half_days": ("demi-journées", "half-days"),
    "grades_title": ("Notes par période et matière", "Grades per period and subject"),
    "period": ("Période", "Period"),
    "subject": ("Matière", "Subject"),
    "mean": ("Moyenne /20", "Mean /20"),
    "marks": ("Notes", "Marks"),
    "exams_title": ("Examens", "Exams"),
    "no_exam": ("Aucun examen cette année.", "No exam this year."),
    "no_events": (
        "Les absences et les notes ne sont pas disponibles (extraction introuvable).",
        "Absences and grades are not available (extraction not found).",
    ),
    "risk_title": ("Risque au fil des semaines", "Risk over the weeks"),
    "waterfall_title": ("Décomposition du score de la semaine", "This week's score, explained"),
    "waterfall_help": (
        "Chaque barre montre combien un indicateur rapproche ou éloigne le score de la "
        "moyenne (log-odds, valeurs SHAP). Score final : risque {risk}.",
        "Each bar shows how much an indicator moves the score away from the average "
        "(log-odds, SHAP values). Final score: risk {risk}.",
    ),
    "waterfall_base": ("Moyenne", "Average"),
    "waterfall_unavailable": (
        "La décomposition n'est pas disponible : {reason}",
        "The breakdown is not available: {reason}",
    ),
    "indicator": ("Indicateur", "Indicator"),
    "value": ("Valeur", "Value"),
    "contribution": ("Contribution", "Contribution"),
    "interviews_title": ("Entretiens et décisions", "Interviews and decisions"),
    "no_interview": ("Aucun entretien enregistré.", "No interview recorded."),
    "dismissals_title": ("Écarté de la liste", "Dismissed from the list"),
    "record_title": ("Enregistrer un entretien", "Record an interview"),
    "update_title": ("Mettre à jour l'entretien en cours", "Update the interview under way"),
    "status": ("Statut", "Status"),
    "interview_date": ("Date de l'entretien", "Interview date"),
    "solution": ("Solution proposée", "Solution proposed"),
    "notes": ("Notes", "Notes"),
    "notes_withheld": (
        "Note de l'établissement qui l'a écrite, non visible",
        "Note of the establishment that wrote it, not visible",
    ),
    "reason_withheld": (
        "Motif de l'établissement qui l'a écrit, non visible",
        "Reason of the establishment that wrote it, not visible",
    ),
    "save": ("Enregistrer", "Save"),
    "saved": ("Enregistré.", "Saved."),
    "dismiss_title": ("Écarter de la liste", "Dismiss from the list"),
    "dismiss_reason": ("Motif (obligatoire)", "Reason (required)"),
    "dismiss": ("Écarter", "Dismiss"),
    "dismissed": ("Élève écarté de la liste.", "Student dismissed from the list."),
    "invalid": ("Saisie refusée : {message}", "Entry refused: {message}"),
    "read_only_role": (
        "Lecture seule : seule la cellule de veille de l'établissement enregistre.",
        "Read only: only the establishment's watch unit records.",
    ),
    "by_on": ("par {who}, le {when}", "by {who} on {when}"),
    "pseudonymised": ("Données pseudonymisées.", "Pseudonymised data."),
    # inspector
    "fairness_intro": (
        "Audit du modèle en service (version {version}) sur les semaines de test : "
        "indicateurs par groupe avec intervalles de confiance à 95 %.",
        "Audit of the model in service (version {version}) on the test weeks: metrics by "
        "group with 95 % confidence intervals.",
    ),
    "no_report": ("Aucun rapport disponible : {reason}", "No report available: {reason}"),
    "gate_passed": ("Contrôle d'équité : réussi", "Fairness gate: passed"),
    "gate_failed": ("Contrôle d'équité : échoué", "Fairness gate: failed"),
    "grouping": ("Regroupement", "Grouping"),
    "group": ("Groupe", "Group"),
    "metric": ("Indicateur", "Metric"),
    "students": ("Élèves", "Students"),
    "ratio": ("Rapport", "Ratio"),
    "band": ("Zone acceptable 0,8–1,25", "Acceptable band 0.8–1.25"),
    "too_small": ("effectif trop faible", "too small to judge"),
    "metrics_by_group": ("Indicateurs par groupe", "Metrics by group"),
    "disparity_title": (
        "Rapports de disparité (par rapport au groupe de référence)",
        "Disparity ratios (against the reference group)",
    ),
    "shap_differences": ("Différences d'explication entre groupes", "Explanation differences"),
    "proxies_title": ("Variables de substitution (proxys)", "Proxy findings"),
    "reason_families": ("Familles de raisons par groupe", "Reason families by group"),
    "full_report": ("Rapport complet signable (HTML)", "Full report to sign (HTML)"),
    "model_card_intro": (
        "Usage prévu : proposer chaque semaine à la cellule de veille une liste d'élèves à "
        "inviter en entretien de situation. La décision reste humaine.",
        "Intended use: suggest each week to the watch unit a list of students to invite to "
        "a prevention interview. A person always decides.",
    ),
    "model_card_limits": (
        "Limites : données synthétiques en démonstration ; le modèle ne voit ni le sexe, ni la "
        "bourse, ni la PCS des parents ; une absence de signal n'est pas une absence de risque.",
        "Limits: synthetic data in the demo; the model never sees sex, scholarship or "
        "parents' occupation group; no signal is not no risk.",
    ),
    "data_section": ("Données", "Data"),
    "metrics_at_capacity": ("Performance à capacité", "Metrics at capacity"),
    "versions": ("Historique des versions", "Version history"),
    "precision_at_k": ("Précision à la capacité", "Precision at capacity"),
    "recall_at_k": ("Rappel à la capacité", "Recall at capacity"),
    "training_run": ("Entraînement (run MLflow)", "Training run (MLflow)"),
    "fairness_section": ("Équité", "Fairness"),
    "audit_filter_user": ("Utilisateur", "User"),
    "audit_filter_action": ("Action", "Action"),
    "audit_filter_outcome": ("Résultat", "Outcome"),
    "audit_filter_student": ("Élève (identifiant)", "Student (id)"),
    "audit_limit": ("Nombre d'entrées", "Entries"),
    "all": ("tous", "all"),
    # data scientist
    "registered_versions": ("Versions enregistrées", "Registered versions"),
    "version": ("Version", "Version"),
    "aliases": ("Alias", "Aliases"),
    "created": ("Créée le", "Created"),
    "champion_vs_challenger": ("Champion contre challenger", "Champion vs challenger"),
    "no_challenger": (
        "Pas de comparaison possible : {reason}",
        "No comparison possible: {reason}",
    ),
    "precision_weeks": ("Précision à capacité par semaine", "Precision at capacity per week"),
    "mlflow_link": ("Ouvrir l'interface MLflow", "Open the MLflow UI"),
    "drift_intro": (
        "Indice de stabilité de population (PSI) de chaque indicateur entre la population "
        "d'entraînement et celle de cette semaine ; alerte au-delà de {threshold}.",
        "Population stability index (PSI) of each indicator between the training population "
        "and this week's; alert over {threshold}.",
    ),
    "drift_reference_model": (
        "les lignes d'entraînement de {version} (champion)",
        "the training rows of {version} (champion)",
    ),
    "drift_reference_file": ("le fichier {file}", "the file {file}"),
    "drift_reference_season": (
        "Référence : {reference}, aux dates d'entraînement les plus proches dans l'année "
        "scolaire ({dates}), comparées aux indicateurs de la semaine du {week}.",
        "Reference: {reference}, at the training dates nearest in the school year ({dates}), "
        "compared with the indicators of the week of {week}.",
    ),
    "drift_reference_all": (
        "Référence : {reference}, toutes dates confondues, comparées aux indicateurs de la "
        "semaine du {week}.",
        "Reference: {reference}, all dates together, compared with the indicators of the "
        "week of {week}.",
    ),
    "drift_alerts": ("{count} indicateur(s) en alerte", "{count} indicator(s) in alert"),
    "drift_none": ("Aucune dérive au-delà du seuil.", "No drift over the threshold."),
    "drift_no_features": (
        "pas de fichier d'indicateurs pour la semaine du {week}",
        "no feature file for the week of {week}",
    ),
    "drift_unavailable": ("Dérive non disponible : {reason}", "Drift not available: {reason}"),
    "psi": ("PSI", "PSI"),
    "level": ("Niveau", "Level"),
    "family": ("Famille", "Family"),
}

# Store vocabularies (serving.db.vocabulary) and drift levels, as people read them.
_VOCABULARY: dict[str, dict[str, tuple[str, str]]] = {
    "role": {
        "watch_unit": ("cellule de veille", "watch unit"),
        "inspector": ("inspection", "inspector"),
        "data_scientist": ("science des données", "data scientist"),
        "admin": ("administration", "admin"),
    },
    "status": {
        "to_invite": ("à inviter", "to invite"),
        "invited": ("invité", "invited"),
        "held": ("entretien tenu", "held"),
        "declined": ("refusé", "declined"),
        "not_needed": ("pas nécessaire", "not needed"),
    },
    "decision": {
        "under_way": ("entretien en cours", "interview under way"),
        "held": ("entretien tenu", "interview held"),
        "dismissed": ("écarté", "dismissed"),
    },
    "solution": {
        "return_to_training": ("retour en formation", "return to training"),
        "aar": ("action de remobilisation (AAR)", "remobilisation action (AAR)"),
        "morea": ("MOREA (re-préparation d'examen)", "MOREA (exam re-preparation)"),
        "tutoring": ("tutorat", "tutoring"),
        "foquale": ("réseau FoQualE", "FoQualE network"),
        "insertion": ("insertion professionnelle", "into employment"),
        "other": ("autre", "other"),
    },
    "drift": {
        "stable": ("stable", "stable"),
        "moderate": ("modérée", "moderate"),
        "major": ("forte", "major"),
    },
    "outcome": {"allowed": ("autorisé", "allowed"), "denied": ("refusé", "denied")},
    "family": {
        "attendance": ("assiduité", "attendance"),
        "grades": ("notes", "grades"),
        "exams_and_path": ("examens et parcours", "exams and path"),
        "context": ("contexte", "context"),
    },
}


def text(key: str, language: Language, **values: object) -> str:
    """The label `key` in `language`, formatted with `values`."""
    french, english = LABELS[key]
    template = english if language == "en" else french
    return template.format(**values) if values else template


def vocabulary(kind: str, word: str | None, language: Language) -> str:
    """A store word (a role, status, solution...) as people read it; unknown words as is."""
    if word is None:
        return "—"
    pair = _VOCABULARY[kind].get(word)
    if pair is None:
        return word
    return pair[1] if language == "en" else pair[0]


# The administrator's pages (app_dashboard/admin_wording.py), kept in their own table.
if LABELS.keys() & ADMIN_LABELS.keys():
    raise KeyError(f"labels defined twice: {sorted(LABELS.keys() & ADMIN_LABELS.keys())}")
LABELS.update(ADMIN_LABELS)
