"""Realised outcomes of weeks written by the weekly run, learnt from a later extraction: the
weeks' recorded students labelled as the evaluation labels them, the real invitations
counted by the replay's code (`serving.monitoring.run`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from features.labels import horizon_labels
from features.validation import require_valid
from serving.db import open_store
from serving.monitoring.run import monitor_week
from serving.monitoring.store import week_invitations
from serving.scoring import score_week
from training.snapshots import extraction_last_event

from .test_scoring_support import academie, registered, risk_model

__all__ = ["academie", "registered", "risk_model"]  # fixtures

# Two Mondays of May 2026, when most of the year's future dropouts are known to the lists:
# the académie's extraction runs to late November 2026, so their 26-week horizon is observed.
WEEKS = (dt.date(2026, 5, 4), dt.date(2026, 5, 11))


def test_realised_outcomes_of_written_weeks_from_a_later_extraction(
    academie: Path, registered, tmp_path: Path
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    try:
        for week in WEEKS:
            score_week(academie, week, store, registered, home=tmp_path, watch_threshold=None)
        without = monitor_week(store)
        assert "no later extraction" in without.payloads["outcomes"]["unavailable"]
        outcomes = monitor_week(store, extraction=academie).payloads["outcomes"]
        with store.reading() as session:
            invited = week_invitations(session, list(WEEKS))
    finally:
        store.dispose()
    assert (outcomes["weeks_judged"], outcomes["weeks_without_data"]) == (2, [])
    overall = outcomes["overall"]
    assert overall["invitations"] == len(invited) > 0
    # The invitations that went to future dropouts, counted here from the labels directly.
    with require_valid(academie) as extraction:
        frame = invited.assign(school_year="2025-2026")
        labels = horizon_labels(frame, extraction, extraction_last_event(extraction))
    hits = int((labels["label"] == 1).sum())
    known = int((~labels["censored"]).sum())
    assert overall["invitation_precision"] == pytest.approx(hits / known)
    reached = frame.loc[(labels["label"] == 1).to_numpy(), "student_id"].nunique()
    assert overall["dropouts_reached"] == reached > 0
    per_school = outcomes["establishments"].values()
    assert sum(row["invitations"] for row in per_school) == overall["invitations"]
    assert overall["dropouts_reached_ahead"] <= overall["dropouts_reached"]
