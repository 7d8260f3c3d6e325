"""The synthetic académie: deterministic, valid under the contract, and realistic enough that
the checks a watch unit or a data scientist would make can fail.

Small académies are generated here (a few seconds in all); the demo and the 300,000-student
académie are measured by `bench/`, not by tests.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from features.calendar import calendar_for
from features.contract import CODES, REQUIRED_TABLES, TABLES, UAI_PATTERN
from features.synth import SynthConfig, generate_academie, load_config, synthesize, write_extraction
from features.synth.summary import absentee_months, yearly_enrollment
from features.validation import validate_extraction

EXTRACTION = dt.date(2026, 11, 27)


def _config(**overrides: object) -> SynthConfig:
    """The demo configuration with overrides, without burn-in unless asked: these tests are
    about the generator's realism; the protocol's burn-in is tested in test_synth_protocol."""
    return load_config(overrides={"burn_in_years": 0, **overrides})


@pytest.fixture(scope="module")
def small() -> tuple[SynthConfig, dict[str, pd.DataFrame]]:
    """A few establishments, about 500 students, 2 years: for the contract invariants."""
    config = _config(establishments=5, students=500, years=2, seed=11)
    return config, generate_academie(config)


@pytest.fixture(scope="module")
def medium() -> tuple[SynthConfig, dict[str, pd.DataFrame]]:
    """Enough students (15,000 a year, 3 years) for the realism checks to have power."""
    config = _config(establishments=26, students=15_000, years=3, seed=5)
    return config, generate_academie(config)


def _class_days(years: list[str]) -> pd.DatetimeIndex:
    return pd.DatetimeIndex([day for year in years for day in calendar_for(year).class_days()])


def _with_enrollment(events: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Each event with the enrollment(s) of its student covering its date."""
    enrollments = tables["enrollments"].merge(tables["establishments"][["uai", "kind"]], on="uai")
    merged = events.reset_index(names="event").merge(
        enrollments[["student_id", "start_date", "end_date", "kind", "level", "school_year"]],
        on="student_id",
        suffixes=("", "_enrollment"),
    )
    end = merged["end_date"].fillna(pd.Timestamp(EXTRACTION) - pd.Timedelta(days=1))
    return merged[(merged["date"] >= merged["start_date"]) & (merged["date"] <= end)]


# --- API, configuration and determinism ------------------------------------------------------


def test_default_config_is_the_documented_demo() -> None:
    config = load_config()
    assert (config.establishments, config.students, config.years) == (100, 40_000, 4)
    assert config.extraction_date == EXTRACTION
    assert config.burn_in_years == 1 and config.burn_in_school_years == ["2022-2023"]
    assert config.school_years == ["2022-2023", "2023-2024", "2024-2025", "2025-2026", "2026-2027"]


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"dropout": {"annual_rate": {"CAP1": 2.0}}}, "dropout.annual_rate.CAP1"),
        ({"population": {"male_share": {"college": -0.1}}}, "population.male_share.college"),
        ({"establishment_profile": {"kind_shares": {"college": 0.9}}}, "kind_shares"),
        ({"attendance": {"unknown_key": 1}}, "attendance.unknown_key"),
        ({"extraction_date": "2027-09-03", "last_school_year": "2026-2027"}, "extraction_date"),
    ],
)
def test_bad_configuration_fails_naming_the_key(overrides: dict, key: str) -> None:
    with pytest.raises(ValidationError, match=key.replace(".", r"\.")):
        load_config(overrides=overrides)


def test_last_school_year_alone_moves_the_extraction_date(tmp_path: Path) -> None:
    summary = synthesize(
        tmp_path / "older", establishments=2, students=100, years=1, seed=1,
        last_school_year="2024-2025", file_format="csv",
    )  # fmt: skip
    assert summary.extraction_date == dt.date(2024, 11, 27)
    assert summary.school_years == ["2023-2024", "2024-2025"]  # after one burn-in year
    assert SynthConfig.from_yaml(students=100).students == 100


def test_override_keeps_other_keys_and_revalidates() -> None:
    config = load_config().override(dropout={"year_end_share": 0.1})
    assert config.dropout.year_end_share == 0.1
    assert config.dropout.annual_rate == load_config().dropout.annual_rate
    with pytest.raises(ValidationError):
        config.override(years=0)


def test_tables_follow_the_contract_columns_and_types(small: tuple) -> None:
    _, tables = small
    assert list(tables) == list(REQUIRED_TABLES)  # no interviews planted by default
    for name in REQUIRED_TABLES:
        table = TABLES[name]
        assert tuple(tables[name].columns) == table.column_names, name
        for column in table.columns:
            series = tables[name][column.name]
            if column.kind == "date":
                assert pd.api.types.is_datetime64_any_dtype(series), (name, column.name)
            if column.kind == "bool":
                assert series.dtype == bool, (name, column.name)


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_same_config_and_seed_give_identical_bytes(tmp_path: Path, file_format: str) -> None:
    config = _config(establishments=4, students=300, years=2, seed=3)
    first = write_extraction(generate_academie(config), tmp_path / "a", file_format)
    second = write_extraction(generate_academie(config), tmp_path / "b", file_format)
    names = sorted(path.name for path in first.iterdir())
    assert names == sorted(f"{table}.{file_format}" for table in REQUIRED_TABLES)
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    other = write_extraction(
        generate_academie(config.override(seed=4)), tmp_path / "c", file_format
    )
    assert (other / f"grades.{file_format}").read_bytes() != (
        first / f"grades.{file_format}"
    ).read_bytes()


def test_components_draw_from_their_own_streams() -> None:
    config = _config(establishments=4, students=300, years=2, seed=3)
    base = generate_academie(config)
    noisier = generate_academie(config.override(grades={"noise_sd": 4.0}))
    pd.testing.assert_frame_equal(base["attendance"], noisier["attendance"])
    pd.testing.assert_frame_equal(base["enrollments"], noisier["enrollments"])
    assert not base["grades"]["value"].equals(noisier["grades"]["value"])


def test_csv_writes_iso_dates_booleans_and_empty_cells(tmp_path: Path) -> None:
    config = _config(establishments=4, students=300, years=2, seed=3)
    out = write_extraction(generate_academie(config), tmp_path / "x", "csv")
    enrollments = pd.read_csv(out / "enrollments.csv", dtype=str, keep_default_na=False)
    assert enrollments["start_date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    open_rows = enrollments[enrollments["end_date"] == ""]
    assert len(open_rows) and (open_rows["exit_reason"] == "").all()
    attendance = pd.read_csv(out / "attendance.csv", dtype=str, keep_default_na=False)
    assert set(attendance["justified"]) == {"true", "false"}
    assert (out / "establishments.csv").read_text(encoding="utf-8").startswith("uai,name,kind,")


def test_write_is_atomic_and_never_clobbers_foreign_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tables = generate_academie(_config(establishments=3, students=200, years=1, seed=2))
    out = write_extraction(tables, tmp_path / "extraction", "parquet")
    before = {path.name: path.read_bytes() for path in out.iterdir()}

    from features.synth import writer

    calls = {"count": 0}
    original = writer._write_parquet

    def failing(arrow, path):  # type: ignore[no-untyped-def]
        calls["count"] += 1
        if calls["count"] == 3:
            raise OSError("disk full")
        original(arrow, path)

    monkeypatch.setattr(writer, "_write_parquet", failing)
    with pytest.raises(OSError, match="disk full"):
        write_extraction(tables, out, "parquet")
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before
    assert [path.name for path in tmp_path.iterdir()] == ["extraction"]
    monkeypatch.undo()

    write_extraction(tables, out, "csv")  # an earlier extraction may be replaced
    assert sorted(path.suffix for path in out.iterdir()) == [".csv"] * len(REQUIRED_TABLES)
    foreign = tmp_path / "home"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        write_extraction(tables, foreign, "csv")
    assert [path.name for path in foreign.iterdir()] == ["notes.txt"]


def test_synthesize_writes_a_cut_year_like_the_benchmark(tmp_path: Path) -> None:
    summary = synthesize(
        tmp_path / "bench", establishments=4, students=400, years=1, burn_in_years=0, seed=7,
        last_school_year="2025-2026", extraction_date=dt.date(2026, 7, 10), file_format="csv",
    )  # fmt: skip
    assert "students" in str(summary) and summary.school_years == ["2025-2026"]
    enrollments = pd.read_csv(tmp_path / "bench" / "enrollments.csv", dtype=str)
    assert enrollments["end_date"].isna().sum() > 0.9 * len(enrollments)
    exams = pd.read_csv(tmp_path / "bench" / "exams.csv", dtype=str)
    assert {"dnb", "bac_general", "bac_pro", "mock"} <= set(exams["exam"])
    assert (exams["date"] < "2026-07-10").all()
    outcomes = pd.read_csv(tmp_path / "bench" / "outcomes.csv", dtype=str)
    assert (outcomes["dropped_out"] == "true").all()


# --- validity under the contract -------------------------------------------------------------


def test_output_satisfies_the_contract_invariants(small: tuple) -> None:
    config, tables = small
    establishments, students, enrollments = (
        tables[name] for name in ("establishments", "students", "enrollments")
    )
    attendance, grades, exams, outcomes = (
        tables[name] for name in ("attendance", "grades", "exams", "outcomes")
    )
    assert establishments["uai"].str.fullmatch(UAI_PATTERN).all()
    assert establishments["uai"].is_unique and students["student_id"].is_unique
    assert enrollments["uai"].isin(establishments["uai"]).all()
    for name in ("enrollments", "attendance", "grades", "exams", "outcomes"):
        assert tables[name]["student_id"].isin(students["student_id"]).all(), name
    assert students["student_id"].isin(enrollments["student_id"]).all()
    for frame, column, codes in (
        (establishments, "kind", "establishment_kind"), (establishments, "sector", "sector"),
        (establishments, "priority_zone", "priority_zone"), (students, "sex", "sex"),
        (students, "parent_pcs", "parent_pcs"), (enrollments, "level", "level"),
        (enrollments, "track", "track"), (attendance, "half_day", "half_day"),
        (attendance, "kind", "attendance_kind"), (exams, "exam", "exam"),
        (exams, "result", "exam_result"),
    ):  # fmt: skip
        assert frame[column].isin(CODES[codes]).all(), column
    assert enrollments["exit_reason"].dropna().isin(CODES["exit_reason"]).all()
    assert (enrollments["exit_reason"].isna() == enrollments["end_date"].isna()).all()
    assert students["scholarship_level"].between(0, 6).all()
    assert (establishments["weekly_interview_capacity"] >= 0).all()
    assert not enrollments.duplicated(["student_id", "school_year", "uai", "start_date"]).any()
    assert not attendance.duplicated(["student_id", "date", "half_day", "kind"]).any()
    assert not outcomes.duplicated(["student_id", "school_year"]).any()
    assert ((grades["value"] >= 0) & (grades["value"] <= grades["out_of"])).all()
    assert grades["period"].isin([1, 2, 3]).all()
    assert exams["score"].dropna().between(0, 20).all()
    assert exams.loc[exams["result"] == "absent", "score"].isna().all()

    start_year = enrollments["school_year"].str[:4].astype(int)
    first = pd.to_datetime(start_year.astype(str) + "-09-01")
    last = pd.to_datetime((start_year + 1).astype(str) + "-08-31")
    closed = enrollments["end_date"].notna()
    assert enrollments["start_date"].between(first, last).all()
    assert (
        enrollments.loc[closed, "end_date"]
        .between(enrollments.loc[closed, "start_date"], last[closed])
        .all()
    )
    assert enrollments.loc[~closed, "school_year"].eq(config.school_years[-1]).all()
    outcome_year = outcomes["school_year"].str[:4].astype(int)
    assert (outcomes["known_on"] >= pd.to_datetime(outcome_year.astype(str) + "-09-01")).all()

    for name in ("attendance", "grades", "exams"):
        events = tables[name][["student_id", "date"]]
        covered = _with_enrollment(events, tables)
        assert covered["event"].nunique() == len(events), f"{name} outside enrollments"
        assert (covered["school_year"] == covered["school_year"]).all()


def test_nothing_is_recorded_on_or_after_the_extraction_date(small: tuple) -> None:
    _, tables = small
    cut = pd.Timestamp(EXTRACTION)
    for name, column in (("attendance", "date"), ("grades", "date"), ("exams", "date"),
                         ("enrollments", "start_date"), ("enrollments", "end_date"),
                         ("outcomes", "known_on")):  # fmt: skip
        assert (tables[name][column].dropna() < cut).all(), (name, column)
    enrollments = tables["enrollments"]
    current = enrollments[enrollments["school_year"] == "2026-2027"]
    assert current["end_date"].isna().mean() > 0.9
    outcomes = tables["outcomes"]
    assert outcomes.loc[outcomes["school_year"] == "2026-2027", "dropped_out"].all()


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_output_passes_the_extraction_validator(
    small: tuple, tmp_path: Path, file_format: str
) -> None:
    out = write_extraction(small[1], tmp_path / "extraction", file_format)
    report = validate_extraction(out)
    assert report.ok, report.violations[:5]


# --- calendar --------------------------------------------------------------------------------


def test_events_fall_on_class_days_only(medium: tuple) -> None:
    config, tables = medium
    class_days = _class_days(config.school_years)
    assert tables["attendance"]["date"].isin(class_days).all()
    assert tables["grades"]["date"].isin(class_days).all()
    exams = tables["exams"]
    assert exams.loc[exams["exam"] == "mock", "date"].isin(class_days).all()
    assert (exams["date"].dt.day_of_week < 5).all()  # results are published on weekdays


def test_no_wednesday_afternoon_absence_in_colleges(medium: tuple) -> None:
    _, tables = medium
    attendance = tables["attendance"]
    wednesday_pm = attendance[
        (attendance["date"].dt.day_of_week == 2) & (attendance["half_day"] == "pm")
    ]
    kinds = _with_enrollment(wednesday_pm[["student_id", "date"]], tables)["kind"]
    assert len(kinds) > 0 and (kinds != "college").all()
    college_wednesday = _with_enrollment(
        attendance.loc[attendance["date"].dt.day_of_week == 2, ["student_id", "date"]], tables
    )
    assert (college_wednesday["kind"] == "college").any()


# --- realism ---------------------------------------------------------------------------------


def test_establishments_look_like_a_breton_academie(medium: tuple) -> None:
    _, tables = medium
    establishments = tables["establishments"]
    assert set(establishments["kind"]) == set(CODES["establishment_kind"])
    assert set(establishments["department"]) <= {"22", "29", "35", "56"}
    assert (establishments["uai"].str[1:3] == establishments["department"]).all()
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    assert all(letters[int(uai[:7]) % 23] == uai[7] for uai in establishments["uai"])
    zoned = establishments[establishments["priority_zone"] != "none"]
    assert len(zoned) and (zoned["kind"] == "college").all() and (zoned["sector"] == "public").all()
    assert establishments["weekly_interview_capacity"].between(3, 8).all()


def test_levels_and_tracks_match_the_establishment(medium: tuple) -> None:
    _, tables = medium
    rows = tables["enrollments"].merge(tables["establishments"][["uai", "kind"]], on="uai")
    allowed = {
        "college": {("6e", "college"), ("5e", "college"), ("4e", "college"), ("3e", "college")},
        "lycee_gt": {("2nde", "general"), ("1ere", "general"), ("1ere", "technological"),
                     ("Tle", "general"), ("Tle", "technological")},
        "lycee_pro": {(level, "vocational")
                      for level in ("2nde_pro", "1ere_pro", "Tle_pro", "CAP1", "CAP2")},
    }  # fmt: skip
    allowed["lycee_polyvalent"] = allowed["lycee_gt"] | allowed["lycee_pro"]
    for kind, pairs in allowed.items():
        found = set(rows.loc[rows["kind"] == kind, ["level", "track"]].itertuples(index=False))
        assert found <= pairs, kind
    assert (
        rows["class_id"]
        .str.fullmatch(
            r"(6e|5e|4e|3e|2nde|1ere[GT]|Tle[GT]|"
            r"2ndePro|1erePro|TlePro|CAP[12])[A-Z]+"
        )
        .all()
    )


def test_students_progress_from_year_to_year(medium: tuple) -> None:
    config, tables = medium
    years = yearly_enrollment(tables).sort_values(["student_id", "school_year"])
    years["next_level"] = years.groupby("student_id")["level"].shift(-1)
    pairs = years.dropna(subset=["next_level"])
    moves = set(pairs[["level", "next_level"]].itertuples(index=False))
    expected = {
        ("6e", "5e"), ("5e", "4e"), ("4e", "3e"), ("3e", "2nde"), ("3e", "2nde_pro"),
        ("3e", "CAP1"), ("2nde", "1ere"), ("1ere", "Tle"), ("2nde_pro", "1ere_pro"),
        ("1ere_pro", "Tle_pro"), ("CAP1", "CAP2"), ("3e", "3e"), ("Tle", "Tle"),
    }  # fmt: skip
    assert expected <= moves
    assert not {("5e", "6e"), ("Tle", "1ere"), ("3e", "1ere")} & moves
    third = pairs[pairs["level"] == "3e"]
    vocational = third["next_level"].isin(["2nde_pro", "CAP1"])
    by_pcs = vocational.groupby(third["parent_pcs"]).mean()
    assert by_pcs["disadvantaged"] > 2 * by_pcs["favored_a"]
    assert 0.25 < vocational.mean() < 0.45
    enrollments = tables["enrollments"]
    current = enrollments[enrollments["school_year"] == config.school_years[-1]]
    assert (current["level"] == "6e").mean() > 0.1  # a new 6e cohort every year
    ordered = enrollments.sort_values(["student_id", "start_date"])
    previous = ordered.groupby("student_id")[["uai", "exit_reason"]].shift()
    after_transfer = previous["exit_reason"] == "transferred"
    assert after_transfer.any()
    assert (ordered.loc[after_transfer, "uai"] != previous.loc[after_transfer, "uai"]).all()
    rentree = ordered.groupby("school_year")["start_date"].transform("min")
    assert (ordered["start_date"] > rentree).any()  # arrivals and transfers during the year
    exits = tables["enrollments"]["exit_reason"].value_counts()
    assert {"completed", "transferred", "diploma", "dropped_out"} <= set(exits.index)


def test_birth_dates_fit_the_level(medium: tuple) -> None:
    _, tables = medium
    years = yearly_enrollment(tables).merge(
        tables["students"][["student_id", "birth_date"]], on="student_id"
    )
    age = years["school_year"].str[:4].astype(int) - years["birth_date"].dt.year
    normal = years["level"].map({"6e": 11, "5e": 12, "4e": 13, "3e": 14, "2nde": 15, "1ere": 16,
                                 "Tle": 17, "2nde_pro": 15, "1ere_pro": 16, "Tle_pro": 17,
                                 "CAP1": 15, "CAP2": 16})  # fmt: skip
    behind = age - normal
    assert behind.between(-1, 5).all()
    assert (behind == 0).mean() > 0.7
    by_track = behind.groupby(years["track"]).mean()
    assert by_track["vocational"] > by_track["college"]


def test_dropout_is_rarer_in_college_than_in_vocational_tracks(medium: tuple) -> None:
    _, tables = medium
    years = yearly_enrollment(tables)
    complete = years[years["school_year"] < years["school_year"].max()]
    rate = complete.groupby("track")["dropped_out"].mean()
    assert rate["college"] < 0.01
    assert rate["general"] < 0.02
    assert 0.04 < rate["vocational"] < 0.12
    assert rate["vocational"] > 5 * rate["college"]


def test_sensitive_attributes_correlate_with_dropout_as_published(medium: tuple) -> None:
    _, tables = medium
    years = yearly_enrollment(tables)
    complete = years[years["school_year"] < years["school_year"].max()].copy()
    dropped = complete["dropped_out"].astype(bool)
    by_sex = dropped.groupby(complete["sex"]).mean()
    assert by_sex["M"] > by_sex["F"]
    by_scholarship = dropped.groupby(complete["scholarship_level"] > 0).mean()
    assert by_scholarship[True] > by_scholarship[False]
    by_pcs = dropped.groupby(complete["parent_pcs"]).mean()
    assert by_pcs["disadvantaged"] > by_pcs["middle"] > by_pcs["favored_a"]
    share = complete.groupby("track")["parent_pcs"].value_counts(normalize=True)
    assert share["vocational", "disadvantaged"] > share["general", "disadvantaged"]
    assert share["vocational", "favored_a"] < share["general", "favored_a"]


def test_dropouts_are_absent_more_in_the_weeks_before_they_leave(medium: tuple) -> None:
    _, tables = medium
    enrollments = tables["enrollments"]
    attendance = tables["attendance"]
    unjustified = attendance[(attendance["kind"] == "absence") & ~attendance["justified"]]
    leavers = enrollments[
        (enrollments["exit_reason"] == "dropped_out")
        & (enrollments["end_date"].dt.month.isin([10, 11, 12, 1, 2, 3, 4, 5, 6]))
    ]
    assert len(leavers) > 50
    dropouts = set(enrollments.loc[enrollments["exit_reason"] == "dropped_out", "student_id"])
    others = enrollments[~enrollments["student_id"].isin(dropouts)]
    daily = unjustified[~unjustified["student_id"].isin(dropouts)].groupby("date").size()
    daily = daily.reindex(pd.date_range("2023-09-01", EXTRACTION), fill_value=0).cumsum()
    ratios = []
    for leaver in leavers.itertuples():
        end = leaver.end_date
        begin = end - pd.Timedelta(weeks=8)
        own = unjustified[
            (unjustified["student_id"] == leaver.student_id)
            & (unjustified["date"] > begin)
            & (unjustified["date"] <= end)
        ]
        enrolled = others[
            (others["school_year"] == leaver.school_year)
            & (others["start_date"] <= max(begin, leaver.start_date))
            & (others["end_date"].isna() | (others["end_date"] >= end))
        ]
        other_mean = (daily[end] - daily[begin]) / max(enrolled["student_id"].nunique(), 1)
        ratios.append((len(own), other_mean))
    own_mean = np.mean([own for own, _ in ratios])
    others_mean = np.mean([other for _, other in ratios])
    assert own_mean > 4 * others_mean


def test_absenteeism_by_kind_and_season_follows_depp(medium: tuple) -> None:
    _, tables = medium
    months = absentee_months(tables)
    by_kind = months.groupby("kind")["absentee"].mean()
    assert by_kind["college"] < by_kind["lycee_gt"] < by_kind["lycee_pro"]
    assert 0.02 < by_kind["college"] < 0.08 and 0.10 < by_kind["lycee_pro"] < 0.25
    by_month = months.groupby("month")["absentee"].mean()
    assert by_month[9] < 0.6 * by_month[3]
    by_establishment = months.groupby("uai")["absentee"].mean()
    assert by_establishment.quantile(0.75) > 2 * by_establishment.quantile(0.25)


def test_grades_and_exams_are_plausible(medium: tuple) -> None:
    _, tables = medium
    grades = tables["grades"]
    assert set(grades["out_of"]) == {10.0, 20.0} and set(grades["coefficient"]) == {1, 2, 3}
    on_20 = grades["value"] / grades["out_of"] * 20
    assert 10 < on_20.mean() < 13.5
    period_1 = grades["date"].dt.month.isin([9, 10, 11])
    assert (grades.loc[period_1, "period"] == 1).all()
    assert (grades.loc[grades["date"].dt.month.isin([4, 5, 6]), "period"] == 3).all()
    exams = tables["exams"]
    finals = exams[exams["exam"] != "mock"]
    rates = (finals["result"] == "pass").groupby(finals["exam"]).mean()
    published = {"dnb": 0.856, "cap": 0.849, "bac_general": 0.964, "bac_techno": 0.912,
                 "bac_pro": 0.841}  # fmt: skip
    for exam, rate in published.items():
        assert abs(rates[exam] - rate) < 0.04, exam
    sitting = _with_enrollment(finals[["student_id", "date"]], tables)
    exam_level = finals.loc[sitting["event"], "exam"].to_numpy()
    levels = sitting["level"].to_numpy()
    assert set(levels[exam_level == "dnb"]) == {"3e"}
    assert set(levels[exam_level == "bac_pro"]) == {"Tle_pro"}
    assert set(levels[exam_level == "cap"]) == {"CAP2"}


def test_outcomes_are_known_after_the_exit_or_in_october(medium: tuple) -> None:
    config, tables = medium
    outcomes = tables["outcomes"]
    enrollments = tables["enrollments"]
    last = enrollments.sort_values("start_date").drop_duplicates(
        ["student_id", "school_year"], keep="last"
    )
    merged = outcomes.merge(last, on=["student_id", "school_year"])
    assert len(merged) == len(outcomes)
    dropouts = merged[merged["dropped_out"]]
    assert (dropouts["exit_reason"] == "dropped_out").all()
    lag = (dropouts["known_on"] - dropouts["end_date"]).dt.days
    assert lag.between(0, 60).all()
    others = merged[~merged["dropped_out"]]
    assert (others["known_on"].dt.month == 10).all() and (others["known_on"].dt.day <= 10).all()
    complete = enrollments[enrollments["school_year"] < config.school_years[-1]]
    assert complete.groupby(["student_id", "school_year"]).ngroups == len(
        outcomes[outcomes["school_year"] < config.school_years[-1]]
    )
    year_end = dropouts[(dropouts["end_date"].dt.month == 8) & (dropouts["end_date"].dt.day == 31)]
    assert len(year_end) > 0  # some do not come back after the summer


# --- the latent side file (synthetic only, not a contract table) ------------------------------


def test_synthesize_writes_the_latent_risk_beside_the_tables_and_readers_ignore_it(
    tmp_path: Path,
) -> None:
    from features.extraction import open_extraction
    from features.synth.latent_file import LATENT_PATH
    from training.baselines import read_latent_risk
    from training.snapshots import class_week_mondays

    out = tmp_path / "extraction"
    summary = synthesize(out, establishments=3, students=300, years=2, seed=3)
    latent = read_latent_risk(out)
    assert latent is not None and (out / LATENT_PATH).is_file()
    # Years with outcomes only (the burn-in year is history), every class-week Monday of the
    # year before the extraction date, one row per student-week.
    assert sorted(latent["school_year"].unique()) == summary.school_years[1:]
    assert not latent.duplicated(["student_id", "school_year", "as_of"]).any()
    for year, rows in latent.groupby("school_year"):
        mondays = {d for d in class_week_mondays(year) if d < summary.extraction_date}
        assert set(pd.to_datetime(rows["as_of"]).dt.date) == mondays, year
    students = pd.read_parquet(out / "students.parquet")
    assert set(latent["student_id"]) <= set(students["student_id"])
    # Dropouts rank higher on average than the others.
    outcomes = pd.read_parquet(out / "outcomes.parquet")
    merged = latent.merge(outcomes, on=["student_id", "school_year"])
    by_fate = merged.groupby("dropped_out")["latent_risk"].mean()
    assert by_fate[True] > 3 * by_fate[False]
    # The readers of the extraction see the contract tables only.
    assert validate_extraction(out).ok
    with open_extraction(out) as extraction:
        assert {found.path.parent for found in extraction.files.values()} == {out.resolve()}
    # An extraction with its side file may be replaced (and the side file with it).
    write_extraction(generate_academie(_config(establishments=3, students=200, years=1)), out)
    assert not (out / LATENT_PATH).exists()
