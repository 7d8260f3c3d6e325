"""Reasons as sentences: number formatting, wording, selection and reference points (pure)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from features.catalog import CATEGORIES, FEATURE_CATALOG
from models.reason_wording import (
    CATEGORY_WORDS,
    STATEMENTS,
    format_number,
    format_value,
    reason_text,
    statement_text,
)
from models.reasons import (
    REASON_COLUMNS,
    lookup_references,
    reasons_frame,
    reference_medians,
    select_reasons,
)

NBSP, NNBSP = "\u00a0", "\u202f"


def test_french_numbers_use_a_decimal_comma_and_thin_spaces() -> None:
    assert format_number(1234.56, "fr") == f"1{NNBSP}234,6"
    assert format_number(1234.56, "en") == "1,234.6"
    assert format_number(7.0, "fr") == "7"
    assert format_number(-2.34, "fr") == "\u22122,3"
    assert format_number(-2.34, "en") == "-2.3"
    assert format_number(3, "fr", signed=True) == "+3"
    assert format_number(-0.04, "fr", signed=True) == "0"  # never "-0" nor "+0"
    with pytest.raises(ValueError):
        format_number(math.nan, "fr")
    with pytest.raises(ValueError):
        format_number(1, "de")  # type: ignore[arg-type]


def test_values_carry_the_catalog_unit() -> None:
    assert format_value("unjustified_absence_rate_4w", 0.234, "fr") == f"23{NBSP}%"
    assert format_value("unjustified_absence_rate_4w", 0.234, "en") == "23%"
    assert format_value("unjustified_absence_rate_4w", 0.004, "fr") == f"0,4{NBSP}%"
    assert format_value("grade_mean_ytd", 7.46, "fr") == "7,5/20"
    assert format_value("grade_mean_change_period", -1.26, "fr") == "\u22121,3"
    assert format_value("unjustified_absence_trend_4w", 3, "en") == "+3"
    assert format_value("unjustified_absences_4w", 1.5, "fr") == "1,5"  # a median


def test_the_example_of_the_issue_reads_as_written() -> None:
    fr = reason_text("unjustified_absences_4w", 9.0, 1.0, "establishment", "fr")
    assert fr == (
        "9 demi-journées d'absence non justifiées sur les 4 dernières semaines "
        f"(médiane de l'établissement{NBSP}: 1)"
    )
    en = reason_text("unjustified_absences_4w", 9.0, 1.0, "establishment", "en")
    assert en == "9 unjustified absent half-days in the last 4 weeks (establishment median: 1)"
    academie = reason_text("unjustified_absences_4w", 9.0, 0.5, "academie", "en")
    assert academie.endswith("(académie median: 0.5)")


def test_counts_agree_in_number() -> None:
    assert statement_text("lates_4w", 1.0, "fr").startswith("1 retard sur")
    assert statement_text("lates_4w", 0.0, "fr").startswith("0 retard sur")  # French 0: singular
    assert statement_text("lates_4w", 2.0, "fr").startswith("2 retards sur")
    assert statement_text("lates_4w", 1.0, "en").startswith("1 late arrival in")
    assert statement_text("lates_4w", 0.0, "en").startswith("0 late arrivals in")
    assert statement_text("repeated_years", 1.0, "fr") == "1 redoublement"


def test_missing_and_categorical_values_are_worded() -> None:
    assert statement_text("grade_mean_current_period", math.nan, "fr") == (
        "Aucune note cette année scolaire"
    )
    assert statement_text("weeks_since_last_failed_exam", math.nan, "en") == "No failed exam"
    assert statement_text("track", "vocational", "fr") == f"Voie{NBSP}: professionnelle"
    assert statement_text("track", "vocational", "en") == "Track: vocational"
    assert statement_text("track", None, "fr") == f"Voie{NBSP}: non renseigné"
    assert statement_text("priority_zone", "rep_plus", "en") == (
        "Establishment in reinforced priority education (REP+)"
    )
    assert statement_text("grade_mean_ytd", 12.0, "fr") == (
        f"Moyenne générale depuis la rentrée{NBSP}: 12/20"
    )
    # A missing value has no reference to compare with.
    assert reason_text("grade_mean_ytd", math.nan, math.nan, None, "fr") == (
        "Aucune note cette année scolaire"
    )


def test_age_for_level_reads_behind_ahead_or_on_time() -> None:
    assert statement_text("age_for_level", 2.0, "fr") == (
        "2 ans de retard sur l'âge habituel du niveau"
    )
    assert statement_text("age_for_level", -1.0, "en") == (
        "1 year younger than the usual age for the level"
    )
    assert statement_text("age_for_level", 0.0, "fr") == "À l'âge habituel du niveau"


def test_every_catalog_feature_and_category_is_worded_in_both_languages() -> None:
    assert {spec.name for spec in FEATURE_CATALOG} <= set(STATEMENTS)
    for name, codes in CATEGORIES.items():
        assert set(codes) <= set(CATEGORY_WORDS[name])
    for spec in FEATURE_CATALOG:
        value = CATEGORIES[spec.name][0] if spec.kind == "categorical" else 3.0
        for language in ("fr", "en"):
            for shown in (value, None if spec.kind == "categorical" else math.nan):
                text = statement_text(spec.name, shown, language)
                assert text and "{" not in text and "nan" not in text.lower()


def test_select_reasons_splits_raising_and_protective_by_size() -> None:
    matrix = np.array([
        [0.50, -0.20, 0.10, 0.004, -0.30, 0.0],
        [-0.10, -0.05, 0.0, 0.0, 0.0, 0.0],
    ])  # fmt: skip
    chosen = select_reasons(matrix, top=2, protective=1, min_share=0.01)
    assert chosen.row.tolist() == [0, 0, 0, 1]
    assert chosen.column.tolist() == [0, 2, 4, 0]
    assert chosen.kind.tolist() == ["why", "why", "protective", "protective"]
    assert chosen.rank.tolist() == [1, 2, 1, 1]
    total = np.abs(matrix[0]).sum()
    np.testing.assert_allclose(chosen.share[:3], [0.5 / total, 0.1 / total, 0.3 / total])
    # The 0.004 contribution (0.4 % of the row) is never a reason, even with a larger top.
    wide = select_reasons(matrix, top=5, min_share=0.01)
    assert 3 not in wide.column[wide.row == 0].tolist()
    assert select_reasons(matrix, top=0, protective=0).row.size == 0
    with pytest.raises(ValueError):
        select_reasons(matrix, top=-1)


def _frame() -> pd.DataFrame:
    """25 students of a large establishment and 3 of a small one, one as-of date."""
    as_of = pd.Timestamp(dt.date(2026, 3, 16))
    big = pd.DataFrame({
        "student_id": [f"B{i:02d}" for i in range(25)], "as_of": as_of, "uai": "0350001A",
        "unjustified_absences_4w": [1.0] * 20 + [9.0, 9.0, 9.0, 9.0, 9.0],
        "establishment_unjustified_absence_rate_4w": 0.05,
        "track": "general",
    })  # fmt: skip
    small = pd.DataFrame({
        "student_id": ["S0", "S1", "S2"], "as_of": as_of, "uai": "0350002B",
        "unjustified_absences_4w": [8.0, 8.0, np.nan],
        "establishment_unjustified_absence_rate_4w": 0.20,
        "track": ["vocational", "vocational", None],
    })  # fmt: skip
    return pd.concat([big, small], ignore_index=True)


NAMES = ["unjustified_absences_4w", "establishment_unjustified_absence_rate_4w", "track"]


def test_references_are_establishment_medians_or_the_academie_for_small_ones() -> None:
    frame = _frame()
    references = reference_medians(frame, NAMES, min_peers=20)
    assert list(references.academie.columns) == NAMES[:2]  # categorical: no median
    rows = [0, 25, 0, 0]
    features = np.array([NAMES[0], NAMES[0], NAMES[1], NAMES[2]], dtype=object)
    values, scopes = lookup_references(
        references, frame["as_of"].iloc[rows], frame["uai"].iloc[rows], features
    )
    # Big establishment: its own median (1); small one: all 27 known values (median 1);
    # an establishment-level feature: the académie's median over the 28 rows; categorical: none.
    assert values[0] == 1.0 and scopes[0] == "establishment"
    assert values[1] == 1.0 and scopes[1] == "academie"
    assert values[2] == pytest.approx(0.05) and scopes[2] == "academie"
    assert math.isnan(values[3]) and scopes[3] is None
    # Without keys, every row is one group.
    alone = reference_medians(frame.drop(columns=["as_of", "uai"]), NAMES)
    assert alone.academie.iloc[0][NAMES[0]] == 1.0


def test_reasons_frame_words_the_largest_contributions_of_each_row() -> None:
    frame = _frame().iloc[[20, 25, 27]].reset_index(drop=True)
    references = reference_medians(_frame(), NAMES, min_peers=20)
    contributions = pd.DataFrame({
        NAMES[0]: [0.8, 0.6, -0.1], NAMES[1]: [-0.1, 0.2, 0.0], NAMES[2]: [0.0, 0.3, 0.2],
        "base_value": [-3.0, -3.0, -3.0],
    })  # fmt: skip
    risk = np.array([0.1, 0.2, 0.05])
    out = reasons_frame(frame, contributions, risk, references, top=2, language="en",
                        key_columns=("student_id", "as_of", "uai"))  # fmt: skip
    assert list(out.columns) == ["student_id", "as_of", "uai", *REASON_COLUMNS]
    first = out[out["student_id"] == "B20"]
    assert first["kind"].tolist() == ["why", "protective"]
    assert first["text_fr"].iloc[0] == (
        "9 demi-journées d'absence non justifiées sur les 4 dernières semaines "
        f"(médiane de l'établissement{NBSP}: 1)"
    )
    assert first["direction"].tolist() == ["raises", "lowers"]
    assert first["raw_score"].iloc[0] == pytest.approx(-2.3)
    assert first["share"].iloc[0] == pytest.approx(0.8 / 0.9)
    second = out[out["student_id"] == "S0"]
    assert second["feature"].tolist() == [NAMES[0], NAMES[2]]
    assert second["text"].tolist() == [
        "8 unjustified absent half-days in the last 4 weeks (académie median: 1)",
        "Track: vocational",
    ]
    third = out[out["student_id"] == "S2"]
    assert third["text_fr"].tolist() == [f"Voie{NBSP}: non renseigné",
                                         f"Demi-journées d'absence non justifiées (4 sem.){NBSP}: "
                                         "non renseigné"]  # fmt: skip
    assert (out["text"] == out["text_en"]).all()
    assert (out.loc[out["kind"] == "why", "contribution"] > 0).all()
    assert (out.loc[out["kind"] == "protective", "contribution"] < 0).all()


def test_an_establishment_without_any_value_is_compared_with_the_academie() -> None:
    frame = _frame().assign(grade_mean_ytd=[np.nan] * 25 + [9.0, 11.0, 13.0])
    references = reference_medians(frame, ["grade_mean_ytd"], min_peers=20)
    values, scopes = lookup_references(
        references, frame["as_of"].iloc[[0]], frame["uai"].iloc[[0]],
        np.array(["grade_mean_ytd"], dtype=object),
    )  # fmt: skip
    assert values.tolist() == [11.0] and scopes.tolist() == ["academie"]
