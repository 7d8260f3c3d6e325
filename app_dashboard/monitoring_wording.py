"""The labels of the monitoring section ("Suivi") of the drift and admin pages, French first, merged
into `app_dashboard.wording.LABELS` (a key in both tables is an error at import)."""

from __future__ import annotations

__all__ = ["MONITORING_LABELS"]

MONITORING_LABELS: dict[str, tuple[str, str]] = {
    "monitoring_title": ("Suivi", "Monitoring"),
    "monitoring_week": ("Semaine suivie", "Monitored week"),
    "admin_monitoring_intro": (
        "Les alertes du suivi hebdomadaire, semaine par semaine. Si elles montrent que les "
        "listes d'un établissement (ou de tous) ne sont plus fiables, suspendez-les avec "
        "l'interrupteur d'arrêt ci-dessus.",
        "The weekly monitoring's alerts, week by week. If they show that an establishment's "
        "lists (or every one's) can no longer be trusted, suspend them with the stop switch "
        "above.",
    ),
    "monitoring_intro": (
        "Suivi de la semaine du {week}, calculé par `vigie monitor` (et à la fin de chaque "
        "`vigie score`) : renouvellement des listes, créneaux utilisés, dérive et, quand les "
        "sorties sont connues, issues constatées des invitations.",
        "Monitoring of the week of {week}, computed by `vigie monitor` (and at the end of each "
        "`vigie score`): list churn, slots spent, drift and, once exits are known, realised "
        "outcomes of the invitations.",
    ),
    "monitoring_none": (
        "Pas de suivi enregistré : {reason}",
        "No monitoring stored: {reason}",
    ),
    "monitoring_alerts": ("{count} alerte(s) de suivi", "{count} monitoring alert(s)"),
    "monitoring_no_alert": ("Aucune alerte de suivi.", "No monitoring alert."),
    "monitoring_alert": (
        "{kind} — {measure} ({scope}) : {value} (seuil {threshold})",
        "{kind} — {measure} ({scope}): {value} (threshold {threshold})",
    ),
    "monitoring_alert_measure": (
        "{measure} ({scope}) : {value} (seuil {threshold})",
        "{measure} ({scope}): {value} (threshold {threshold})",
    ),
    "monitoring_unavailable": ("{kind} non calculé : {reason}", "{kind} not computed: {reason}"),
    "monitoring_overall": ("ensemble", "overall"),
    "monitoring_kind_drift": ("Dérive", "Drift"),
    "monitoring_kind_lists": ("Listes", "Lists"),
    "monitoring_kind_outcomes": ("Issues constatées", "Realised outcomes"),
    "monitoring_kind_churn": ("Renouvellement", "Churn"),
    "monitoring_kind_slot_share": ("Créneaux utilisés", "Slots spent"),
    "monitoring_col_establishment": ("Établissement", "Establishment"),
    "monitoring_col_invited": ("Invités", "Invited"),
    "monitoring_col_capacity": ("Créneaux", "Slots"),
    "monitoring_col_churn": ("Nouveaux cette semaine", "New this week"),
    "monitoring_col_slot_share": ("Créneaux utilisés", "Slots spent"),
    "monitoring_score_psi": ("PSI du score : {value}", "Score PSI: {value}"),
    "monitoring_measure_score": ("Score de risque", "Risk score"),
    "monitoring_measure_coverage": ("Part des décrocheurs atteints", "Share of dropouts reached"),
    "monitoring_measure_coverage_ahead": (
        "Part des décrocheurs atteints 4 semaines avant ou plus",
        "Share of dropouts reached 4+ weeks before",
    ),
    "monitoring_col_reached": ("Futurs décrocheurs invités", "Future dropouts invited"),
    "monitoring_col_ahead": ("Invités 4 semaines avant ou plus", "Invited 4+ weeks before"),
    "monitoring_col_precision": (
        "Part des invitations à de futurs décrocheurs",
        "Share of invitations to future dropouts",
    ),
    "monitoring_promised": (
        "Promis par l'évaluation ({version}) : {precision} des invitations à de futurs "
        "décrocheurs, {coverage} des décrocheurs atteints.",
        "Promised by the evaluation ({version}): {precision} of invitations to future "
        "dropouts, {coverage} of dropouts reached.",
    ),
}
