"""The demo's school year: the lists of the weeks before the demo's week, and what a watch
unit decided about them, so that the dashboard shows a year in motion (risk over the weeks,
changes since last week, "new this week", students in follow-up).

The features of every week come from one build over all the dates (`vigie.demo`); each week
is then scored, queued and written oldest first with the weekly run's own pieces
(`serving.scoring.week_lists`, `serving.weekly.replace_week_lists`, the decisions as the
store holds them), so each week's changes and follow-up are those of the weeks written
before it.

After each past week is written, a synthetic watch unit (`DEMO_ACTOR`, named as such in the
audit log, the interviews and the dismissals) decides about part of the week's invited
students through the services a watch unit uses (`serving.services.interviews`): interviews
held with a solution, interviews under way (held two weeks later when the student is still
there), dismissals. Each decision is dated on a class day of its week: the services read the
day of the request and the time of the write from the clock that `demo_clock` sets; the
audit entries keep the real time at which the demo wrote them. The choice is a pure function
of the demo's seed and the week (`plan_decisions`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from features.calendar import calendar_for, school_year_of
from serving.db.vocabulary import InterviewSolution
from serving.services.actor import Actor

if TYPE_CHECKING:
    from features.feature_set import FeatureSet
    from models.queue import FollowUpRule
    from serving.db.engine import Store
    from serving.weekly import WeekWriteResult

__all__ = [
    "DEMO_ACTOR_NAME",
    "DEMO_HISTORY_WEEKS",
    "HELD_AFTER_WEEKS",
    "SHARES",
    "PlannedDecision",
    "demo_actor",
    "demo_clock",
    "demo_weeks",
    "plan_decisions",
    "score_demo_weeks",
]

# Weeks written by the demo, its own week included: from the first Monday after the rentrée,
# at most this many (13 reach back to the rentrée of the demo académie, cut on 27 November).
DEMO_HISTORY_WEEKS = 13
DEMO_ACTOR_NAME = "demo:synthetic-watch-unit"
# Of a past week's invited students: the share whose interview is held that week, the share
# invited (an interview under way), the share dismissed; the others wait for a later week.
SHARES: dict[str, float] = {"held": 0.25, "under_way": 0.15, "dismissed": 0.08}
# An interview under way is held this many weeks after it started, if the student is still
# enrolled in the establishment that started it.
HELD_AFTER_WEEKS = 2
_SOLUTIONS: dict[InterviewSolution, float] = {
    "tutoring": 0.35,
    "aar": 0.2,
    "other": 0.15,
    "morea": 0.1,
    "foquale": 0.1,
    "insertion": 0.05,
    "return_to_training": 0.05,
}
_NOTE = "Décision fictive enregistrée par la démonstration (`vigie demo`), académie synthétique."
_DISMISSAL_REASONS = (
    "Démonstration : élève déjà accompagné par l'assistante sociale.",
    "Démonstration : absences justifiées après vérification auprès de la famille.",
    "Démonstration : situation connue, suivie par le professeur principal.",
)
_WRITTEN_BY = "vigie demo (synthetic school year)"


@dataclass(frozen=True)
class PlannedDecision:
    """A decision of the synthetic watch unit about an invited student, on `day`."""

    student_id: str
    kind: Literal["held", "under_way", "dismissed"]
    day: dt.date
    solution: InterviewSolution | None = None
    reason: str | None = None


def demo_weeks(as_of: dt.date, count: int = DEMO_HISTORY_WEEKS) -> list[dt.date]:
    """The Mondays of the demo's lists, oldest first, ending with `as_of` (a Monday): at most
    `count`, none before the first Monday after the rentrée of `as_of`'s school year."""
    if count < 1:
        raise ValueError(f"the demo writes at least one week, not {count}")
    rentree = calendar_for(school_year_of(as_of)).rentree
    first_monday = rentree + dt.timedelta(days=7 - rentree.weekday())
    weeks = [as_of - dt.timedelta(weeks=n) for n in range(count)]
    return sorted(week for week in weeks if week >= first_monday) or [as_of]


def _class_days(week: dt.date) -> list[dt.date]:
    calendar = calendar_for(school_year_of(week))
    days = (week + dt.timedelta(days=n) for n in range(5))
    return [day for day in days if calendar.is_class_day(day)]


def plan_decisions(invited: Sequence[str], week: dt.date, seed: int) -> list[PlannedDecision]:
    """The synthetic watch unit's decisions about `invited` (the week's invited students, in
    list order), dated on class days of `week` (none in a week without class). A pure
    function of the students, the week and `seed`."""
    days = _class_days(week)
    if not days or not invited:
        return []
    rng = np.random.default_rng([seed, week.toordinal()])
    draws = rng.random(len(invited))
    day_picks = rng.integers(0, len(days), len(invited))
    solutions = list(_SOLUTIONS)
    solution_picks = rng.choice(len(solutions), len(invited), p=list(_SOLUTIONS.values()))
    reason_picks = rng.integers(0, len(_DISMISSAL_REASONS), len(invited))
    held, under_way, dismissed = (SHARES[kind] for kind in ("held", "under_way", "dismissed"))
    plans: list[PlannedDecision] = []
    for n, student_id in enumerate(invited):
        day = days[day_picks[n]]
        if draws[n] < held:
            plans.append(PlannedDecision(student_id, "held", day, solutions[solution_picks[n]]))
        elif draws[n] < held + under_way:
            plans.append(PlannedDecision(student_id, "under_way", day))
        elif draws[n] < held + under_way + dismissed:
            reason = _DISMISSAL_REASONS[reason_picks[n]]
            plans.append(PlannedDecision(student_id, "dismissed", day, reason=reason))
    return plans


def demo_actor(establishments: Sequence[str]) -> Actor:
    """The synthetic watch unit: the watch unit of every establishment of the académie."""
    return Actor(DEMO_ACTOR_NAME, "watch_unit", frozenset(establishments))


@contextmanager
def demo_clock(day: dt.date) -> Iterator[None]:
    """Within the block, the interview services take `day` as the day of the request (whose
    establishment the student is in) and 10:00 UTC on `day` as the time of their writes
    (when an interview under way started). The audit log keeps its real clock."""
    from serving.db import enrollments
    from serving.services import interviews

    moment = dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC)
    saved = enrollments.request_date, interviews.utc_now
    enrollments.request_date = lambda: day
    interviews.utc_now = lambda: moment
    try:
        yield
    finally:
        enrollments.request_date, interviews.utc_now = saved


def _record(store: Store, actor: Actor, plan: PlannedDecision) -> None:
    from serving.services import dismiss_student, record_interview
    from serving.services.inputs import NewDismissal, NewInterview

    with demo_clock(plan.day):
        if plan.kind == "dismissed":
            week = plan.day - dt.timedelta(days=plan.day.weekday())
            assert plan.reason is not None
            dismiss_student(store, actor, NewDismissal(student_id=plan.student_id,
                                                       reason=plan.reason, week=week))  # fmt: skip
            return
        held = plan.kind == "held"
        new = NewInterview(
            student_id=plan.student_id,
            status="held" if held else "invited",
            interview_date=plan.day if held else None,
            solution=plan.solution,
            notes=_NOTE,
        )
        record_interview(store, actor, new)


def _hold_interviews_started_before(store: Store, actor: Actor, week: dt.date, seed: int) -> int:
    """The demo's interviews under way that started `HELD_AFTER_WEEKS` weeks before `week`
    or earlier are held on a class day of `week`, when the student is still enrolled in
    their establishment then; how many."""
    from sqlalchemy import select

    from serving.db import enrollments
    from serving.db.models import Interview
    from serving.db.vocabulary import OPEN_INTERVIEW_STATUSES
    from serving.services import update_interview
    from serving.services.inputs import InterviewChanges

    days = _class_days(week)
    if not days:
        return 0
    started_before = dt.datetime.combine(
        week - dt.timedelta(weeks=HELD_AFTER_WEEKS - 1), dt.time(0), tzinfo=dt.UTC
    )
    with store.reading() as session:
        open_ones = session.execute(
            select(Interview.id, Interview.student_id, Interview.uai)
            .where(
                Interview.created_by == actor.username,
                Interview.status.in_(OPEN_INTERVIEW_STATUSES),
                Interview.created_at < started_before,
            )
            .order_by(Interview.id)
        ).all()
        due = [
            (interview_id, student_id)
            for interview_id, student_id, uai in open_ones
            if enrollments.current_establishment(session, student_id, days[-1]) == uai
        ]
    rng = np.random.default_rng([seed, week.toordinal(), 1])
    solutions = list(_SOLUTIONS)
    day_picks = rng.integers(0, len(days), len(due))
    solution_picks = rng.choice(len(solutions), len(due), p=list(_SOLUTIONS.values()))
    for n, (interview_id, _) in enumerate(due):
        day = days[day_picks[n]]
        changes = InterviewChanges(status="held", interview_date=day,
                                   solution=solutions[solution_picks[n]])  # fmt: skip
        with demo_clock(day):
            update_interview(store, actor, interview_id, changes)
    return len(due)


def _invited(store: Store, week: dt.date) -> list[str]:
    """The students to invite on the week's lists, by establishment then rank."""
    from sqlalchemy import select

    from serving.db.models import ListEntry, WeeklyList

    with store.reading() as session:
        return list(
            session.scalars(
                select(ListEntry.student_id)
                .join(WeeklyList, ListEntry.list_id == WeeklyList.id)
                .where(WeeklyList.week == week, ListEntry.tier == "invite")
                .order_by(WeeklyList.uai, ListEntry.rank)
            )
        )


def _decided_before(store: Store) -> bool:
    """Whether the synthetic watch unit already decided (a demo run again on its store)."""
    from sqlalchemy import exists, or_, select

    from serving.db.models import Dismissal, Interview

    with store.reading() as session:
        return bool(
            session.scalar(
                select(
                    or_(
                        exists().where(Interview.created_by == DEMO_ACTOR_NAME),
                        exists().where(Dismissal.created_by == DEMO_ACTOR_NAME),
                    )
                )
            )
        )


@dataclass(frozen=True)
class DemoWeek:
    """What the demo wrote for a week: the lists, and the decisions taken during it."""

    written: WeekWriteResult
    decisions: int = 0


def score_demo_weeks(
    extraction: Path,
    week_features: Callable[[dt.date], FeatureSet],
    weeks: Sequence[dt.date],
    *,
    seed: int,
    on_week: Callable[[DemoWeek], None] = lambda week: None,
) -> list[DemoWeek]:
    """Write the lists of `weeks` (oldest first) with the champion, as `vigie score` does,
    from the features `week_features(week)` gives; after each week but the last, record the
    synthetic watch unit's decisions of that week (unless a previous demo run on this store
    already did). `extraction` must be valid (the demo validated it)."""
    from features.extraction import open_extraction
    from serving.db import open_store

    # The weekly run after its feature build (`score_week` builds one date each time, which
    # the demo did once for all its weeks).
    from serving.scoring import DEFAULT_WATCH_THRESHOLD, load_registered_model, score_features
    from settings import load_settings
    from training.tracking import setup_tracking

    settings = load_settings()
    setup_tracking(settings.home)
    model = load_registered_model()
    rule = _rule(settings.serving.dismissal_weeks)
    store = open_store(settings.resolved_database_url)
    done: list[DemoWeek] = []
    try:
        decide = not _decided_before(store)
        with open_extraction(extraction) as opened:
            establishments = opened.con.execute("SELECT uai FROM establishments").fetchall()
            actor = demo_actor(sorted(str(uai) for (uai,) in establishments))
            write = partial(
                score_features,
                opened,
                store=store,
                model=model,
                home=settings.home,
                watch_threshold=DEFAULT_WATCH_THRESHOLD,
                rule=rule,
                by=_WRITTEN_BY,
            )
            for position, week in enumerate(weeks):
                written = write(week_features(week), week).written
                decisions = 0
                if decide and position < len(weeks) - 1:
                    decisions = _hold_interviews_started_before(store, actor, week, seed)
                    plans = plan_decisions(_invited(store, week), week, seed)
                    for plan in plans:
                        _record(store, actor, plan)
                    decisions += len(plans)
                done.append(DemoWeek(written, decisions))
                on_week(done[-1])
    finally:
        store.dispose()
    return done


def _rule(dismissal_weeks: int) -> FollowUpRule:
    from models.queue import DEFAULT_FOLLOW_UP

    return dataclasses.replace(DEFAULT_FOLLOW_UP, dismissal_weeks=dismissal_weeks)
