"""The interview effect estimated from the weeks Vigie served (`vigie interview-effect
--served`): the store's published lists (rank, each establishment's capacity that week) and
the exits of a later extraction, through the one regression-discontinuity estimator. A small
store and extraction built here, with leaving planted by rank: the estimate finds the jump
planted at the cut, and none when there is none."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from features.calendar import school_year_of
from serving.db import Store, open_store
from serving.db.models import Interview
from serving.monitoring.served_ranking import served_weeks_ranking
from serving.weekly import replace_week_lists
from tests.features.conftest import (
    absence,
    enrollment,
    establishment,
    exam,
    grade,
    outcome,
    student,
    write_extraction,
)
from tests.serving.conftest import establishment as listed_establishment
from training.interview_effect import estimate_interview_effect

WEEKS = [dt.date(2025, 10, 6) + dt.timedelta(weeks=w) for w in range(6)]
UAIS = [f"03500{n:02d}A" for n in range(10)]
CAPACITY = 2
RANKS = 8  # 2 invited, 6 watched beyond the slots
YEAR = school_year_of(WEEKS[0])


def _leaves(rank: int, index: int, inside: float, outside: float) -> bool:
    """Leaving planted by rank, deterministic: a share `inside` of the invited rows of each
    rank leave, `outside` of the others (index runs over the rank's rows)."""
    share = inside if rank <= CAPACITY else outside
    return (index % 10) < round(share * 10)


def _build(tmp_path: Path, inside: float, outside: float) -> tuple[Store, Path]:
    """Ten establishments, six served weeks, each list a fresh set of students ranked 1 to
    8; the later extraction records who left (30 days after the week) and who stayed."""
    store = open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    rows: dict[str, list[dict]] = {name: [] for name in ("establishments", "students",
                                                         "enrollments", "outcomes")}  # fmt: skip
    rows["establishments"] = [establishment(uai) for uai in UAIS]
    seen = {rank: 0 for rank in range(1, RANKS + 1)}
    for week in WEEKS:
        lists = []
        for uai in UAIS:
            risks = {}
            for rank in range(1, RANKS + 1):
                student_id = f"S{uai[-3:-1]}{week:%m%d}{rank}"
                risks[student_id] = 0.9 - 0.1 * rank
                left = _leaves(rank, seen[rank], inside, outside)
                seen[rank] += 1
                rows["students"].append(student(student_id))
                rows["enrollments"].append(enrollment(
                    student_id, YEAR, uai, "3e",
                    end_date=week + dt.timedelta(days=30) if left else None,
                    exit_reason="dropped_out" if left else None,
                ))  # fmt: skip
                rows["outcomes"].append(outcome(student_id, YEAR, left, dt.date(2026, 7, 10)))
            lists.append(listed_establishment(uai, f"Collège {uai}", CAPACITY, risks))
        replace_week_lists(store, as_of=week, model_version="vigie-dropout/1",
                           establishments=lists, watch_threshold=0.05)  # fmt: skip
    first = next(e["student_id"] for e in rows["enrollments"] if e["end_date"] is None)
    # One event late enough that every 26-week horizon is observed.
    rows["attendance"] = [absence(first, dt.date(2026, 6, 15))]
    rows["grades"] = [grade(first, dt.date(2025, 11, 20), 12)]
    rows["exams"] = [exam(first, dt.date(2026, 3, 12))]
    return store, write_extraction(tmp_path / "later", rows)


@pytest.mark.parametrize(("inside", "outside"), [(0.1, 0.5), (0.3, 0.3)])
def test_the_served_weeks_give_the_planted_jump(tmp_path: Path, inside: float,
                                                 outside: float) -> None:  # fmt: skip
    store, later = _build(tmp_path, inside, outside)
    try:
        ranking = served_weeks_ranking(store, later)
    finally:
        store.dispose()
    # Every listed student not in follow-up, none censored: 10 x 6 x 8 rows.
    assert len(ranking) == len(UAIS) * len(WEEKS) * RANKS
    assert set(ranking["rank"]) == set(range(1, RANKS + 1))
    assert (ranking["capacity"] == CAPACITY).all()
    estimate = estimate_interview_effect(ranking, 1.0, n_boot=50, seed=1)
    assert estimate.leaving_invited == pytest.approx(inside)
    assert estimate.leaving_not_invited == pytest.approx(outside)
    assert estimate.effect == pytest.approx(inside - outside, abs=1e-9)
    assert estimate.establishments == len(UAIS)
    # Nobody was interviewed: the fuzzy variant has no first stage to divide by.
    assert not ranking["treated"].any()


def test_the_fuzzy_variant_reads_the_interviews_held_and_the_command_prints_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, later = _build(tmp_path, 0.1, 0.5)
    ranking = served_weeks_ranking(store, later)
    invited = ranking[ranking["rank"] <= CAPACITY]
    # Every invited student is interviewed the Tuesday of the week; half the first ranks
    # outside the slots are interviewed later (invited a later week).
    outside = ranking[ranking["rank"] == CAPACITY + 1].iloc[::2]
    with store.transaction() as session:
        for frame, days in ((invited, 1), (outside, 15)):
            for row in frame.itertuples():
                session.add(Interview(
                    student_id=row.student_id, uai=row.uai, status="held",
                    interview_date=row.as_of.date() + dt.timedelta(days=days),
                    solution="tutoring", created_by="cpe", updated_by="cpe",
                ))  # fmt: skip
    fuzzy = served_weeks_ranking(store, later)
    store.dispose()
    assert fuzzy.loc[fuzzy["rank"] <= CAPACITY, "treated"].all()
    assert fuzzy.loc[fuzzy["rank"] == CAPACITY + 1, "treated"].mean() == pytest.approx(0.5)
    assert not fuzzy.loc[fuzzy["rank"] > CAPACITY + 1, "treated"].any()
    sharp = estimate_interview_effect(fuzzy, 1.0, n_boot=50, seed=1)
    wald = estimate_interview_effect(fuzzy, 1.0, treated="treated", n_boot=50, seed=1)
    assert wald.first_stage is not None and 0 < wald.first_stage < 1
    assert wald.effect == pytest.approx(sharp.effect / wald.first_stage)

    from vigie.cli import app

    monkeypatch.setenv("VIGIE_DATABASE_URL", f"sqlite:///{tmp_path / 'store.sqlite3'}")
    monkeypatch.setenv("VIGIE_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    args = ["interview-effect", "--served", "--extraction", str(later), "--n-boot", "50",
            "--seed", "1", "--quiet"]  # fmt: skip
    result = runner.invoke(app, [*args, "--fuzzy", "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["effect"] == pytest.approx(wald.effect)
    assert shown["first_stage"] == pytest.approx(wald.first_stage)
    english = runner.invoke(app, [*args, "--lang", "en"])
    assert english.exit_code == 0, english.output
    assert "Served weeks" in english.output and "should cover 0" not in english.output
    refused = runner.invoke(app, ["interview-effect", "--fuzzy", "--run", "x"])
    assert refused.exit_code != 0 and "--served" in refused.output


def test_a_week_under_the_stop_switch_was_not_served(tmp_path: Path) -> None:
    from serving.db.models import Suspension

    store, later = _build(tmp_path, 0.1, 0.5)
    utc = dt.UTC
    with store.transaction() as session:
        # One school suspended for the weeks 3 and 4; every school for week 6, still on.
        session.add(Suspension(
            uai=UAIS[0], reason="contrôle", suspended_by="admin",
            suspended_at=dt.datetime.combine(WEEKS[2], dt.time(7), utc),
            resumed_at=dt.datetime.combine(WEEKS[4], dt.time(7), utc),
            resumed_by="admin", resume_reason="vérifié",
        ))  # fmt: skip
        session.add(
            Suspension(
                uai=None,
                reason="incident",
                suspended_by="admin",
                suspended_at=dt.datetime.combine(WEEKS[5], dt.time(7), utc),
            )
        )
    ranking = served_weeks_ranking(store, later)
    store.dispose()
    weeks = {(uai, day.date()) for uai, day in zip(ranking["uai"], ranking["as_of"], strict=True)}
    assert (UAIS[0], WEEKS[2]) not in weeks and (UAIS[0], WEEKS[3]) not in weeks
    assert (UAIS[0], WEEKS[4]) in weeks and (UAIS[1], WEEKS[2]) in weeks
    assert not any(day == WEEKS[5] for _, day in weeks)
    assert len(ranking) == (len(UAIS) * (len(WEEKS) - 1) - 2) * RANKS
