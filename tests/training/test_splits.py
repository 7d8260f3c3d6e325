"""Temporal splits and grouped k-fold: hand-computed dates, refusals, the known-on filter."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from training.splits import (
    CVSpec,
    TemporalSplit,
    apply_split,
    make_temporal_splits,
    parse_cv,
    repeated_grouped_stratified_kfold,
)

D = dt.date
FIVE_YEARS = ["2021-2022", "2022-2023", "2023-2024", "2024-2025", "2025-2026"]


def _split(**changes: object) -> TemporalSplit:
    fields: dict[str, object] = {
        "name": "s",
        "train_years": ("2021-2022", "2022-2023"),
        "test_year": "2024-2025",
        "cutoff": D(2024, 9, 1),
        "calibration_year": "2023-2024",
    }
    return TemporalSplit(**(fields | changes))  # type: ignore[arg-type]


# --- make_temporal_splits: hand-computed years and dates --------------------------------------


def test_default_split_tests_the_latest_year() -> None:
    (split,) = make_temporal_splits(reversed(FIVE_YEARS))
    assert split.name == "test-2025-2026"
    assert split.train_years == ("2021-2022", "2022-2023", "2023-2024")
    assert split.calibration_year == "2024-2025"
    assert split.test_year == "2025-2026"
    assert split.cutoff == D(2025, 9, 1)


def test_backtest_rolls_the_origin_over_the_last_years() -> None:
    splits = make_temporal_splits(FIVE_YEARS, backtest=3)
    assert [(s.train_years, s.calibration_year, s.test_year, s.cutoff) for s in splits] == [
        (("2021-2022",), "2022-2023", "2023-2024", D(2023, 9, 1)),
        (("2021-2022", "2022-2023"), "2023-2024", "2024-2025", D(2024, 9, 1)),
        (("2021-2022", "2022-2023", "2023-2024"), "2024-2025", "2025-2026", D(2025, 9, 1)),
    ]


def test_named_test_years_and_calibration_weeks() -> None:
    (split,) = make_temporal_splits(FIVE_YEARS, test_years=["2023-2024"], calibration_weeks=6)
    assert split.train_years == ("2021-2022", "2022-2023")
    assert split.calibration_weeks == 6 and split.calibration_year is None
    assert split.calibration_slice == "last 6 weeks of 2022-2023"
    assert split.cutoff == D(2023, 9, 1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"backtest": 4}, "needs at least 6 school years"),
        ({"backtest": 0}, "positive number of years"),
        ({"test_years": ["2022-2023"]}, "split 'test-2022-2023': needs 2 earlier"),
        ({"test_years": ["2030-2031"]}, "not among the available years"),
        ({"test_years": ["2025-2026"], "backtest": 1}, "not both"),
    ],
)
def test_make_refuses_impossible_requests(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_temporal_splits(FIVE_YEARS, **kwargs)  # type: ignore[arg-type]


def test_make_refuses_malformed_years() -> None:
    with pytest.raises(ValueError, match="'2024-2026'"):
        make_temporal_splits(["2023-2024", "2024-2026"])
    with pytest.raises(ValueError, match="no school years"):
        make_temporal_splits([])


@given(n_years=st.integers(3, 12), backtest=st.integers(1, 10), first=st.integers(2000, 2040))
def test_backtest_splits_are_ordered_and_never_leak(
    n_years: int, backtest: int, first: int
) -> None:
    years = [f"{y}-{y + 1}" for y in range(first, first + n_years)]
    if backtest > n_years - 2:
        with pytest.raises(ValueError):
            make_temporal_splits(years, backtest=backtest)
        return
    splits = make_temporal_splits(years, backtest=backtest)
    assert [s.test_year for s in splits] == years[-backtest:]
    for s in splits:
        assert max(s.train_years) < s.calibration_year < s.test_year
        assert s.cutoff == D(int(s.test_year[:4]), 9, 1)
        assert [*s.train_years, s.calibration_year] == years[: years.index(s.test_year)]


# --- TemporalSplit refuses what is out of order -----------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"train_years": ()}, "no training years"),
        ({"train_years": ("2022-2023", "2021-2022")}, "not in increasing order"),
        ({"train_years": ("2021-2022", "2021-2022")}, "not in increasing order"),
        ({"train_years": ("2021-22",)}, "'2021-22' is not written YYYY-YYYY"),
        ({"calibration_year": "2022-2023"}, "calibration year 2022-2023 is not after"),
        ({"calibration_year": None}, "exactly one of calibration_year and calibration_weeks"),
        ({"calibration_weeks": 4}, "exactly one of"),
        ({"test_year": "2023-2024"}, "test year 2023-2024 is not after the calibration"),
        ({"cutoff": D(2024, 6, 1)}, r"cutoff 2024-06-01 is not after the end .* \(2024-08-31\)"),
        ({"cutoff": D(2024, 9, 2)}, "after the start of the test year 2024-2025"),
        ({"name": " "}, "non-empty name"),
        ({"train_years": "2021-2022"}, "must be a tuple of school years"),
    ],
)
def test_split_refuses_out_of_order(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        _split(**changes)
    assert str(caught.value).startswith("split ")


def test_split_refuses_bad_calibration_weeks() -> None:
    with pytest.raises(ValueError, match="calibration_weeks must be a positive integer"):
        _split(calibration_year=None, calibration_weeks=0)


def test_split_accepts_the_boundaries_and_normalises() -> None:
    split = _split(train_years=["2021-2022"], cutoff=dt.datetime(2024, 9, 1, 0, 0))
    assert split.train_years == ("2021-2022",)
    assert split.cutoff == D(2024, 9, 1) and not isinstance(split.cutoff, dt.datetime)
    assert _split(cutoff=D(2024, 9, 1)).calibration_slice == "2023-2024"


# --- apply_split: the known-on filter and empty parts -----------------------------------------


def _rows(*rows: tuple[str, str, str, bool | None, str | None]) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows, columns=["student_id", "school_year", "as_of", "label", "label_horizon_known_on"]
    )
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    frame["label_horizon_known_on"] = pd.to_datetime(frame["label_horizon_known_on"]).dt.date
    return frame


FRAME = _rows(
    ("s1", "2022-2023", "2022-10-03", True, "2023-06-30"),
    ("s2", "2022-2023", "2022-10-03", False, "2023-07-05"),
    ("s3", "2022-2023", "2022-10-03", None, None),  # outcome unknown
    ("s4", "2023-2024", "2023-10-02", True, "2024-08-31"),  # known the day before the cutoff
    ("s5", "2023-2024", "2023-10-02", False, "2024-09-01"),  # known on the cutoff: too late
    ("s6", "2023-2024", "2023-10-02", False, None),  # a label with no date cannot be trusted
    ("s7", "2024-2025", "2024-10-07", True, "2025-10-15"),  # test: known after the fact
    ("s8", "2024-2025", "2024-10-07", None, None),
)
SPLIT = TemporalSplit(
    "test-2024-2025", ("2022-2023",), "2024-2025", D(2024, 9, 1), calibration_year="2023-2024"
)


def test_apply_split_keeps_only_outcomes_known_before_the_cutoff() -> None:
    train, calibration, test = apply_split(FRAME, SPLIT)
    assert list(train["student_id"]) == ["s1", "s2"]
    assert list(calibration["student_id"]) == ["s4"]
    assert list(test["student_id"]) == ["s7"]
    assert list(test.index) == [6]  # the input index is kept


def test_apply_split_accepts_timestamps() -> None:
    frame = FRAME.assign(label_horizon_known_on=pd.to_datetime(FRAME["label_horizon_known_on"]))
    assert list(apply_split(frame, SPLIT).calibration["student_id"]) == ["s4"]


def test_apply_split_names_the_split_and_the_empty_part() -> None:
    late = FRAME.assign(
        label_horizon_known_on=FRAME["label_horizon_known_on"].replace(D(2024, 8, 31), None)
    )
    with pytest.raises(
        ValueError,
        match=r"^split 'test-2024-2025': calibration slice 2023-2024 has no rows with an "
        r"outcome known before 2024-09-01$",
    ):
        apply_split(late, SPLIT)
    with pytest.raises(ValueError, match="training years 2022-2023 have no rows"):
        apply_split(FRAME[FRAME["school_year"] != "2022-2023"], SPLIT)
    with pytest.raises(ValueError, match="test year 2024-2025 has no rows with a known outcome"):
        apply_split(FRAME.drop(index=6), SPLIT)
    with pytest.raises(ValueError, match=r"no column\(s\) \['label_horizon_known_on'\]"):
        apply_split(FRAME.drop(columns="label_horizon_known_on"), SPLIT)


def test_apply_split_with_calibration_weeks() -> None:
    weeks = ["2023-05-29", "2023-06-05", "2023-06-12", "2023-06-19"]
    frame = _rows(
        ("s0", "2021-2022", "2022-03-07", False, "2022-07-01"),
        *((f"s{i}", "2022-2023", day, i == 2, "2023-07-01") for i, day in enumerate(weeks, 1)),
        ("s9", "2023-2024", "2023-10-02", True, "2024-07-01"),
    )
    split = TemporalSplit(
        "w", ("2021-2022", "2022-2023"), "2023-2024", D(2023, 9, 1), calibration_weeks=2
    )
    train, calibration, test = apply_split(frame, split)
    assert list(train["student_id"]) == ["s0", "s1", "s2"]
    assert list(calibration["student_id"]) == ["s3", "s4"]
    assert list(test["student_id"]) == ["s9"]


# --- parse_cv ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("temporal", CVSpec("temporal")),
        (" Backtest:3 ", CVSpec("backtest", backtest=3)),
        ("kfold:10x5", CVSpec("kfold", n_splits=10, n_repeats=5)),
        ("kfold:5", CVSpec("kfold", n_splits=5, n_repeats=1)),
    ],
)
def test_parse_cv_reads_every_form_and_round_trips(text: str, spec: CVSpec) -> None:
    assert parse_cv(text) == spec
    assert parse_cv(str(spec)) == spec


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kfold", "expected 'temporal', 'backtest:N'"),
        ("kfold:10x", "cannot read the cv spec 'kfold:10x'"),
        ("backtest:-1", "cannot read"),
        ("random", "cannot read"),
        ("kfold:1x5", "n_splits must be an integer >= 2"),
        ("kfold:10x0", "n_repeats must be an integer >= 1"),
        ("backtest:0", "backtest must be an integer >= 1"),
    ],
)
def test_parse_cv_refuses_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_cv(text)


# --- repeated grouped stratified k-fold -------------------------------------------------------


def _single_year(n_students: int = 400, weeks: int = 6, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dropped = rng.random(n_students) < 0.15
    n_weeks = rng.integers(1, weeks + 1, n_students)  # students have different numbers of rows
    student = np.repeat(np.arange(n_students), n_weeks)
    frame = pd.DataFrame({"student_id": [f"s{i:04d}" for i in student], "label": dropped[student]})
    return frame.sample(frac=1, random_state=seed).reset_index(drop=True)


def test_kfold_groups_students_and_covers_each_row_once_per_repeat() -> None:
    frame = _single_year()
    folds = list(repeated_grouped_stratified_kfold(frame, n_splits=5, n_repeats=3, seed=7))
    assert [name for name, _, _ in folds[:2]] == ["repeat-1-fold-01", "repeat-1-fold-02"]
    assert len(folds) == 15
    students = frame["student_id"].to_numpy()
    for _, train, test in folds:
        assert not set(students[train]) & set(students[test])
        assert len(train) + len(test) == len(frame)
    for repeat in range(3):
        tests = np.concatenate([test for _, _, test in folds[repeat * 5 : repeat * 5 + 5]])
        assert np.array_equal(np.sort(tests), np.arange(len(frame)))


def test_kfold_preserves_the_share_of_dropouts() -> None:
    frame = _single_year()
    per_student = frame.drop_duplicates("student_id")["label"]
    overall = per_student.mean()
    for _, _, test in repeated_grouped_stratified_kfold(frame, n_splits=5, n_repeats=2, seed=3):
        share = frame.iloc[test].drop_duplicates("student_id")["label"].mean()
        assert abs(share - overall) < 0.03


def test_kfold_is_deterministic_by_seed() -> None:
    frame = _single_year()

    def folds(seed: int) -> list[list[int]]:
        found = repeated_grouped_stratified_kfold(frame, n_splits=4, n_repeats=2, seed=seed)
        return [list(test) for _, _, test in found]

    assert folds(11) == folds(11)
    assert folds(11) != folds(12)
    first, second = folds(11)[0], folds(11)[4]
    assert first != second  # each repeat reshuffles


def test_kfold_leaves_unlabelled_rows_out() -> None:
    frame = _single_year()
    frame["label"] = frame["label"].astype(object)
    frame.loc[[0, 5], "label"] = None
    for _, train, test in repeated_grouped_stratified_kfold(frame, n_splits=3, n_repeats=1):
        assert not {0, 5} & (set(train) | set(test))


def test_kfold_refuses_too_few_dropouts_before_the_first_fold() -> None:
    frame = pd.DataFrame({"student_id": list("abcdef"), "label": [True] + [False] * 5})
    with pytest.raises(ValueError, match="3 folds need at least 3 students with a positive"):
        repeated_grouped_stratified_kfold(frame, n_splits=3)
    with pytest.raises(ValueError, match="n_splits must be an integer >= 2"):
        repeated_grouped_stratified_kfold(frame, n_splits=1)
    with pytest.raises(ValueError, match="no column"):
        repeated_grouped_stratified_kfold(frame.drop(columns="student_id"))


def test_kfold_keeps_a_student_with_two_outcomes_on_one_side() -> None:
    # Two school years in one extraction: some students dropped out in one and not the other,
    # which takes the StratifiedGroupKFold path.
    frame = _single_year(n_students=120)
    second_year = frame.assign(label=~frame["label"])
    both = pd.concat([frame, second_year.iloc[:150]], ignore_index=True)
    students = both["student_id"].to_numpy()
    folds = list(repeated_grouped_stratified_kfold(both, n_splits=4, n_repeats=2, seed=2))
    for _, train, test in folds:
        assert not set(students[train]) & set(students[test])
    tests = np.concatenate([test for _, _, test in folds[:4]])
    assert np.array_equal(np.sort(tests), np.arange(len(both)))
