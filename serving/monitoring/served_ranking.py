"""The weeks Vigie served, as the interview effect's regression discontinuity reads them
(`training.interview_effect.served_ranking`): each published list's candidates around the
capacity cut, labelled with the exits a later extraction records.

A list's candidates are its students not in follow-up: the invited (ranks 1 to the
capacity) and, beyond the slots, the watched (the next ranks, down to the watch threshold;
students under it are not stored, so a week's outside side is as long as its watch tier).
Followed students are not candidates (they never take a slot). Purged weeks have no entries
left and count for nothing; an establishment's week whose Monday fell under the stop switch
(`vigie suspend`, for it or for every establishment) was not served and is left out.
The outcome is the fixed-horizon label of `features.labels`
(the one the models learn), observed up to the later extraction's last event; interviews
held come from the store, for the fuzzy variant. Aggregates only leave this module's
caller (`vigie interview-effect --served`): an estimate, never a student."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from features.calendar import school_year_of
from serving.db.engine import Store
from serving.db.models import Interview, ListEntry, Suspension, WeeklyList
from training.interview_effect import served_ranking

__all__ = ["held_interviews", "served_candidates", "served_weeks_ranking", "unserved"]


def served_candidates(session: Session) -> pd.DataFrame:
    """Every stored list's students in the slots or beyond them (tiers `invite`, `watch`):
    week, as_of, uai, student_id, rank, capacity, school_year."""
    rows = session.execute(
        select(WeeklyList.week, WeeklyList.as_of, WeeklyList.uai, ListEntry.student_id,
               ListEntry.rank, WeeklyList.weekly_interview_capacity)
        .join(ListEntry, ListEntry.list_id == WeeklyList.id)
        .where(ListEntry.tier.in_(("invite", "watch")))
        .order_by(WeeklyList.week, WeeklyList.uai, ListEntry.rank)
    ).all()  # fmt: skip
    columns = ["week", "as_of", "uai", "student_id", "rank", "capacity"]
    frame = pd.DataFrame([tuple(row) for row in rows], columns=columns)
    frame["school_year"] = [school_year_of(day) for day in frame["as_of"]]
    return frame


def unserved(session: Session, candidates: pd.DataFrame) -> pd.Series:
    """Whether each candidate's list was suspended on its week's Monday (the stop switch of
    its establishment or of every one: stored, not served)."""
    suspended = pd.Series(False, index=candidates.index)
    for uai, since, until in session.execute(
        select(Suspension.uai, Suspension.suspended_at, Suspension.resumed_at)
    ).all():  # fmt: skip
        week = pd.to_datetime(candidates["week"])
        covered = week >= pd.Timestamp(since.date())
        if until is not None:
            covered &= week < pd.Timestamp(until.date())
        if uai is not None:
            covered &= candidates["uai"] == uai
        suspended |= covered
    return suspended


def held_interviews(session: Session) -> pd.DataFrame:
    """The interviews held, dated: student_id, interview_date."""
    rows = session.execute(
        select(Interview.student_id, Interview.interview_date)
        .where(Interview.status == "held", Interview.interview_date.is_not(None))
        .order_by(Interview.id)
    ).all()  # fmt: skip
    return pd.DataFrame([tuple(row) for row in rows], columns=["student_id", "interview_date"])


def served_weeks_ranking(store: Store, extraction: str | Path) -> pd.DataFrame:
    """The ranking frame of every served week, with `left` from the later `extraction`
    (validated first: `InvalidExtractionError` names table, row and column) and `treated`
    from the interviews held."""
    from features.labels import horizon_labels
    from features.validation import require_valid
    from training.snapshots import extraction_last_event

    with store.reading() as session:
        candidates = served_candidates(session)
        candidates = candidates[~unserved(session, candidates)].reset_index(drop=True)
        held = held_interviews(session)
    if candidates.empty:
        raise ValueError("no served list has a student in its slots: nothing to estimate")
    keys = candidates.assign(as_of=pd.to_datetime(candidates["as_of"]))
    with require_valid(extraction) as opened:
        observed_until = extraction_last_event(opened)
        if observed_until is None:
            raise ValueError(f"the extraction in {extraction} records no event")
        labels = horizon_labels(keys[["student_id", "as_of", "school_year"]], opened,
                                observed_until)  # fmt: skip
    return served_ranking(keys, labels, held)
