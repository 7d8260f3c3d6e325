"""What the fairness report says to an inspector, in French (default) and English."""

from __future__ import annotations

__all__ = ["METRIC_LABELS", "STATUS_LABELS", "text"]

_TEXT: dict[str, tuple[str, str]] = {
    "title": ("Audit d'équité des listes hebdomadaires", "Fairness audit of the weekly lists"),
    "run": ("Entraînement (run MLflow)", "Training run (MLflow)"),
    "generated": ("Audit produit le", "Audit produced on"),
    "scope": (
        "Élèves-semaines testés : {rows} ({students} élèves, dont {dropouts} décrocheurs), "
        "{establishments} établissements, {weeks} dates, année(s) {years}. Listes à la capacité "
        "réelle de chaque établissement (entretiens par semaine).",
        "Tested student-weeks: {rows} ({students} students, {dropouts} of whom dropped out), "
        "{establishments} establishments, {weeks} dates, school year(s) {years}. Lists at each "
        "establishment's real capacity (interviews per week).",
    ),
    "summary": ("Synthèse", "Summary"),
    "out_of_band_recall": (
        "Tous types confondus : rapports de rappel dont l'estimation est hors de la bande "
        "{band} (intervalle à 95 % non corrigé ; rapporté, non bloquant)",
        "All kinds pooled: recall ratios whose estimate lies outside the {band} band "
        "(uncorrected 95 % interval; reported, not blocking)",
    ),
    "out_of_band_other": (
        "Autres écarts hors bande (taux de sélection, faux positifs, précision)",
        "Other ratios outside the band (selection rate, false positives, precision)",
    ),
    "none_found": ("aucun", "none"),
    "ci_outside": ("intervalle entier hors bande", "whole interval outside the band"),
    "ci_meets": (
        "l'intervalle touche la bande : peut être du bruit",
        "the interval meets the band: may be noise",
    ),
    "too_small": ("Groupes trop petits pour être jugés", "Groups too small to judge"),
    "too_small_rule": (
        "Un groupe est jugé s'il compte au moins {students} élèves et {positives} décrocheurs "
        "dans au moins {establishments} établissements ; les autres sont signalés, jamais "
        "regroupés avec un autre groupe.",
        "A group is judged when it has at least {students} students and {positives} dropouts "
        "in at least {establishments} establishments; the others are listed, never pooled "
        "with another group.",
    ),
    "proxies_found": ("Variables indirectes (proxys) détectées", "Proxies found"),
    "proxy_line": (
        "{target} : AUC {auc}, portée par {features}",
        "{target}: AUC {auc}, carried by {features}",
    ),
    "gate_pass": (
        "Barrière de promotion : franchie (aucun groupe jugé hors bande pour le rappel, "
        "intervalle corrigé).",
        "Promotion gate: passed (no judged group outside the band on recall, corrected interval).",
    ),
    "gate_rule_holm": (
        "Ce que juge la barrière : le rappel de chaque groupe sensible (sexe, bourse, PCS, "
        "sexe x bourse) rapporté à celui du groupe de référence, tous types d'établissement "
        "confondus et dans chaque type (collège, lycée GT, professionnel, polyvalent). Un "
        "groupe n'est hors bande que si "
        "son intervalle corrigé du nombre de rapports jugés ({tests}) est entièrement hors de "
        "la bande {band} : correction de Holm (risque global {alpha}), niveaux de {level} "
        "pour le premier rapport testé jusqu'à 1 - {alpha} pour le dernier. Les écarts entre "
        "types d'établissement (les lycées professionnels moins repérés à capacité égale, "
        "effet de capacité documenté) sont rapportés ci-dessous, pas jugés.",
        "What the gate judges: the recall of each sensitive group (sex, scholarship, parents' "
        "occupation, sex x scholarship) over that of the reference group, all kinds of "
        "establishment pooled and within each kind (collège, general and technological, "
        "vocational, multi-track lycée). "
        "A group is out of band only when its interval, corrected for the number of ratios "
        "judged ({tests}), lies entirely outside the {band} band: Holm correction (family-wise "
        "error {alpha}), levels from {level} for the first ratio tested to 1 - {alpha} for the "
        "last. Differences between kinds of establishment (vocational lycées caught less at "
        "equal capacity, a documented capacity effect) are reported below, not judged.",
    ),
    "gate_rule_bonferroni": (
        "Ce que juge la barrière : le rappel de chaque groupe sensible (sexe, bourse, PCS, "
        "sexe x bourse) rapporté à celui du groupe de référence, tous types confondus et dans "
        "chaque type d'établissement. "
        "Un groupe n'est hors bande que si son intervalle au niveau {level} (Bonferroni : "
        "1 - {alpha}/{tests} rapports jugés) est entièrement hors de la bande {band}. Les "
        "écarts entre types d'établissement sont rapportés ci-dessous, pas jugés.",
        "What the gate judges: the recall of each sensitive group (sex, scholarship, parents' "
        "occupation, sex x scholarship) over that of the reference group, all kinds pooled "
        "and within each kind of establishment. A group is out of band only when its "
        "interval at level {level} "
        "(Bonferroni: 1 - {alpha}/{tests} ratios judged) lies entirely outside the {band} "
        "band. Differences between kinds of establishment are reported below, not judged.",
    ),
    "across_kinds": (
        "Tous types d'établissement confondus (rapporté, non jugé ; {tests} rapports, même "
        "correction), intervalles corrigés entièrement hors bande :",
        "All kinds of establishment pooled (reported, not judged; {tests} ratios, same "
        "correction), corrected intervals wholly outside the band:",
    ),
    "gate_pooled": (
        "Aucun type d'établissement ne compte assez d'élèves, de décrocheurs et "
        "d'établissements pour juger ses groupes : la barrière juge ici les groupes sensibles "
        "tous types confondus.",
        "No kind of establishment has enough students, dropouts and establishments to judge "
        "its groups: here the gate judges the sensitive groups with all kinds pooled.",
    ),
    "at_level": ("intervalle à {level}", "interval at {level}"),
    "within_kinds": (
        "Les groupes sensibles dans chaque type d'établissement (ce que juge la barrière)",
        "Sensitive groups within each kind of establishment (what the gate judges)",
    ),
    "within_kinds_intro": (
        "Rapport de rappel au groupe de référence du même type d'établissement, avec "
        "l'intervalle à 95 % puis l'intervalle corrigé du nombre de rapports jugés.",
        "Recall ratio to the reference group of the same kind of establishment, with the 95 % "
        "interval, then the interval corrected for the number of ratios judged.",
    ),
    "kind": ("Type d'établissement", "Kind of establishment"),
    "corrected_interval": ("Intervalle corrigé", "Corrected interval"),
    "gate_fail": (
        "Barrière de promotion : bloquée ; une promotion exige une justification "
        "écrite (--override).",
        "Promotion gate: blocked; promotion needs a written justification (--override).",
    ),
    "lists": ("Les listes, groupe par groupe", "The lists, group by group"),
    "lists_intro": (
        "Chaque semaine, chaque établissement reçoit les élèves de plus haut risque, autant "
        "que d'entretiens possibles. Rapport = valeur du groupe / valeur du groupe de "
        "référence (ref.). Intervalles de confiance à 95 % par rééchantillonnage des "
        "établissements.",
        "Each week, each establishment receives its highest-risk students, as many as it can "
        "interview. Ratio = the group's value / the reference group's (ref.). 95 % confidence "
        "intervals from resampling establishments.",
    ),
    "group": ("Groupe", "Group"),
    "students": ("Élèves", "Students"),
    "dropouts": ("Décrocheurs", "Dropouts"),
    "ratio_recall": ("Rapport de rappel", "Recall ratio"),
    "status": ("Statut", "Status"),
    "reference": ("référence", "reference"),
    "calibration": ("Calibration dans chaque groupe", "Calibration within each group"),
    "calibration_intro": (
        "Risque moyen prédit et taux de décrochage observé par groupe jugé ; ECE : écart "
        "moyen entre les deux sur 10 classes de risque.",
        "Mean predicted risk and observed dropout rate per judged group; ECE: mean gap "
        "between them over 10 risk bins.",
    ),
    "explanations": ("Les explications", "The explanations"),
    "explanations_intro": (
        "Contributions SHAP (log-cotes) sur un échantillon de {rows} élèves-semaines testés. "
        "Variables dont la contribution moyenne diffère le plus entre groupes jugés :",
        "SHAP contributions (log-odds) on a sample of {rows} tested student-weeks. Features "
        "whose mean contribution differs most between judged groups:",
    ),
    "feature": ("Variable", "Feature"),
    "family": ("Famille", "Family"),
    "spread": ("Écart", "Spread"),
    "highest": ("Plus haute", "Highest"),
    "lowest": ("Plus basse", "Lowest"),
    "families_intro": (
        "Famille de la première raison qui augmente le risque, par groupe (part des "
        "élèves-semaines) :",
        "Family of the top raising reason, per group (share of student-weeks):",
    ),
    "proxies": ("Variables indirectes d'attributs sensibles", "Proxies of sensitive attributes"),
    "proxies_intro": (
        "Le sexe, la bourse et la PCS des parents ne sont jamais des entrées du modèle. Un "
        "petit classifieur tente de les retrouver à partir des entrées du modèle (AUC validée "
        "par blocs d'élèves) ; au-delà de {threshold}, l'attribut est signalé.",
        "Sex, scholarship and parents' occupation group are never model inputs. A small "
        "classifier tries to recover them from the model's inputs (AUC cross-validated by "
        "student); at {threshold} or above the attribute is flagged.",
    ),
    "target": ("Attribut", "Attribute"),
    "flagged": ("Signalé", "Flagged"),
    "carried_by": ("Porté par", "Carried by"),
    "yes": ("oui", "yes"),
    "no": ("non", "no"),
    "method": ("Méthode", "Method"),
    "method_text": (
        "Modèle : {model}. Seuils : {students} élèves et {positives} décrocheurs par groupe ; "
        "bande {band} ; {n_boot} rééchantillonnages ; graine {seed} ; correction des "
        "intervalles pour le nombre de rapports jugés : {correction}, intervalles percentiles "
        "relus dans les rééchantillonnages au niveau corrigé. Aucune donnée individuelle ne "
        "figure dans ce rapport.",
        "Model: {model}. Thresholds: {students} students and {positives} dropouts per group; "
        "band {band}; {n_boot} resamples; seed {seed}; intervals corrected for the number of "
        "ratios judged: {correction}, percentile intervals read from the resamples at the "
        "corrected level. No individual data appears in this report.",
    ),
    "signature": ("Visa de l'inspection", "Inspector's sign-off"),
    "inspector": ("Nom de l'inspecteur ou de l'inspectrice", "Inspector's name"),
    "date": ("Date", "Date"),
    "decision": ("Décision", "Decision"),
    "approve": ("Listes acceptées", "Lists accepted"),
    "approve_reserve": ("Acceptées avec réserves", "Accepted with reservations"),
    "refuse": ("Refusées", "Refused"),
    "comments": ("Observations", "Comments"),
    "sign": ("Signature", "Signature"),
    "figure_recall": (
        "Rapport de rappel par groupe (bande grisée : {band})",
        "Recall ratio per group (shaded band: {band})",
    ),
    "figure_selection": ("Taux de sélection par groupe", "Selection rate per group"),
    "figure_calibration": ("Risque prédit et taux observé", "Predicted risk and observed rate"),
    "figure_proxies": (
        "AUC de détection des attributs sensibles",
        "AUC of recovering each sensitive attribute",
    ),
    "figure_families": ("Famille de la première raison", "Family of the top reason"),
    "predicted": ("risque moyen prédit", "mean predicted risk"),
    "observed": ("taux observé", "observed rate"),
}

METRIC_LABELS: dict[str, tuple[str, str]] = {
    "selection_rate": ("Taux de sélection", "Selection rate"),
    "recall": ("Rappel", "Recall"),
    "false_positive_rate": ("Taux de faux positifs", "False-positive rate"),
    "precision": ("Précision", "Precision"),
    "false_discovery_rate": ("Taux de fausses alertes", "False-discovery rate"),
    "mean_predicted": ("Risque prédit", "Predicted risk"),
    "observed_rate": ("Taux observé", "Observed rate"),
    "ece": ("ECE", "ECE"),
}

STATUS_LABELS: dict[str, tuple[str, str]] = {
    "reference": ("référence", "reference"),
    "too_small": ("trop petit pour juger", "too small to judge"),
    "undefined": ("non défini", "undefined"),
    "within_band": ("dans la bande", "within the band"),
    "out_of_band": ("hors bande", "out of band"),
    "within_band_corrected": (
        "hors bande en estimation, intervalle corrigé dans la bande",
        "estimate out of band, corrected interval meets the band",
    ),
}

FAMILY_LABELS: dict[str, tuple[str, str]] = {
    "attendance": ("assiduité", "attendance"),
    "grades": ("notes", "grades"),
    "exams_and_path": ("examens et parcours", "exams and path"),
    "context": ("contexte", "context"),
    "none": ("aucune", "none"),
}


def text(key: str, language: str, **values: object) -> str:
    """The sentence `key` in `language` ("fr" or "en"), with `values` filled in."""
    french, english = _TEXT[key]
    return (french if language == "fr" else english).format(**values)


def label(table: dict[str, tuple[str, str]], key: str, language: str) -> str:
    pair = table.get(key, (key, key))
    return pair[0] if language == "fr" else pair[1]
