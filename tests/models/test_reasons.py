"""Reasons as sentences: number formatting, wording, selection and reference points (pure)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from features.catalog import CATEGORIES, DIRECTIONS, FEATURE_CATALOG, context_features
from models.reason_wording import (
    CATEGORY_WORDS,
    STATEMENTS,
    context_text,
    format_number,
    format_points,
    format_value,
    reason_text,
    statement_text,
    weight_text,
)
from models.reasons import (
    REASON_COLUMNS,
    context_weight,
    eligible_cells,
    reasons_frame,
    reference_matrix,
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
    assert format_value("unjustified_absence_rate_4w", 0.234, "fr") == f"23{NNBSP}%"
    assert format_value("unjustified_absence_rate_4w", 0.234, "en") == "23%"
    assert format_value("unjustified_absence_rate_4w", 0.004, "fr") == f"0,4{NNBSP}%"
    assert format_value("grade_mean_ytd", 7.46, "fr") == "7,5/20"
    assert format_value("grade_mean_change_period", -1.26, "fr") == "\u22121,3"
    assert format_value("unjustified_absence_trend_4w", 3, "en") == "+3"
    assert format_value("unjustified_absences_4w", 1.5, "fr") == "1,5"  # a median


def test_a_reason_has_one_comparison_with_the_class_or_the_level() -> None:
    fr = reason_text("unjustified_absences_4w", 9.0, 1.0, "class", "fr")
    assert fr == (
        "9 demi-journées d'absence non justifiées sur les 4 dernières semaines "
        f"(médiane de sa classe{NBSP}: 1)"
    )
    en = reason_text("unjustified_absences_4w", 9.0, 1.0, "class", "en")
    assert en == "9 unjustified absent half-days in the last 4 weeks (class median: 1)"
    level = reason_text("grade_mean_ytd", 3.5, 11.0, "level", "fr", "2nde_pro")
    assert level == (
        f"Moyenne générale depuis la rentrée{NBSP}: 3,5/20 "
        f"(médiane des élèves de seconde professionnelle{NBSP}: 11/20)"
    )
    assert reason_text("grade_mean_ytd", 3.5, 11.0, "level", "en", "Tle").endswith(
        "(median of the students in terminale: 11/20)"
    )
    with pytest.raises(ValueError, match="scope"):
        reason_text("grade_mean_ytd", 3.5, 11.0, "establishment", "en")


def test_the_gap_to_the_class_is_its_own_comparison() -> None:
    # The issue's "−2 notes … par rapport à la médiane de la classe (médiane de
    # l'établissement : 0)": one comparison only, read by its sign.
    assert statement_text("assessments_8w_vs_class_median", -2.0, "fr") == (
        "2 notes de moins que la médiane de sa classe sur les 8 dernières semaines"
    )
    assert statement_text("assessments_8w_vs_class_median", 1.0, "en") == (
        "1 mark more than the class median in the last 8 weeks"
    )
    assert statement_text("assessments_8w_vs_class_median", 0.0, "fr").startswith("Autant")


def test_weights_read_in_probability_points_against_the_risk_without() -> None:
    assert format_points(0.19511, "fr") == "+19,5 points"
    assert format_points(-0.01, "fr") == "\u22121 point"
    assert format_points(-0.01, "en") == "-1 point"
    assert format_points(0.0001, "en") == "< 0.1 points"
    assert weight_text(0.19511, 0.18243, "fr") == (
        f"+19,5 points de risque (18,2{NNBSP}% sans ce signal)"
    )
    assert weight_text(0.19511, 0.18243, "en") == "+19.5 points of risk (18.2% without this signal)"
    assert context_text(0.08, 0.23, "fr") == (
        f"Contexte (niveau, voie, établissement){NBSP}: +8 points de risque "
        f"(23{NNBSP}% sans le contexte)"
    )


def test_counts_agree_in_number() -> None:
    assert statement_text("lates_4w", 1.0, "fr").startswith("1 retard sur")
    assert statement_text("lates_4w", 0.0, "fr").startswith("0 retard sur")  # French 0: singular
    assert statement_text("lates_4w", 2.0, "fr").startswith("2 retards sur")
    assert statement_text("lates_4w", 1.0, "en").startswith("1 late arrival in")
    assert statement_text("lates_4w", 0.0, "en").startswith("0 late arrivals in")
    assert statement_text("repeated_years", 1.0, "fr") == "1 redoublement dans sa scolarité"


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




# --- hand-made students -----------------------------------------------------------------------

NAMES = [
    "unjustified_absences_4w", "grade_mean_ytd", "grade_mean_change_year", "track",
    "establishment_unjustified_absence_rate_4w",
]  # fmt: skip
BASE = -2.0


def _students() -> pd.DataFrame:
    """Class A: 12 students of 3e (A10 missed 1 half-day, A11 is an absentee with low marks
    that rose since last year); class B: 3 students of 3e, too few for a class median."""
    as_of = pd.Timestamp(dt.date(2026, 3, 16))
    a = pd.DataFrame({
        "student_id": [f"A{i:02d}" for i in range(12)], "class_id": "3A",
        "unjustified_absences_4w": [0.0] * 10 + [1.0, 12.0],
        "grade_mean_ytd": [12.0] * 11 + [6.0],
        "grade_mean_change_year": [0.0] * 11 + [2.6],
    })  # fmt: skip
    b = pd.DataFrame({
        "student_id": ["B0", "B1", "B2"], "class_id": "3B",
        "unjustified_absences_4w": [2.0, 4.0, 6.0],
        "grade_mean_ytd": [10.0, 10.0, np.nan],
        "grade_mean_change_year": [0.0, 0.0, np.nan],
    })  # fmt: skip
    frame = pd.concat([a, b], ignore_index=True)
    return frame.assign(as_of=as_of, uai="0350001A", level="3e", track="college",
                        establishment_unjustified_absence_rate_4w=0.05)  # fmt: skip


def _contributions(frame: pd.DataFrame) -> pd.DataFrame:
    table = pd.DataFrame(0.0, index=frame.index, columns=[*NAMES, "base_value"])
    table["base_value"] = BASE
    by_id = dict(zip(frame["student_id"], frame.index, strict=True))
    # The absentee: absences, low marks, a rise of marks that the model (wrongly) counts
    # against her, and context (track, establishment) pushing both ways.
    table.loc[by_id["A11"], NAMES] = [1.2, 0.6, 0.5, 0.9, -0.2]
    table.loc[by_id["A00"], NAMES] = [-0.3, -0.2, 0.1, -0.4, 0.0]
    table.loc[by_id["A10"], NAMES] = [-0.3, 0.0, 0.0, 0.0, 0.0]  # 1 absence: not protective
    table.loc[by_id["B0"], NAMES] = [0.7, 0.0, 0.0, 0.0, 0.0]
    return table


def _reasons(language: str = "fr") -> pd.DataFrame:
    frame = _students()
    contributions = _contributions(frame)
    raw = contributions.sum(axis=1).to_numpy()
    return reasons_frame(frame, contributions, expit(raw), reference_medians(frame, NAMES),
                         calibrate=expit, top=3, language=language)  # type: ignore[arg-type]


def test_references_are_the_class_median_or_the_level_for_small_classes() -> None:
    frame = _students()
    references = reference_medians(frame, NAMES, min_peers=10)
    assert list(references.class_medians.columns) == [NAMES[0], NAMES[1], NAMES[2], NAMES[4]]
    values, scopes = reference_matrix(references, frame, NAMES)
    a11, b0 = 11, 12
    assert values[a11, 0] == 0.0 and scopes[a11, 0] == "class"
    assert values[a11, 1] == 12.0 and scopes[a11, 1] == "class"
    # Class 3B has 3 students: the median of the 15 students of 3e (ten 0s among them).
    assert values[b0, 0] == 0.0 and scopes[b0, 0] == "level"
    # A change since last year is its own comparison, a category has none.
    assert math.isnan(values[a11, 2]) and scopes[a11, 2] is None
    assert math.isnan(values[a11, 3]) and scopes[a11, 3] is None
    # Without a class column, the level's median (never a whole establishment called a class).
    _, no_class = reference_matrix(references, frame.drop(columns="class_id"), NAMES)
    assert set(no_class[:, 0]) == {"level"}
    # Too few values in both: no reference.
    lonely = reference_matrix(reference_medians(frame, NAMES, min_peers=100), frame, NAMES)
    assert np.isnan(lonely[0][:, :2]).all() and (lonely[1][:, :2] == None).all()  # noqa: E711


def test_references_group_every_date_class_and_level_even_unknown_ones() -> None:
    """The medians and counts of each (date, establishment, class) and (date, level), a
    missing class or level being a group of its own, as a plain loop over the groups gives
    them."""
    week = _students()
    later = week.assign(as_of=week["as_of"] + pd.Timedelta(days=7),
                        unjustified_absences_4w=week["unjustified_absences_4w"] + 1)  # fmt: skip
    frame = pd.concat([week, later], ignore_index=True)
    frame.loc[[0, 1, 2, 20], "class_id"] = None
    frame.loc[[3, 21], "level"] = None
    references = reference_medians(frame, NAMES, min_peers=1)
    for keys, medians, counts in (
        (["as_of", "uai", "class_id"], references.class_medians, references.class_counts),
        (["as_of", "level"], references.level_medians, references.level_counts),
    ):
        groups = frame.loc[:, keys].astype(object).where(frame.loc[:, keys].notna(), "__all__")
        expected = {tuple(key): rows for key, rows in frame.groupby(
            [groups[k] for k in keys], sort=False).groups.items()}  # fmt: skip
        assert sorted(map(tuple, medians.index)) == sorted(expected)
        for key, rows in expected.items():
            for name in medians.columns:
                values = frame.loc[rows, name].dropna()
                assert counts.loc[key, name] == len(values)
                if len(values):
                    assert medians.loc[key, name] == values.median()
                else:
                    assert math.isnan(medians.loc[key, name])


@pytest.mark.parametrize("seed", range(5))
def test_references_of_some_rows_are_those_of_every_row_for_them(seed: int) -> None:
    """The medians computed for a week's lists only (`rows`): every row of their classes
    and levels counted, the same references bit for bit as from every group; groups of no
    listed row left out."""
    rng = np.random.default_rng(seed)
    week = _students()
    frame = pd.concat([week.assign(class_id=f"c{i}", unjustified_absences_4w=rng.integers(
        0, 9, len(week)).astype(float)) for i in range(6)], ignore_index=True)  # fmt: skip
    frame.loc[rng.choice(len(frame), 10, replace=False), "unjustified_absences_4w"] = np.nan
    frame.loc[rng.choice(len(frame), 5, replace=False), "class_id"] = None
    rows = np.sort(rng.choice(len(frame), 7, replace=False))
    every = reference_matrix(reference_medians(frame, NAMES, min_peers=3), frame.iloc[rows], NAMES)
    some = reference_medians(frame, NAMES, min_peers=3, rows=rows)
    values, scopes = reference_matrix(some, frame.iloc[rows], NAMES)
    assert values.tobytes() == every[0].tobytes() and (scopes == every[1]).all()
    whole = reference_medians(frame, NAMES, min_peers=3)
    assert len(some.class_medians) < len(whole.class_medians)
    assert some.class_counts.sum().sum() < whole.class_counts.sum().sum()


def test_an_absentee_gets_her_absences_first_and_the_context_apart() -> None:
    out = _reasons()
    a11 = out[out["student_id"] == "A11"]
    why = a11[a11["kind"] == "why"]
    assert why["feature"].tolist() == ["unjustified_absences_4w", "grade_mean_ytd"]
    assert why["text"].iloc[0] == (
        "12 demi-journées d'absence non justifiées sur les 4 dernières semaines "
        f"(médiane de sa classe{NBSP}: 0)"
    )
    assert why["text"].iloc[1] == (
        f"Moyenne générale depuis la rentrée{NBSP}: 6/20 (médiane de sa classe{NBSP}: 12/20)"
    )
    context = a11[a11["kind"] == "context"]
    assert context["feature"].tolist() == ["track", "establishment_unjustified_absence_rate_4w"]
    assert (context["signal"] == "context").all() and (why["signal"] == "own").all()


def test_no_reason_nor_protective_factor_is_context() -> None:
    out = _reasons()
    chosen = out[out["kind"].isin(["why", "protective"])]
    assert len(chosen) > 0
    assert not set(chosen["feature"]) & set(context_features())
    # Even a context feature with the largest contribution of every row.
    frame = _students()
    contributions = _contributions(frame).assign(track=5.0)
    raw = contributions.sum(axis=1).to_numpy()
    loud = reasons_frame(frame, contributions, expit(raw), reference_medians(frame, NAMES),
                         calibrate=expit, top=5)  # fmt: skip
    assert "track" not in set(loud.loc[loud["kind"] != "context", "feature"])


def test_no_reason_says_a_value_on_the_better_side_raises_the_risk() -> None:
    out = _reasons()
    # A11's marks rose by 2.6 points: the model's +0.5 on it is never worded as a reason.
    a11 = out[(out["student_id"] == "A11") & (out["kind"] != "context")]
    assert "grade_mean_change_year" not in a11["feature"].tolist()
    # A10 missed 1 half-day where her class's median is 0: not a protective factor.
    a10 = out[(out["student_id"] == "A10") & (out["kind"] != "context")]
    assert a10.empty
    # A00 is at the class median on both: protective factors, never reasons.
    a00 = out[(out["student_id"] == "A00") & (out["kind"] != "context")]
    assert a00["kind"].tolist() == ["protective", "protective"]
    assert a00["feature"].tolist() == ["unjustified_absences_4w", "grade_mean_ytd"]
    for kind, check in (("why", lambda worse: worse), ("protective", lambda worse: ~worse)):
        part = out[out["kind"] == kind]
        for name, rows in part.groupby("feature"):
            direction = DIRECTIONS[name]
            value = rows["value"].astype(float).to_numpy()
            point = rows["reference"].fillna(0.0).to_numpy()
            worse = value > point if direction.worse == "higher" else value < point
            assert check(worse).all(), (kind, name)


def test_eligible_cells_follow_the_directions_and_missing_values() -> None:
    names = ["unjustified_absences_4w", "grade_mean_ytd", "grade_mean_change_year", "track"]
    values = np.array([
        [3.0, 8.0, -1.0, 0.0],     # worse than the references on all three
        [0.0, 14.0, 1.0, 0.0],     # better
        [np.nan, np.nan, np.nan, np.nan],
    ])  # fmt: skip
    references = np.array([[1.0, 10.0, np.nan, np.nan]] * 3)
    why, protective = eligible_cells(names, values, references)
    assert why.tolist() == [[True, True, True, False], [False, False, False, False],
                            [False, True, False, False]]  # fmt: skip
    # No mark at all this year reads as a worry: a reason, never a protective factor.
    assert protective.tolist() == [[False, False, False, False], [True, True, True, False],
                                   [False, False, False, False]]  # fmt: skip


def test_the_weight_is_the_risk_without_the_signal_through_the_same_calibration() -> None:
    out = _reasons()
    absence = out[(out["student_id"] == "A11") & (out["feature"] == "unjustified_absences_4w")]
    # A11: raw = -2 + 1.2 + 0.6 + 0.5 + 0.9 - 0.2 = 1.0; without absences, 1.0 - 1.2 = -0.2.
    assert absence["raw_score"].iloc[0] == pytest.approx(1.0)
    assert absence["risk"].iloc[0] == pytest.approx(0.7310586)
    assert absence["risk_without"].iloc[0] == pytest.approx(0.4501660)
    assert absence["points"].iloc[0] == pytest.approx(0.7310586 - 0.4501660)
    assert absence["weight_text"].iloc[0] == (
        f"+28,1 points de risque (45{NNBSP}% sans ce signal)"
    )
    protective = out[(out["student_id"] == "A00") & (out["kind"] == "protective")]
    assert (protective["points"] < 0).all()
    # The context: track and establishment removed together, 1.0 - 0.7 = 0.3.
    frame = _students()
    contributions = _contributions(frame)
    raw = contributions.sum(axis=1).to_numpy()
    without, points = context_weight(NAMES, contributions[NAMES].to_numpy(), raw, expit)
    assert without[11] == pytest.approx(0.5744425)
    assert points[11] == pytest.approx(0.7310586 - 0.5744425)


def test_reasons_frame_has_the_columns_and_both_languages() -> None:
    out = _reasons("en")
    assert list(out.columns) == ["student_id", "as_of", "uai", *REASON_COLUMNS]
    assert (out["text"] == out["text_en"]).all()
    assert (out["weight_text"] == out["weight_text_en"]).all()
    b0 = out[(out["student_id"] == "B0") & (out["kind"] == "why")]
    assert b0["text"].tolist() == [
        "2 unjustified absent half-days in the last 4 weeks "
        "(median of the students in 3e (last year of collège): 0)"
    ]
    assert b0["reference_scope"].tolist() == ["level"]
    assert (out.loc[out["kind"] == "why", "contribution"] > 0).all()
    assert (out.loc[out["kind"] == "protective", "contribution"] < 0).all()


def test_group_keys_are_the_per_row_objects() -> None:
    """`_group_key` converts each distinct value once: the same objects as converting every
    row, a missing value (NaN, NaT, NA) as the no-group key."""
    from models.reasons import _NO_GROUP, _group_key

    columns = [
        pd.Series(pd.to_datetime(["2026-03-16", None, "2026-03-16", "2026-03-09"])),
        pd.Series(["a", None, "b", "a"], dtype="str"),
        pd.Series([1.0, np.nan, 2.0, 1.0]),
        pd.Series([1, None, 3, 1], dtype="Int64"),
        pd.Series([], dtype="str"),
    ]
    for column in columns:
        expected = column.astype(object).where(column.notna(), _NO_GROUP)
        got = _group_key(column)
        assert got.equals(expected)
        assert [type(v) for v in got] == [type(v) for v in expected]
