"""The interviews planted in the synthetic académie, and the discontinuity that finds them.

Small académies (12 establishments, about 3,000 students, 2 years: about a second each) where
every level leaves at 20 % a year, so that the weeks around the cut hold enough leavers for
the test to have power (at the demo's rates, mostly collégiens who rarely leave, it has not).
Checked on seeds 1-4: with no effect every interval covered 0; with the planted effect every
interval excluded 0 and three of four covered it (seed 1: -0.80, interval -0.92 to -0.67)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from features.synth import load_config
from features.synth.generator import simulate
from training.interview_effect import estimate_interview_effect

PLANTED = 0.6
LEVELS = ("6e", "5e", "4e", "3e", "2nde", "1ere", "Tle", "2nde_pro", "1ere_pro", "Tle_pro",
          "CAP1", "CAP2")  # fmt: skip


def _draft(**interviews: object):  # type: ignore[no-untyped-def]
    overrides = {"burn_in_years": 0, "establishments": 12, "students": 3000, "years": 2,
                 "seed": 4, "dropout": {"annual_rate": dict.fromkeys(LEVELS, 0.2)},
                 "interviews": interviews}  # fmt: skip
    return simulate(load_config(overrides=overrides))


def _ranking(draft) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    return pd.concat(draft.interviews, ignore_index=True)


@pytest.fixture(scope="module")
def none():  # type: ignore[no-untyped-def]
    return _draft(enabled=True, effect=0.0)


@pytest.fixture(scope="module")
def planted():  # type: ignore[no-untyped-def]
    return _draft(enabled=True, effect=PLANTED)


def _same(a: object, b: object) -> bool:
    for field in dataclasses.fields(a):  # type: ignore[arg-type]
        left, right = getattr(a, field.name), getattr(b, field.name)
        if isinstance(left, np.ndarray):
            bitwise = (left.dtype, left.shape, left.tobytes())
            if bitwise != (right.dtype, right.shape, right.tobytes()):
                return False
        elif dataclasses.is_dataclass(left):
            if not _same(left, right):
                return False
        elif left != right:
            return False
    return True


def test_a_zero_effect_changes_nothing_in_the_academie(none) -> None:  # type: ignore[no-untyped-def]
    off = _draft()
    assert off.interviews == [] and len(none.interviews) == 2
    for name in ("segments", "attendance", "grades", "exams", "outcomes", "latent"):
        for year_off, year_on in zip(getattr(off, name), getattr(none, name), strict=True):
            assert _same(year_off, year_on), name


def test_the_queue_invites_capacity_once_a_year(none) -> None:  # type: ignore[no-untyped-def]
    ranking = _ranking(none)
    invited = ranking[ranking["invited"]]
    per_week = invited.groupby(["school_year", "uai", "day"]).size()
    assert (per_week == 3).all()  # the default capacity
    assert not invited.duplicated(["school_year", "row"]).any()
    assert (invited["rank"] <= invited["capacity"]).all()
    assert invited["treated"].all()


def test_planted_interviews_prevent_leaving(none, planted) -> None:  # type: ignore[no-untyped-def]
    def dropouts(draft) -> int:  # type: ignore[no-untyped-def]
        return sum(int(year.dropped_out.sum()) for year in draft.outcomes)

    assert dropouts(planted) < dropouts(none)


def test_the_estimate_finds_the_planted_effect(planted) -> None:  # type: ignore[no-untyped-def]
    estimate = estimate_interview_effect(_ranking(planted), treated="treated", n_boot=300)
    low, high = estimate.relative_interval
    assert high < 0  # excludes no effect
    assert low <= -PLANTED <= high
    assert estimate.effect < 0 and estimate.interval[1] < 0


def test_the_estimate_finds_none_when_there_is_none(none) -> None:  # type: ignore[no-untyped-def]
    for treated in (None, "treated"):
        estimate = estimate_interview_effect(_ranking(none), treated=treated, n_boot=300)
        low, high = estimate.interval
        assert low <= 0 <= high


def test_the_interviews_held_are_written_as_the_optional_contract_table(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from features.contract import CODES
    from features.synth import synthesize
    from features.validation import validate_extraction

    overrides = {"burn_in_years": 0, "establishments": 4, "students": 600, "years": 2,
                 "seed": 4, "interviews": {"enabled": True, "effect": 0.3}}  # fmt: skip
    config = load_config(overrides=overrides)
    out = tmp_path / "planted"
    synthesize(out, config=config, file_format="csv")
    written = pd.read_csv(out / "interviews.csv", dtype=str, keep_default_na=False)
    assert list(written.columns) == ["student_id", "date", "solution"]
    queue = _ranking(simulate(config))
    assert len(written) == int(queue["invited"].sum()) > 0
    assert set(written["solution"]) <= set(CODES["interview_solution"])
    assert not written.duplicated(["student_id", "date"]).any()
    report = validate_extraction(out)
    assert report.ok, report.summary()
    assert report.row_counts["interviews"] == len(written)
    # Off (the default): no table, and the extraction is valid without it.
    plain = tmp_path / "plain"
    synthesize(plain, establishments=4, students=600, years=2, burn_in_years=0, seed=4,
               file_format="csv")  # fmt: skip
    assert not (plain / "interviews.csv").exists()
    assert validate_extraction(plain).ok
