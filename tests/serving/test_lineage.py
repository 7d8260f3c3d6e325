"""Each week's lineage (`serving.lineage`): the weekly run records the week's snapshot and
contributions with their hashes; every read checks them and refuses clearly when they are
missing or altered; rewriting a week replaces its artifacts with its list, all or nothing,
and a student's rows stay readable only through the establishment that listed them."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from features.builder import build_features
from features.contract import SENSITIVE_COLUMNS
from features.feature_set import row_positions
from models.contributions import BASE_VALUE
from serving.db import Store, open_store
from serving.db.models import ListEntry, WeeklyList, WeeklyRun
from serving.lineage import (
    CONTRIBUTIONS_FILE,
    FEATURES_FILE,
    WeekDataUnavailable,
    WeekLineage,
    recorded_week,
    stage_week,
    weeks_folder,
)
from serving.scoring import RegisteredModel, score_week
from serving.services import AccessDenied, Conflict
from serving.services.dashboard_explain import get_student_waterfall
from serving.services.dashboard_history import get_levels_and_classes, get_student_events
from serving.weekly import replace_week_lists

from .conftest import make_actor
from .test_scoring_support import AS_OF, academie, registered, risk_model

__all__ = ["academie", "registered", "risk_model"]  # fixtures

EARLIER = AS_OF - dt.timedelta(weeks=1)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def store(home: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{home / 'serving' / 'store.sqlite3'}")
    yield opened
    opened.dispose()


@pytest.fixture
def extraction(academie: Path, tmp_path: Path) -> Path:
    """A copy of the académie of the test's own (some tests alter it)."""
    copy = tmp_path / "extraction"
    shutil.copytree(academie, copy)
    return copy


def _score(extraction: Path, as_of: dt.date, store: Store, model: RegisteredModel, home: Path,
           threshold: float | None = 0.2) -> None:  # fmt: skip
    score_week(extraction, as_of, store, model, home=home, watch_threshold=threshold)


def _lineage(store: Store, week: dt.date) -> WeekLineage:
    with store.reading() as session:
        return recorded_week(session, week)


def _listed(store: Store, week: dt.date) -> set[tuple[str, str]]:
    with store.reading() as session:
        rows = session.execute(
            select(WeeklyList.uai, ListEntry.student_id)
            .join(ListEntry, ListEntry.list_id == WeeklyList.id)
            .where(WeeklyList.week == week)
        )
        return {(uai, student_id) for uai, student_id in rows}


def _folders(home: Path, as_of: dt.date) -> list[Path]:
    day = weeks_folder(home) / as_of.isoformat()
    return sorted(day.iterdir()) if day.is_dir() else []


def test_the_weekly_run_records_the_weeks_data_and_they_read_back_verified(
    extraction: Path, registered: RegisteredModel, store: Store, home: Path
) -> None:
    _score(extraction, AS_OF, store, registered, home)
    lineage = _lineage(store, AS_OF)
    assert lineage.model_version == registered.label == "vigie-dropout/1"
    assert lineage.as_of == AS_OF and lineage.week == AS_OF
    assert Path(lineage.extraction_path) == extraction.resolve()
    [folder] = _folders(home, AS_OF)
    assert Path(lineage.features_path) == folder / FEATURES_FILE
    assert Path(lineage.contributions_path) == folder / CONTRIBUTIONS_FILE
    for path, sha256 in ((lineage.features_path, lineage.features_sha256),
                         (lineage.contributions_path, lineage.contributions_sha256)):  # fmt: skip
        assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == sha256
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary left

    # The snapshot: every student scored, the features as built, no sensitive attribute.
    built = build_features(extraction, [AS_OF]).frame
    snapshot = lineage.features()
    assert len(snapshot) == len(built)
    assert not set(SENSITIVE_COLUMNS) & set(snapshot.columns)
    expected = built.drop(columns=list(SENSITIVE_COLUMNS)).sort_values(["uai", "student_id"])
    pd.testing.assert_frame_equal(snapshot, expected.reset_index(drop=True), check_dtype=False)
    one = lineage.features(
        uai=str(built["uai"].iloc[0]), student_id=str(built["student_id"].iloc[0])
    )
    assert len(one) == 1

    # The contributions: exactly the listed students, each summing to the risk listed.
    contributions = lineage.contributions()
    assert set(zip(contributions["uai"], contributions["student_id"], strict=True)) == _listed(
        store, AS_OF
    )
    with store.reading() as session:
        risks = dict(session.execute(
            select(ListEntry.student_id, ListEntry.risk)
            .join(WeeklyList, ListEntry.list_id == WeeklyList.id)
            .where(WeeklyList.week == AS_OF)
        ).all())  # fmt: skip
    raw = contributions.drop(columns=["student_id", "uai"]).sum(axis=1).to_numpy()
    calibrated = registered.model.calibrator_.predict(raw)
    expected = contributions["student_id"].map(risks).to_numpy()
    np.testing.assert_allclose(calibrated, expected, atol=1e-9)
    assert BASE_VALUE in contributions.columns
    # Taken from the lists' explanations, they are bit for bit the model's on those rows.
    at = row_positions(built, set(contributions["student_id"]))
    pairs = zip(contributions["uai"], contributions["student_id"], strict=True)
    rows = built.iloc[[at[pair] for pair in pairs]]
    np.testing.assert_array_equal(
        contributions.drop(columns=["student_id", "uai"]).to_numpy(),
        registered.model.contributions(rows).to_numpy(),
    )
    assert lineage.extraction() == extraction.resolve()


def test_a_week_listing_nobody_records_empty_contributions(
    extraction: Path, registered: RegisteredModel, store: Store, home: Path
) -> None:
    """No interview slot anywhere and no watch tier: nobody is explained, the week is
    written with empty lists and an empty contributions file of the model's columns."""
    path = extraction / "establishments.parquet"
    establishments = pd.read_parquet(path)
    establishments["weekly_interview_capacity"] = 0
    establishments.to_parquet(path, index=False)
    _score(extraction, AS_OF, store, registered, home, threshold=None)
    assert _listed(store, AS_OF) == set()
    contributions = _lineage(store, AS_OF).contributions()
    assert len(contributions) == 0
    assert list(contributions.columns) == [
        "student_id",
        "uai",
        *registered.model.feature_names,
        BASE_VALUE,
    ]


def test_the_listed_students_contributions_are_taken_from_those_computed_for_the_lists(
    extraction: Path, registered: RegisteredModel, home: Path
) -> None:
    """`StagedWeek.knowing`: the week's lineage takes the contributions of its listed students
    from those the lists' explanations computed, computes those of the students it lacks (a
    decision recorded since moved one into a list), and writes the same bytes either way."""
    feature_set = build_features(extraction, [AS_OF])
    frame = feature_set.frame
    every = zip(frame["uai"].astype(str), frame["student_id"].astype(str), strict=True)
    pairs = sorted(every)[::37][:8]
    staged = stage_week(home, AS_OF, feature_set, extraction, registered.model, registered.label)
    path = staged.folder / CONTRIBUTIONS_FILE

    def written(known: pd.DataFrame | None) -> bytes:
        if known is not None:
            staged.knowing(known)
        staged.finish(reversed(pairs))
        return path.read_bytes()

    fresh = written(None)
    at = row_positions(frame, {student_id for _, student_id in pairs})
    known = registered.model.contributions(frame.iloc[[at[pair] for pair in pairs]])
    known = known.reset_index(drop=True)
    known.insert(0, "uai", [uai for uai, _ in pairs])
    known.insert(0, "student_id", [student_id for _, student_id in pairs])
    shuffled = known.iloc[[3, 0, 7, 5, 1, 6, 2, 4]].reset_index(drop=True)
    assert written(shuffled) == fresh
    assert written(shuffled.iloc[:3]) == fresh  # five computed
    # Taken, not computed again: a known row's values are the ones written.
    altered = shuffled.copy()
    altered.loc[0, BASE_VALUE] += 1.0
    written(altered)
    stored = pd.read_parquet(path)
    changed = stored["student_id"] == altered.loc[0, "student_id"]
    assert stored.loc[changed, BASE_VALUE].tolist() == [altered.loc[0, BASE_VALUE]]
    pd.testing.assert_frame_equal(
        stored[~changed].reset_index(drop=True),
        pd.read_parquet(io.BytesIO(fresh))[~changed].reset_index(drop=True),
    )
    staged.discard()


@pytest.mark.parametrize("artifact", ["features", "contributions"])
def test_an_altered_or_deleted_artifact_is_refused_clearly(
    extraction: Path, registered: RegisteredModel, store: Store, home: Path, artifact: str
) -> None:
    _score(extraction, AS_OF, store, registered, home)
    lineage = _lineage(store, AS_OF)
    path = Path(getattr(lineage, f"{artifact}_path"))
    student = lineage.contributions()["student_id"].iloc[0]
    uai = lineage.contributions()["uai"].iloc[0]
    scientist = make_actor("data_scientist")
    get_student_waterfall(store, scientist, student, AS_OF, lambda _: registered.model)

    original = path.read_bytes()
    altered = bytearray(original)
    altered[len(altered) // 2] ^= 0xFF  # one byte flipped, same size
    path.write_bytes(bytes(altered))
    with pytest.raises(WeekDataUnavailable) as refused:
        get_student_waterfall(store, scientist, student, AS_OF, lambda _: registered.model)
    assert (refused.value.artifact, refused.value.problem) == (artifact, "altered")
    assert isinstance(refused.value, Conflict)  # the API answers 409
    what = {"features": "feature snapshot", "contributions": "contributions"}[artifact]
    assert str(refused.value) == (
        f"week of {AS_OF.isoformat()}, {what}: altered since the week was scored (not the "
        "content recorded with it)"
    )
    if artifact == "features":
        with pytest.raises(WeekDataUnavailable):
            get_levels_and_classes(store, scientist, uai, AS_OF)

    path.unlink()
    with pytest.raises(WeekDataUnavailable) as refused:
        get_student_waterfall(store, scientist, student, AS_OF, lambda _: registered.model)
    assert (refused.value.artifact, refused.value.problem) == (artifact, "missing")
    assert (
        str(refused.value) == f"week of {AS_OF.isoformat()}, {what}: missing; score the week again"
    )

    path.write_bytes(original)  # put back as it was: read again
    get_student_waterfall(store, scientist, student, AS_OF, lambda _: registered.model)


def test_a_changed_extraction_is_refused_for_the_weeks_events(
    extraction: Path, registered: RegisteredModel, store: Store, home: Path
) -> None:
    _score(extraction, AS_OF, store, registered, home)
    student = _lineage(store, AS_OF).contributions()["student_id"].iloc[0]
    inspector = make_actor("inspector")
    assert not get_student_events(store, inspector, student, AS_OF).absences.empty
    attendance = pd.read_parquet(extraction / "attendance.parquet")
    attendance.iloc[:-1].to_parquet(extraction / "attendance.parquet")  # a row fewer
    with pytest.raises(WeekDataUnavailable) as refused:
        get_student_events(store, inspector, student, AS_OF)
    assert (refused.value.artifact, refused.value.problem) == ("extraction", "altered")
    shutil.rmtree(extraction)
    with pytest.raises(WeekDataUnavailable) as refused:
        get_student_events(store, inspector, student, AS_OF)
    assert (refused.value.artifact, refused.value.problem) == ("extraction", "missing")


def test_rewriting_a_past_week_replaces_its_artifacts_with_its_list(
    extraction: Path, registered: RegisteredModel, store: Store, home: Path
) -> None:
    _score(extraction, EARLIER, store, registered, home)
    _score(extraction, AS_OF, store, registered, home)
    first, latest = _lineage(store, EARLIER), _lineage(store, AS_OF)
    first_listed = len(first.contributions())
    [first_folder] = _folders(home, EARLIER)

    # Unchanged: the same artifacts stay recorded, nothing new is left behind.
    _score(extraction, EARLIER, store, registered, home)
    assert _lineage(store, EARLIER) == first and _folders(home, EARLIER) == [first_folder]

    # A past week rewritten with more students listed (a lower watch threshold).
    _score(extraction, EARLIER, store, registered, home, threshold=0.05)
    rewritten = _lineage(store, EARLIER)
    [folder] = _folders(home, EARLIER)
    assert folder != first_folder and not first_folder.exists()
    assert rewritten.folder == folder
    listed = _listed(store, EARLIER)
    contributions = rewritten.contributions()
    assert set(zip(contributions["uai"], contributions["student_id"], strict=True)) == listed
    assert len(listed) > first_listed
    assert rewritten.features_sha256 == first.features_sha256  # the same data scored
    assert _lineage(store, AS_OF) == latest  # the other week untouched
    latest.verify()

    # Access still follows the establishment that listed the student that week.
    uai, student = sorted(listed)[0]
    other = next(u for u, _ in sorted(listed) if u != uai)

    def model(_: str) -> object:
        return registered.model

    waterfall = get_student_waterfall(store, make_actor("watch_unit", uai), student, EARLIER,
                                      model)  # fmt: skip
    row = contributions[contributions["student_id"] == student].iloc[0]
    assert waterfall.raw_score == pytest.approx(float(row.drop(["student_id", "uai"]).sum()))
    with pytest.raises(AccessDenied):
        get_student_waterfall(store, make_actor("watch_unit", other), student, EARLIER, model)
    with pytest.raises(AccessDenied):
        get_levels_and_classes(store, make_actor("watch_unit", other), uai, EARLIER)


def test_a_failed_rewrite_keeps_the_weeks_list_and_artifacts(
    extraction: Path,
    registered: RegisteredModel,
    store: Store,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import serving.weekly.store as weekly_store

    _score(extraction, AS_OF, store, registered, home)
    before, folders = _lineage(store, AS_OF), _folders(home, AS_OF)

    def failing(*args: object, **kwargs: object) -> None:
        raise OperationalError("INSERT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(weekly_store, "_establishment_entries", failing)
    with pytest.raises(OperationalError):
        _score(extraction, AS_OF, store, registered, home, threshold=0.05)
    assert _lineage(store, AS_OF) == before and _folders(home, AS_OF) == folders
    before.verify()


def test_a_run_failing_while_its_snapshot_is_staged_leaves_no_folder(
    extraction: Path,
    registered: RegisteredModel,
    store: Store,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The snapshot is written in a thread while the lists are explained: a failure there
    waits for it and removes its folder; nothing of the week is recorded."""
    import serving.scoring.run as run

    def failing(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the explanations failed")

    monkeypatch.setattr(run, "extraction_week_lists", failing)
    with pytest.raises(RuntimeError, match="the explanations failed"):
        _score(extraction, AS_OF, store, registered, home)
    assert _folders(home, AS_OF) == []
    assert _listed(store, AS_OF) == set()


def test_a_week_written_without_its_data_says_so(store: Store, home: Path) -> None:
    replace_week_lists(store, as_of=AS_OF, model_version="m/1", establishments=[],
                       watch_threshold=None)  # fmt: skip
    with pytest.raises(WeekDataUnavailable) as refused:
        _lineage(store, AS_OF)
    assert (refused.value.artifact, refused.value.problem) == ("record", "not_recorded")
    assert "score the week again" in str(refused.value)
    with store.reading() as session:
        assert session.get(WeeklyRun, AS_OF).features_sha256 is None


def test_the_api_answers_a_weeks_missing_data_with_409_naming_the_week() -> None:
    import asyncio

    import httpx
    from fastapi import FastAPI

    from serving.api.errors import install_error_handlers

    app = FastAPI()
    install_error_handlers(app)

    @app.get("/week")
    def week() -> None:
        raise WeekDataUnavailable(AS_OF, "contributions", "missing")

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/week")

    response = asyncio.run(call())
    assert response.status_code == 409
    assert response.json() == {
        "detail": f"week of {AS_OF.isoformat()}, contributions: missing; score the week again"
    }
