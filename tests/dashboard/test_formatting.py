"""Words and numbers as the pages write them: numbers in the page's language, no code and no
missing value printed by Python, the risk named with its horizon, the waterfall in
probability."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from app_dashboard.charts import waterfall_chart
from app_dashboard.formatting import (
    MISSING,
    day,
    integer,
    is_missing,
    mark,
    number,
    percent,
    percent_interval,
    points,
)
from app_dashboard.tables import audit_frame, exams_frame, grades_frame
from app_dashboard.wording import LABELS, metric_label, text, vocabulary
from features.contract import CODES
from features.labels import HORIZON_WEEKS
from models.contributions import BASE_VALUE
from serving.services.dashboard_explain import waterfall_frame

NNBSP = "\u202f"


def test_numbers_follow_the_language() -> None:
    assert percent(0.518, "fr") == f"51,8{NNBSP}%" and percent(0.518, "en") == "51.8%"
    assert percent(0.4033, "en") == "40.3%" and percent(1.0, "fr", digits=0) == f"100{NNBSP}%"
    assert mark(3.5, "fr") == "3,5/20" and mark(3.5, "en") == "3.5/20"
    assert integer(2000, "fr") == f"2{NNBSP}000" and integer(2000, "en") == "2,000"
    assert number(-1234.5, "fr", 1) == f"\u22121{NNBSP}234,5" and number(-1234.5, "en", 1) == (
        "-1,234.5"
    )
    assert number(-0.0001, "en") == "0.00"  # no "-0.00"
    assert points(0.032, "fr") == f"+3,2{NNBSP}pts" and points(-0.05, "en") == f"-5.0{NNBSP}pts"
    assert percent_interval(0.1, 0.05, None, "en") == "10.0% [5.0, —]"
    assert day(dt.date(2026, 11, 30), "en") == "30/11/2026"


@pytest.mark.parametrize("missing", [None, math.nan, np.float64("nan"), pd.NA, pd.NaT])
def test_a_missing_value_is_a_dash_never_none_or_nan(missing: object) -> None:
    assert is_missing(missing)
    for language in ("fr", "en"):
        for shown in (
            number(missing, language),
            percent(missing, language),
            points(missing, language),
            mark(missing, language),
            integer(missing, language),
            day(missing, language),
            vocabulary("subject", missing, language),
        ):
            assert shown == MISSING
    assert not is_missing(0) and not is_missing("") and not is_missing("None of it")


def test_the_risk_is_named_with_its_horizon_in_both_languages() -> None:
    for key in ("risk_now", "col_risk", "csv_risk", "waterfall_axis"):
        french, english = LABELS[key]
        assert f"{HORIZON_WEEKS} semaines" in french, key
        assert f"{HORIZON_WEEKS} weeks" in english, key
    assert "cette semaine" not in text("risk_now", "fr")


@pytest.mark.parametrize("kind", ["level", "track", "exam", "exam_result"])
def test_every_code_of_the_data_contract_has_words(kind: str) -> None:
    codes = CODES[kind]
    for code in codes:
        for language in ("fr", "en"):
            assert "_" not in vocabulary(kind, code, language), (kind, code)
    assert vocabulary("level", "Tle_pro", "fr") == "terminale professionnelle"


def test_subjects_read_as_names_and_an_unknown_code_loses_its_underscores() -> None:
    assert vocabulary("subject", "economie_gestion", "fr") == "économie-gestion"
    assert vocabulary("subject", "prevention_sante_environnement", "en") == (
        "health, safety and environment"
    )
    assert vocabulary("subject", "atelier_theatre", "fr") == "atelier theatre"


def test_metric_keys_have_headers() -> None:
    assert metric_label("brier", "fr") == "Score de Brier"
    assert metric_label("ece", "en") == "Calibration error (ECE)"
    assert metric_label("fairness.judged_groups", "fr") == "Groupes jugés (équité)"
    assert metric_label("fairness.new_count", "en") == "new count"  # no dotted key shown


def test_grades_exams_and_audit_tables_show_no_code() -> None:
    grades = pd.DataFrame(
        {"period": [1, 2], "subject": ["economie_gestion", "francais"], "mean": [3.5, None],
         "marks": [4, 0]}
    )  # fmt: skip
    shown = grades_frame(grades, "fr")
    assert list(shown.columns) == ["Période", "Matière", "Moyenne /20", "Notes"]
    assert shown.iloc[0].tolist() == ["1", "économie-gestion", "3,5/20", "4"]
    assert shown.iloc[1].tolist() == ["2", "français", MISSING, "0"]
    exams = pd.DataFrame(
        {"date": [pd.Timestamp("2026-07-03")], "exam": ["bac_pro"], "result": ["fail"],
         "score": [np.nan]}
    )  # fmt: skip
    assert exams_frame(exams, "en").iloc[0].tolist() == [
        "03/07/2026", "vocational baccalauréat", "failed", MISSING,
    ]  # fmt: skip
    entries = pd.DataFrame(
        {"id": [1], "at": [pd.Timestamp("2026-11-30 08:01:02")], "username": [None],
         "role": ["data_scientist"], "action": ["read_student_events"], "outcome": ["denied"],
         "student_id": [None], "uai": ["0350023K"], "model_version": [None], "detail": ["x"]}
    )  # fmt: skip
    audit = audit_frame(entries, "fr")
    assert audit.iloc[0].tolist() == [
        "30/11/2026 08:01:02", MISSING, "science des données", "lecture des absences et notes",
        "refusé", MISSING, "0350023K", MISSING, "x",
    ]  # fmt: skip
    assert "id" not in audit.columns


def test_the_waterfall_speaks_in_probability_from_the_reference_to_the_students_risk() -> None:
    # The one code path: the service's steps (risk_start, risk_end, points, signal), drawn
    # as they are; the dashboard computes no probability of its own.
    base = -2.0
    row = pd.Series({"lates_4w": 1.5, "level": 0.4, "grade_mean_ytd": -0.5, BASE_VALUE: base})
    values = pd.Series({"lates_4w": 6.0, "level": "2nde", "grade_mean_ytd": 13.0})
    shown = waterfall_frame(row, values, top=10, calibrate=expit)
    assert shown["risk_start"].iloc[0] == pytest.approx(expit(base))
    assert shown["risk_end"].iloc[-1] == pytest.approx(expit(base + 1.4))
    # The steps chain, and add up to the student's risk minus the reference risk.
    assert shown["risk_start"].iloc[1] == pytest.approx(shown["risk_end"].iloc[0])
    assert shown["points"].sum() == pytest.approx(expit(base + 1.4) - expit(base))
    assert list(shown["signal"]) == ["own", "own", "context"]
    titles = {"base": "Risque de référence", "axis": "Risque à 26 semaines",
              "effect": "Effet (points)", "indicator": "Indicateur"}  # fmt: skip
    spec = waterfall_chart(shown, float(expit(base)), "label_fr", titles).to_dict()
    bars = spec["layer"][0]["encoding"]
    assert bars["x"]["field"] == "risk_start" and bars["x2"]["field"] == "risk_end"
    assert bars["x"]["title"] == "Risque à 26 semaines" and bars["x"]["axis"]["format"] == "%"
    assert "log-odds" not in str(spec)
    # Own signals red (raise) or blue (lower); the context grey, apart from the reasons.
    data = next(iter(spec["datasets"].values()))
    assert [d["direction"] for d in data] == ["+", "−", "context"]
    assert bars["color"]["scale"]["range"][2] == "#9aa5b1"


def test_reasons_dashboard_and_fairness_report_write_numbers_through_one_module() -> None:
    from models.reason_wording import context_text, format_percent, format_value, weight_text
    from training.fairness.report import _bounds, _interval
    from wording import numbers

    assert percent is numbers.percent and number is numbers.number  # the dashboard's layer
    # One « % » in French: the narrow no-break space, in the reasons as on the pages.
    assert format_percent(0.518, "fr") == percent(0.518, "fr") == "51,8\u202f%"
    assert format_percent(0.518, "en") == percent(0.518, "en") == "51.8%"
    assert format_value("unjustified_absence_rate_4w", 0.23, "fr") == "23\u202f%"
    for sentence in (weight_text(0.123, 0.19, "fr"), context_text(0.057, 0.256, "fr")):
        assert "\u202f%" in sentence and "\u00a0%" not in sentence
    # The fairness report: the report's language, a dash when missing.
    row = pd.Series({"recall": 0.123, "recall_low": 0.101, "recall_high": None})
    assert _interval(row, "recall", "fr") == (
        "12,3\u202f% <span class=small>[10,1\u202f% ; —]</span>"
    )
    assert _interval(row, "recall", "en") == "12.3% <span class=small>[10.1%, —]</span>"
    assert (
        _bounds(0.8, 1.25, "fr") == "[0,80 ; 1,25]" and _bounds(0.8, 1.25, "en") == "[0.80, 1.25]"
    )
    with pytest.raises(ValueError, match="language"):
        numbers.percent(0.5, "de")


def test_the_audit_details_written_by_the_services_read_in_both_languages() -> None:
    entries = pd.DataFrame(
        {"at": [pd.Timestamp("2026-11-30 08:01:02")] * 5, "username": ["a"] * 5,
         "role": ["admin"] * 5,
         "action": ["write_week_lists", "read_list", "add_user", "update_interview", "login"],
         "outcome": ["allowed"] * 5,
         "detail": [
             "by vigie score (OS user ops); week 2026-11-30: 3 establishments, 1200 entries "
             "(6 to invite, 30 to watch, 4 in follow-up); follow-up rule: held 6 weeks, "
             "dismissed 4 weeks, risk margin 0.1",
             "week 2026-11-30, 24 students", "cpe.lycee as watch_unit",
             "interview 3: invited -> held", None,
         ]}
    )  # fmt: skip
    french = audit_frame(entries, "fr")["Détail"].tolist()
    assert french == [
        "par vigie score (utilisateur système ops) ; semaine du 30/11/2026 : 3 établissements, "
        "1\u202f200 élèves (6 à inviter, 30 à surveiller, 4 en suivi) ; suivi : 6 semaines "
        "après un entretien, 4 après un écart, retour au-delà de 10 points de hausse",
        "semaine du 30/11/2026, 24 élèves",
        "cpe.lycee, rôle cellule de veille",
        "entretien 3 : invité → entretien tenu",
        MISSING,
    ]
    english = audit_frame(entries, "en")["Detail"].tolist()
    assert english[1:4] == [
        "week of 30/11/2026, 24 students", "cpe.lycee, role watch unit",
        "interview 3: invited → held",
    ]  # fmt: skip
    assert "1,200 students" in english[0]
    # No raw code on either page: no store status, role or ISO date left.
    for cell in french + english:
        assert not any(code in cell for code in ("watch_unit", "2026-11-30", " -> "))


def test_the_audit_logs_own_purge_reads_in_both_languages() -> None:
    from app_dashboard.audit_wording import audit_detail
    from serving.db.audit_chain import PURGE_ACTION, checkpoint_detail

    detail = checkpoint_detail(1500, dt.date(2025, 12, 4), 1502, "ab" * 32)
    assert audit_detail(PURGE_ACTION, detail, "fr") == (
        "journal d'audit : 1\u202f500 entrées antérieures au 04/12/2025 supprimées, jusqu'à "
        f"l'entrée 1502 (empreinte {'ab' * 32})"
    )
    assert audit_detail(PURGE_ACTION, detail, "en").startswith(
        "audit log: 1,500 entries before 04/12/2025 removed, up to entry 1502"
    )
    assert vocabulary("action", PURGE_ACTION, "fr") == "purge du journal d'audit"


def test_model_aliases_read_as_words() -> None:
    from app_dashboard.wording import aliases_text

    assert aliases_text(["champion"], "fr") == "en service (champion)"
    assert aliases_text(["challenger"], "en") == "candidate (challenger)"
    assert aliases_text([], "fr") == MISSING
    assert vocabulary("alias", "12", "fr") == "12"  # a version number stays itself
