"""Every label, message and vocabulary word of the dashboard, in French and in English.

One table, French first: a page never holds a user-facing string of its own, so a missing
translation is a KeyError in the tests, not an English word in a French page. `text(key,
language, **values)` formats the label with `str.format`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from app_dashboard.admin_wording import ADMIN_LABELS
from app_dashboard.formatting import MISSING, is_missing
from app_dashboard.leavers_wording import LEAVERS_ACTIONS, LEAVERS_LABELS, LEAVERS_VOCABULARY
from app_dashboard.monitoring_wording import MONITORING_LABELS
from app_dashboard.outcomes_wording import OUTCOME_LABELS, OUTCOME_STATUS_WORDS
from app_dashboard.solutions_wording import SOLUTIONS_LABELS
from features.labels import HORIZON_WEEKS
from models.reason_wording import CATEGORY_WORDS
from models.solutions.wording import EXAM_WORDS

__all__ = [
    "HORIZON_WEEKS",
    "LABELS",
    "LANGUAGES",
    "METRICS",
    "RATE_METRICS",
    "Language",
    "aliases_text",
    "metric_label",
    "text",
    "vocabulary",
]

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
    # the stop switch (serving.services.suspensions): shown in place of a list or a record
    "suspended_lists": (
        "Les listes de {scope} sont suspendues depuis le {since} par {by} : {reason}. "
        "Elles continuent d'être calculées et réapparaîtront à la reprise.",
        "The lists of {scope} are suspended since {since} by {by}: {reason}. They are still "
        "computed and will show again once resumed.",
    ),
    "suspended_all": ("tous les établissements", "every establishment"),
    "suspended_one": ("l'établissement {uai}", "establishment {uai}"),
    # a week's recorded data (serving.lineage.WeekDataUnavailable)
    "week_data_not_recorded": (
        "La semaine du {week} a été écrite avant que ses données soient enregistrées : "
        "relancez le calcul de cette semaine (vigie score).",
        "The week of {week} was written before its data were recorded: score that week "
        "again (vigie score).",
    ),
    "week_data_purged": (
        "Les données de la semaine du {week} ont été supprimées par la règle de conservation "
        "(vigie purge) : seuls ses effectifs sont conservés.",
        "The data of the week of {week} were removed by the retention rule (vigie purge): "
        "only its counts are kept.",
    ),
    "week_data_missing": (
        "Données de la semaine du {week} introuvables ({what}) : relancez le calcul de "
        "cette semaine (vigie score).",
        "Data of the week of {week} missing ({what}): score that week again (vigie score).",
    ),
    "week_data_altered": (
        "Données de la semaine du {week} modifiées depuis le calcul de sa liste ({what}) : "
        "rien n'est affiché plutôt que des données qui ne sont pas celles de la liste.",
        "Data of the week of {week} changed since its list was scored ({what}): nothing is "
        "shown rather than data that are not the list's.",
    ),
    "week_data_record": ("enregistrement de la semaine", "the week's record"),
    "week_data_extraction": ("extraction", "extraction"),
    "week_data_features": ("indicateurs des élèves", "students' features"),
    "week_data_contributions": ("contributions aux scores", "contributions to the scores"),
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
    "col_risk_then_now": (
        f"Risque à {HORIZON_WEEKS} semaines, alors → maintenant",
        f"Risk within {HORIZON_WEEKS} weeks, then → now",
    ),
    "col_risk_then": (
        f"Risque à {HORIZON_WEEKS} semaines alors",
        f"Risk within {HORIZON_WEEKS} weeks then",
    ),
    "tier_watch_help": (
        "Au-dessus du seuil de vigilance ({threshold}), au-delà de vos créneaux.",
        "Over the watch threshold ({threshold}), beyond your slots.",
    ),
    "empty_tier": ("Personne dans cette partie de la liste.", "Nobody in this part of the list."),
    "col_rank": ("Rang", "Rank"),
    "col_student": ("Élève", "Student"),
    "col_level": ("Niveau", "Level"),
    "col_class": ("Classe", "Class"),
    "col_risk": (f"Risque à {HORIZON_WEEKS} semaines", f"Risk within {HORIZON_WEEKS} weeks"),
    "col_change": ("Évolution (points)", "Change (points)"),
    "col_new": ("Nouveau", "New"),
    "col_reasons": ("Raisons", "Reasons"),
    "col_context": ("Dont contexte (points)", "Of which context (points)"),
    "col_status": ("Suivi", "Follow-up"),
    "csv_risk": (
        f"Risque à {HORIZON_WEEKS} semaines (%)",
        f"Risk within {HORIZON_WEEKS} weeks (%)",
    ),
    "csv_risk_change": (
        "Évolution depuis la liste précédente (points)",
        "Change since the last list (points)",
    ),
    "csv_context": (
        "Dont contexte : points de risque dus au niveau, à la voie, à l'établissement",
        "Of which context: risk points from the level, track, establishment",
    ),
    "csv_risk_then": (
        f"Risque à {HORIZON_WEEKS} semaines à la décision (%)",
        f"Risk within {HORIZON_WEEKS} weeks at the decision (%)",
    ),
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
    "risk_now": (
        f"Risque de décrochage d'ici {HORIZON_WEEKS} semaines",
        f"Risk of leaving school within {HORIZON_WEEKS} weeks",
    ),
    "risk_help": (
        f"Probabilité estimée que l'élève quitte l'école sans solution dans les {HORIZON_WEEKS} "
        "semaines qui suivent la date de la liste (modèle calibré).",
        f"Estimated probability that the student leaves school without a solution within "
        f"the {HORIZON_WEEKS} weeks after the list's date (calibrated model).",
    ),
    "risk_change_week": ("{points} depuis la liste précédente", "{points} since the last list"),
    "rank_now": ("Rang", "Rank"),
    "reasons_title": ("Pourquoi cet élève ?", "Why this student?"),
    "no_reason": (
        "Aucun signal propre à l'élève ne pèse assez pour être cité.",
        "No signal of the student's own weighs enough to be named.",
    ),
    "context_unknown": (
        "Contexte (niveau, voie, établissement) : poids non conservé pour cette semaine (—).",
        "Context (level, track, establishment): weight not kept for this week (—).",
    ),
    "context_weight": (
        "Contexte (niveau, voie, établissement) : {points} de risque ({without} sans le contexte)",
        "Context (level, track, establishment): {points} of risk ({without} without the context)",
    ),
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
        "Chaque barre montre de combien de points un indicateur augmente (rouge) ou diminue "
        "(bleu) le risque, pris dans l'ordre du graphique, depuis le risque de référence "
        f"({{base}} : élève moyen des données d'entraînement) jusqu'au risque de l'élève à "
        f"{HORIZON_WEEKS} semaines ({{risk}}).",
        "Each bar shows by how many points an indicator raises (red) or lowers (blue) the "
        "risk, taken in the chart's order, from the reference risk ({base}: the average "
        f"student of the training data) to the student's risk within {HORIZON_WEEKS} weeks "
        "({risk}).",
    ),
    "waterfall_base": ("Risque de référence", "Reference risk"),
    "waterfall_axis": (f"Risque à {HORIZON_WEEKS} semaines", f"Risk within {HORIZON_WEEKS} weeks"),
    "waterfall_step": ("Effet (points)", "Effect (points)"),
    "waterfall_other_list": (
        "Cette semaine, l'élève figurait sur la liste d'un autre établissement : la "
        "décomposition et la notice restent à l'établissement qui l'avait inscrit sur sa liste.",
        "That week the student was on another establishment's list: the breakdown and the "
        "notice stay with the establishment that listed the student.",
    ),
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
        "indicateurs par groupe avec intervalles de confiance à 95\u202f%.",
        "Audit of the model in service (version {version}) on the test weeks: metrics by "
        "group with 95% confidence intervals.",
    ),
    "no_report": ("Aucun rapport disponible : {reason}", "No report available: {reason}"),
    "gate_passed": ("Contrôle d'équité : réussi", "Fairness gate: passed"),
    "gate_failed": ("Contrôle d'équité : échoué", "Fairness gate: failed"),
    "grouping": ("Regroupement", "Grouping"),
    "group": ("Groupe", "Group"),
    "metric": ("Indicateur", "Metric"),
    "students": ("Élèves", "Students"),
    "ratio": ("Rapport", "Ratio"),
    "band": ("Zone acceptable {low}–{high}", "Acceptable band {low}–{high}"),
    "too_small": ("effectif trop faible", "too small to judge"),
    "too_small_list": ("Trop petits pour juger : {names}", "Too small to judge: {names}"),
    "metrics_by_group": ("Indicateurs par groupe", "Metrics by group"),
    "disparity_title": (
        "Rapports de disparité (par rapport au groupe de référence)",
        "Disparity ratios (against the reference group)",
    ),
    "shap_differences": ("Différences d'explication entre groupes", "Explanation differences"),
    "proxies_title": ("Variables de substitution (proxys)", "Proxy findings"),
    "reason_families": ("Familles de raisons par groupe", "Reason families by group"),
    "full_report": ("Rapport complet signable (HTML)", "Full report to sign (HTML)"),
    "notice_download": (
        "Notice pour l'élève et sa famille (HTML)",
        "Notice for the student and family (HTML)",
    ),
    "notice_help": (
        "Document imprimable sur une page A4 : suggestion de l'algorithme, décision de la "
        "cellule, données utilisées, principaux éléments, comment s'opposer. Chaque notice "
        "remise est journalisée.",
        "A printable one-page A4 document: the algorithm's suggestion, the watch unit's "
        "decision, the data used, the main factors, how to object. Every notice issued is "
        "audited.",
    ),
    "model_card_download": ("Fiche du modèle imprimable (HTML)", "Printable model card (HTML)"),
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
    "champion_vs_challenger": (
        "Modèle en service (champion) contre modèle candidat (challenger)",
        "Model in service (champion) vs candidate model (challenger)",
    ),
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
    "alert": ("Alerte", "Alert"),
    "yes": ("oui", "yes"),
    "no": ("non", "no"),
    "weeks_tested": ("Semaines testées", "Weeks tested"),
    "listed": ("Élèves listés", "Students listed"),
    "dropouts": ("Décrocheurs", "Dropouts"),
    # student page, exams
    "exam_date": ("Date", "Date"),
    "exam": ("Examen", "Exam"),
    "exam_result": ("Résultat", "Result"),
    "exam_score": ("Note /20", "Mark /20"),
    # audit log
    "audit_at": ("Date et heure (UTC)", "Date and time (UTC)"),
    "audit_user": ("Utilisateur", "User"),
    "audit_role": ("Rôle", "Role"),
    "audit_action": ("Action", "Action"),
    "audit_outcome": ("Résultat", "Outcome"),
    "audit_student": ("Élève", "Student"),
    "audit_uai": ("Établissement", "Establishment"),
    "audit_model": ("Modèle", "Model"),
    "audit_detail": ("Détail", "Detail"),
}

# Metrics a training run logs (training.tracking, training.fairness.logged), as the data
# scientist's pages head them.
METRICS: dict[str, tuple[str, str]] = {
    "precision_at_k": ("Précision à la capacité", "Precision at capacity"),
    "precision_at_k_low": ("Précision à la capacité (borne basse)", "Precision at capacity (low)"),
    "precision_at_k_high": (
        "Précision à la capacité (borne haute)",
        "Precision at capacity (high)",
    ),
    "recall_at_k": ("Rappel à la capacité", "Recall at capacity"),
    "recall_at_k_low": ("Rappel à la capacité (borne basse)", "Recall at capacity (low)"),
    "recall_at_k_high": ("Rappel à la capacité (borne haute)", "Recall at capacity (high)"),
    "roc_auc": ("ROC-AUC", "ROC-AUC"),
    "pr_auc": ("PR-AUC", "PR-AUC"),
    "brier": ("Score de Brier", "Brier score"),
    "ece": ("Erreur de calibration (ECE)", "Calibration error (ECE)"),
    "fairness.judged_groups": ("Groupes jugés (équité)", "Groups judged (fairness)"),
    "fairness.recall_out_of_band_groups": (
        "Groupes hors bande sur le rappel",
        "Groups out of band on recall",
    ),
    "fairness.too_small_groups": ("Groupes trop petits", "Groups too small"),
    "fairness.proxies_found": ("Proxys détectés", "Proxies found"),
}
# Metrics that are proportions (shown as percentages); the others are plain numbers.
RATE_METRICS = frozenset(
    name for name in METRICS if name.startswith(("precision_at_k", "recall_at_k"))
)

# Store vocabularies (serving.db.vocabulary) and drift levels, as people read them.
_VOCABULARY: dict[str, dict[str, tuple[str, str]]] = {
    "role": {
        "watch_unit": ("cellule de veille", "watch unit"),
        "inspector": ("inspection", "inspector"),
        "data_scientist": ("science des données", "data scientist"),
        "admin": ("administration", "admin"),
        "mlds": ("MLDS (bassin)", "MLDS (bassin)"),
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
    "alias": {
        "champion": ("en service (champion)", "in service (champion)"),
        "challenger": ("candidat (challenger)", "candidate (challenger)"),
    },
    "outcome": {"allowed": ("autorisé", "allowed"), "denied": ("refusé", "denied")},
    "tier": {
        "invite": ("à inviter", "to invite"),
        "watch": ("à surveiller", "to watch"),
        "follow_up": ("en suivi", "in follow-up"),
    },
    "level": CATEGORY_WORDS["level"],
    "track": CATEGORY_WORDS["track"],
    "subject": {
        "francais": ("français", "French"),
        "mathematiques": ("mathématiques", "mathematics"),
        "histoire_geographie": ("histoire-géographie", "history and geography"),
        "anglais": ("anglais", "English"),
        "lv2": ("langue vivante 2", "second modern language"),
        "svt": ("sciences de la vie et de la Terre", "life and earth sciences"),
        "physique_chimie": ("physique-chimie", "physics and chemistry"),
        "technologie": ("technologie", "technology"),
        "eps": ("éducation physique et sportive", "physical education"),
        "arts_plastiques": ("arts plastiques", "visual arts"),
        "education_musicale": ("éducation musicale", "music"),
        "philosophie": ("philosophie", "philosophy"),
        "ses": ("sciences économiques et sociales", "economics and social sciences"),
        "management": ("management", "management"),
        "sciences_gestion": ("sciences de gestion", "management sciences"),
        "enseignement_professionnel": ("enseignement professionnel", "vocational teaching"),
        "prevention_sante_environnement": (
            "prévention santé environnement",
            "health, safety and environment",
        ),
        "economie_gestion": ("économie-gestion", "economics and management"),
        "arts_appliques": ("arts appliqués", "applied arts"),
    },
    "exam": EXAM_WORDS,
    "exam_result": {
        "pass": ("admis", "passed"),
        "fail": ("non admis", "failed"),
        "absent": ("absent", "absent"),
    },
    "action": {
        "login": ("connexion", "sign-in"),
        "login_oidc": ("connexion par l'ENT", "school account sign-in"),
        "authentication_flood": ("trop de tentatives de connexion", "too many sign-in attempts"),
        "add_user": ("création d'un utilisateur", "user created"),
        "disable_user": ("désactivation d'un utilisateur", "user disabled"),
        "enable_user": ("réactivation d'un utilisateur", "user enabled"),
        "reset_password": ("nouveau mot de passe", "password reset"),
        "renew_token": ("nouveau jeton d'API", "API token renewed"),
        "list_users": ("liste des utilisateurs", "users listed"),
        "list_establishments": ("liste des établissements", "establishments listed"),
        "read_audit_log": ("lecture du journal d'audit", "audit log read"),
        "read_classes": ("lecture des classes", "classes read"),
        "read_comparison": ("lecture de la comparaison des modèles", "model comparison read"),
        "read_explanation": ("lecture d'une décomposition", "breakdown read"),
        "read_fairness": ("lecture de l'audit d'équité", "fairness audit read"),
        "read_list": ("lecture d'une liste", "list read"),
        "read_model_weeks": ("lecture de la précision par semaine", "weekly precision read"),
        "read_models": ("lecture des modèles", "models read"),
        "read_drift": ("lecture de la dérive", "drift read"),
        "read_monitoring": ("lecture du suivi", "monitoring read"),
        "read_interview_outcomes": ("lecture des issues des entretiens", "interview outcomes read"),
        "issue_notice": ("notice remise à la famille", "notice issued to the family"),
        "read_student": ("lecture d'une fiche élève", "student page read"),
        "read_student_events": ("lecture des absences et notes", "absences and marks read"),
        "read_solutions": ("lecture des solutions suggérées", "suggested solutions read"),
        "read_suggestion_followed": (
            "lecture des choix et suggestions",
            "choices and suggestions read",
        ),
        "record_interview": ("entretien enregistré", "interview recorded"),
        "update_interview": ("entretien mis à jour", "interview updated"),
        "dismiss_student": ("élève écarté", "student dismissed"),
        "score_students": ("calcul de risques (API)", "risks computed (API)"),
        "score_week": ("listes de la semaine écrites", "weekly lists written"),
        "purge": ("purge des données personnelles", "personal data purged"),
        "purge_audit_log": ("purge du journal d'audit", "audit log purged"),
    },
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


def vocabulary(kind: str, word: object, language: Language) -> str:
    """A code (a role, status, solution, subject, level...) as people read it; a dash when
    missing; a word the table does not know (a subject of a real extraction) with its
    underscores as spaces, so no code reaches a page."""
    if is_missing(word):
        return MISSING
    pair = _VOCABULARY[kind].get(str(word))
    if pair is None:
        return str(word).replace("_", " ")
    return pair[1] if language == "en" else pair[0]


def aliases_text(aliases: Iterable[str] | None, language: Language) -> str:
    """A model version's aliases as words (« en service (champion) »); a dash for none."""
    words = [vocabulary("alias", alias, language) for alias in (aliases or ())]
    return ", ".join(words) or MISSING


def metric_label(name: str, language: Language) -> str:
    """A logged metric's name as a header (`fairness.judged_groups` -> "Groupes jugés")."""
    pair = METRICS.get(name)
    if pair is None:
        return name.rsplit(".", 1)[-1].replace("_", " ")
    return pair[1] if language == "en" else pair[0]


# The administrator's pages (app_dashboard/admin_wording.py), kept in their own table.
if LABELS.keys() & ADMIN_LABELS.keys():
    raise KeyError(f"labels defined twice: {sorted(LABELS.keys() & ADMIN_LABELS.keys())}")
LABELS.update(ADMIN_LABELS)
# The monitoring section of the drift page (app_dashboard/monitoring_wording.py).
if LABELS.keys() & MONITORING_LABELS.keys():
    raise KeyError(f"labels defined twice: {sorted(LABELS.keys() & MONITORING_LABELS.keys())}")
LABELS.update(MONITORING_LABELS)
# The interview outcome report (app_dashboard/outcomes_wording.py).
if LABELS.keys() & OUTCOME_LABELS.keys():
    raise KeyError(f"labels defined twice: {sorted(LABELS.keys() & OUTCOME_LABELS.keys())}")
LABELS.update(OUTCOME_LABELS)
_VOCABULARY["later_status"] = OUTCOME_STATUS_WORDS
# The suggested solutions (app_dashboard/solutions_wording.py).
if LABELS.keys() & SOLUTIONS_LABELS.keys():
    raise KeyError(f"labels defined twice: {sorted(LABELS.keys() & SOLUTIONS_LABELS.keys())}")
LABELS.update(SOLUTIONS_LABELS)
# The MLDS's page and `vigie leavers` (app_dashboard/leavers_wording.py).
if LABELS.keys() & LEAVERS_LABELS.keys():
    raise KeyError(f"labels defined twice: {sorted(LABELS.keys() & LEAVERS_LABELS.keys())}")
LABELS.update(LEAVERS_LABELS)
if _VOCABULARY.keys() & LEAVERS_VOCABULARY.keys():
    raise KeyError(
        f"vocabularies defined twice: {sorted(_VOCABULARY.keys() & LEAVERS_VOCABULARY.keys())}"
    )
_VOCABULARY.update(LEAVERS_VOCABULARY)
_VOCABULARY["action"].update(LEAVERS_ACTIONS)
