"""The fairness audit's tables read as an inspector reads them, in French and in English:
no raw column name, each rate with its interval in one cell, groups and features by name."""

from __future__ import annotations

import math

from app_dashboard.fairness_tables import (
    disparities_table,
    explanation_differences_table,
    interval,
    metrics_table,
    number,
    out_of_band_table,
    percent_interval,
    performance_table,
    proxies_table,
    reason_families_table,
    training_data_table,
)

GROUP_METRICS = [
    {"grouping": "sex", "group": "F", "students": 500, "positive_students": 40, "judged": True,
     "recall": 0.4, "recall_low": 0.3, "recall_high": 0.5, "precision": 0.12,
     "precision_low": 0.08, "precision_high": 0.16},
    {"grouping": "priority_zone", "group": "REP+", "students": 12, "positive_students": 1,
     "judged": False, "recall": math.nan, "recall_low": math.nan, "recall_high": math.nan},
]  # fmt: skip


def test_numbers_and_intervals_follow_the_language() -> None:
    assert number(0.2849, "fr") == "0,28" and number(0.2849, "en") == "0.28"
    assert number(None, "fr") == number(math.nan, "en") == "—"
    assert interval(0.28, 0.2, 0.36, "fr") == "0,28 [0,20 ; 0,36]"
    assert interval(0.28, 0.2, 0.36, "en") == "0.28 [0.20, 0.36]"
    assert interval(math.nan, 0.1, 0.2, "en") == "—"
    assert percent_interval(0.0123, 0.011, 0.0135, "fr") == "1,2\u202f% [1,1 ; 1,4]"
    assert percent_interval(0.0123, 0.011, 0.0135, "en") == "1.2% [1.1, 1.4]"
    assert percent_interval(math.nan, None, None, "en") == "—"


def test_the_metrics_table_names_groups_and_puts_each_rate_with_its_interval() -> None:
    french = metrics_table(GROUP_METRICS, "fr")
    assert list(french.columns) == ["Regroupement", "Groupe", "Élèves", "Décrocheurs",
                                    "Trop petit pour juger", "Rappel", "Précision"]  # fmt: skip
    assert (
        french.loc[0, "Groupe"] == "filles"
        and french.loc[0, "Rappel"] == "40,0\u202f% [30,0 ; 50,0]"
    )
    assert french.loc[1, "Trop petit pour juger"] == "oui" and french.loc[1, "Rappel"] == "—"
    assert french.loc[0, "Trop petit pour juger"] == "non"
    english = metrics_table(GROUP_METRICS, "en")
    assert english.loc[0, "Group"] == "girls" and english.loc[0, "Recall"] == "40.0% [30.0, 50.0]"


def test_no_table_shows_a_raw_field_name() -> None:
    tables = [
        metrics_table(GROUP_METRICS, "en"),
        disparities_table(
            [
                {
                    "grouping": "sex",
                    "group": "F",
                    "metric": "recall",
                    "reference": "M",
                    "ratio": 1.19,
                    "ratio_low": 1.03,
                    "ratio_high": 1.37,
                    "status": "within_band",
                }
            ],
            "en",
        ),
        explanation_differences_table(
            [
                {
                    "grouping": "sex",
                    "feature": "lates_ytd",
                    "family": "attendance",
                    "spread": 0.05,
                    "highest_group": "M",
                    "highest": 0.02,
                    "lowest_group": "F",
                    "lowest": -0.03,
                }
            ],
            "en",
        ),
        proxies_table(
            [
                {
                    "target": "scholarship_holder",
                    "rows": 20000,
                    "positive_share": 0.26,
                    "auc": 0.62,
                    "flagged": False,
                    "carried_by": "grade_mean_ytd, priority_zone",
                }
            ],
            "en",
        ),
        reason_families_table(
            [{"grouping": "sex", "group": "F", "family": "attendance", "share": 0.6, "rows": 90}],
            "en",
        ),
    ]
    for table in tables:
        assert not any("_" in str(column) for column in table.columns), table.columns
        assert not any(str(value).count("_") for value in table.to_numpy().ravel())
    disparities, differences, proxies = tables[1], tables[2], tables[3]
    assert disparities.loc[0, "Verdict"] == "within the band"
    assert disparities.loc[0, "Ratio [95% CI]"] == "1.19 [1.03, 1.37]"
    assert differences.loc[0, "Highest contribution"] == "boys (0.02)"
    assert proxies.loc[0, "Sensitive attribute"] == "Scholarship holder"


def test_the_model_card_tables_read_as_sentences() -> None:
    models = {
        "lightgbm": {"precision@k": 0.129, "precision@k_low": 0.115, "precision@k_high": 0.143,
                     "roc_auc": 0.8971},
        "rule_abc": {"precision@k": 0.051, "precision@k_low": 0.044, "precision@k_high": 0.058},
    }  # fmt: skip
    performance = performance_table(models, "fr")
    assert list(performance["Modèle"]) == [
        "LightGBM (modèle en service)", "Règle ABC (absences, comportement, notes)"
    ]  # fmt: skip
    assert performance.loc[0, "Précision à la capacité"] == "12,9\u202f% [11,5 ; 14,3]"
    assert performance.loc[0, "ROC-AUC"] == "0,897"
    gate = out_of_band_table([{"grouping": "track", "group": "vocational", "reference": "college",
                               "metric": "recall", "ratio": 0.64, "ratio_low": 0.52,
                               "ratio_high": 0.78, "ci_outside_band": True}], "en")  # fmt: skip
    assert gate.iloc[0].tolist()[1:] == ["vocational", "Recall", "collège", "0.64 [0.52, 0.78]",
                                          "yes"]  # fmt: skip
    data = training_data_table({"cv": "temporal", "data_sha256": "7c27", "lr": "0.02"}, "fr")
    assert data.to_dict("records") == [
        {"Élément": "Empreinte de l'extraction (SHA-256)", "Valeur": "7c27"},
        {"Élément": "Évaluation", "Valeur": "temporelle (années suivantes)"},
    ]
